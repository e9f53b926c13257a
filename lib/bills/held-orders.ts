// The ledger's side of a day held for the bill's merge, compact: no JS object or string per order. Each order is
// one 80-byte record (type/status/flags, text lengths, creation second, amount) with its text inline: order_no,
// out_id, account, acctype and mercacc as Latin-1 bytes (UTF-16 pairs when a character is wider), or, past 52
// bytes, in 1 MB overflow chunks. An open-addressing table of tagged slots (4 bytes an entry) finds it, built at the
// first lookup in one sorted sweep (index()). The bill's rows come in time order, so each lookup lands anywhere; on a VM
// every random page costs a TLB walk, so a lookup touches two places (its table entry, its record) and nothing
// else. Record chunks, not doubled arrays, so growing never copies them.
import { OrderStatus, OrderType, type DayOrder, type LedgerRecord } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';
import { CHINA_OFFSET_MS, instantOf, isBoundaryInstant } from './boundary.js';
import { grown, hashOf, indexSlots, SLOT, TAG } from './order-hash.js';

export type HeldRecord = Pick<LedgerRecord, 'orderNo' | 'type' | 'status' | 'account' | 'acctype' | 'mercacc' | 'amountFen' | 'outId'>;

const TYPES: readonly LedgerRecord['type'][] = [OrderType.PAYMENT, OrderType.REFUND];
const STATUSES: readonly LedgerRecord['status'][] = [OrderStatus.PENDING, OrderStatus.SUCCESS, OrderStatus.FAILED];
export const FLAG_LATE = 1;
export const FLAG_SEEN = 2;
export const FLAG_PREVIOUS_DAY = 4;
/** The record's text is UTF-16 code units, two bytes each (some character of it is above U+00FF). */
const FLAG_WIDE = 8;
/** The record's text did not fit inline: it sits in the overflow chunks, at the address in int 6. */
const FLAG_OVERFLOW = 16;
const NO_TIME = 0;
const SUCCESS_INDEX = 1; // STATUSES.indexOf(SUCCESS)

// A record, 20 int32s (80 bytes): 0 type * 4 + status | flags << 8, 1 order_no length | out_id length << 16,
// 2 account length | acctype length << 16 | mercacc length << 24, 3 creation (seconds since the epoch, unsigned),
// 4–5 amount (float64), 6 overflow address, 7–19 the text inline (52 bytes, from byte 28).
const RECORD_INTS = 20;
const INLINE_AT = 28;
const INLINE_BYTES = RECORD_INTS * 4 - INLINE_AT;
const RECORD_BITS = 16;
const RECORDS_PER_CHUNK = 1 << RECORD_BITS;
const TEXT_BITS = 20;
const TEXT_CHUNK = 1 << TEXT_BITS;
/** Longest order_no, out_id or account held (16 bits of the record), and acctype or mercacc (8 bits). */
const MAX_TEXT = 0xffff;
const MAX_SHORT = 0xff;
/**
 * The last slot an entry can name (16,777,214): more orders than that in a day are refused. Unreachable in
 * practice: at 80 bytes a record they would take 1.3 GB, past down-bill's memory.
 */
const MAX_SLOT = SLOT - 1;

const typeIndex = (type: string): number => (type === OrderType.PAYMENT ? 0 : type === OrderType.REFUND ? 1 : -1);
const statusIndex = (status: string): number =>
  status === OrderStatus.PENDING ? 0 : status === OrderStatus.SUCCESS ? 1 : status === OrderStatus.FAILED ? 2 : -1;
/** The bill's trade type as the record's type index (01 payment, 02 refund), -1 for any other. */
const tradeTypeIndex = (tradeType: string): number => (tradeType === '01' ? 0 : tradeType === '02' ? 1 : -1);

/** Copies `text` one byte a unit from `at`: where it ended, or -1 at a unit above U+00FF. */
function narrow(bytes: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return -1;
    bytes[at++] = c;
  }
  return at;
}

/** The held orders; slots in the order added (ascending order_no for the day, then the day before's window). */
export class HeldOrders {
  private readonly ints: Int32Array[] = [];
  private readonly amounts: Float64Array[] = []; // views of the records' buffers
  private readonly bytes: Uint8Array[] = []; // views of the records' buffers (the inline text)
  private readonly overflow: Uint8Array[] = [];
  private overflowEnd = TEXT_CHUNK; // free offset in the last overflow chunk (none yet)
  /** One int32 an entry: slot + 1 in the low 24 bits (0: empty), the top 8 bits of its hash as a tag. */
  private table: Int32Array = new Int32Array(4096);
  /** Slots below this are in the table (see index()). */
  private indexed = 0;
  /** Each slot's order_no hash, read only when the table is built or grown. */
  private slotHashes: Int32Array = new Int32Array(4096);
  /** Where text() found a record's text: its bytes and the offset of unit 0 in them. */
  private textBytes: Uint8Array = new Uint8Array(0);
  private textStart = 0;
  size = 0;

  /** The slot of an order_no, or -1. */
  slot(orderNo: string): number {
    if (this.indexed !== this.size) this.index();
    const hash = hashOf(orderNo);
    const table = this.table;
    const mask = table.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const entry = table[at]!;
      if (entry === 0) return -1;
      if (((entry ^ hash) & TAG) === 0 && this.isOrderNo((entry & SLOT) - 1, orderNo)) return (entry & SLOT) - 1;
    }
  }

  /**
   * slot() for each of a batch of rows, into `out`: the same answers, found in sweeps so that the batch's memory
   * reads overlap. Each lookup reads two random places (its table entry, its record), a cache and TLB miss each.
   * The hashes come first; then one tight sweep reads every table entry and another every candidate record, each
   * read independent of the rest, so the CPU keeps many in flight (a hash join's group prefetching; hashing inside
   * the table's sweep filled the reorder window: ~1.4× slower). The last sweep checks each order_no in cache.
   */
  slotsOf(rows: readonly { readonly orderNo: string }[], out: Int32Array): void {
    if (this.indexed !== this.size) this.index();
    const n = rows.length;
    if (this.batchHashes.length < n) this.batchHashes = new Int32Array(Math.max(n, 2 * this.batchHashes.length));
    const hashes = this.batchHashes;
    const table = this.table;
    const mask = table.length - 1;
    let touched = 0;
    for (let i = 0; i < n; i++) hashes[i] = hashOf(rows[i]!.orderNo);
    for (let i = 0; i < n; i++) touched |= table[hashes[i]! & mask]!;
    for (let i = 0; i < n; i++) {
      const hash = hashes[i]!;
      let candidate = -1;
      for (let at = hash & mask; ; at = (at + 1) & mask) {
        const entry = table[at]!;
        if (entry === 0) break;
        if (((entry ^ hash) & TAG) === 0) {
          candidate = (entry & SLOT) - 1;
          break;
        }
      }
      out[i] = candidate;
    }
    const chunks = this.ints;
    for (let i = 0; i < n; i++) {
      const candidate = out[i]!;
      if (candidate >= 0) {
        const ints = chunks[candidate >>> RECORD_BITS]!;
        const base = (candidate & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
        touched |= ints[base + 1]! | ints[base + RECORD_INTS - 1]!;
      }
    }
    // A candidate whose order_no differs (another order_no of the same tag) is looked up in full.
    for (let i = 0; i < n; i++) {
      const candidate = out[i]!;
      if (candidate >= 0 && !this.isOrderNo(candidate, rows[i]!.orderNo)) out[i] = this.slot(rows[i]!.orderNo);
    }
    this.touched = touched;
  }

  /** slotsOf's hashes of the batch. */
  private batchHashes = new Int32Array(1024);
  /** What slotsOf's reads gave, kept so that they are not optimised away. */
  touched = 0;

  has(orderNo: string): boolean {
    return this.slot(orderNo) >= 0;
  }

  add(record: DayOrder, previousDay: boolean): void {
    this.addOrder(record.orderNo, record.type, record.status, record.account, record.acctype, record.mercacc, record.amountFen, record.outId, record.createdAt, previousDay);
  }

  /** `add` field by field (the day's orders read straight from the store's pages, no object per order). */
  addOrder(
    orderNo: string,
    type: string,
    status: string,
    account: string,
    acctype: string,
    mercacc: string,
    amountFen: number,
    outId: string | undefined,
    createdAt: string,
    previousDay: boolean,
  ): void {
    const typeAt = typeIndex(type);
    const statusAt = statusIndex(status);
    if (typeAt < 0 || statusAt < 0) throw new Error(`ledger order ${orderNo} has type ${type}, status ${status}`);
    const out = outId ?? '';
    if (orderNo.length > MAX_TEXT || out.length > MAX_TEXT || account.length > MAX_TEXT || acctype.length > MAX_SHORT || mercacc.length > MAX_SHORT) {
      throw new Error(`ledger order ${orderNo.slice(0, 64)}… has an order_no, out_id or account over ${MAX_TEXT} characters, or an acctype or mercacc over ${MAX_SHORT}`);
    }
    const at = this.size;
    if (at > MAX_SLOT) throw new Error(`a day holds at most ${MAX_SLOT + 1} ledger orders`);
    const chunk = at >>> RECORD_BITS;
    if (chunk === this.ints.length) this.newChunk();
    if (at === this.slotHashes.length) this.slotHashes = grown(this.slotHashes);
    const ints = this.ints[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const units = orderNo.length + out.length + account.length + acctype.length + mercacc.length;
    // Inline when it fits as one byte a unit (it nearly always does); else in the overflow chunks.
    let flags = units <= INLINE_BYTES && this.putNarrow(this.bytes[chunk]!, base * 4 + INLINE_AT, orderNo, out, account, acctype, mercacc) ? 0 : this.putOverflow(ints, base, orderNo, out, account, acctype, mercacc, units);
    const ms = instantOf(createdAt);
    flags |= (isBoundaryInstant(ms) ? FLAG_LATE : 0) | (previousDay ? FLAG_PREVIOUS_DAY : 0);
    ints[base] = typeAt * 4 + statusAt + (flags << 8);
    ints[base + 1] = orderNo.length | (out.length << 16);
    ints[base + 2] = account.length | (acctype.length << 16) | (mercacc.length << 24);
    ints[base + 3] = Number.isNaN(ms) || ms < 1000 ? NO_TIME : Math.floor(ms / 1000);
    this.amounts[chunk]![(base >>> 1) + 2] = amountFen;
    this.slotHashes[at] = hashOf(orderNo);
    this.size += 1;
  }

  /** The slot was judged against a row; true if it had been already (a duplicate row). */
  markSeen(at: number): boolean {
    const ints = this.ints[at >>> RECORD_BITS]!;
    const index = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const code = ints[index]!;
    ints[index] = code | (FLAG_SEEN << 8);
    return (code & (FLAG_SEEN << 8)) !== 0;
  }

  flag(at: number, flag: number): boolean {
    return (this.code(at) & (flag << 8)) !== 0;
  }

  status(at: number): LedgerRecord['status'] {
    return STATUSES[this.code(at) & 3]!;
  }

  /** True when the row carries exactly this order's terms (type, account, acctype, mercacc, amount). */
  sameTerms(at: number, row: Pick<BillRow, 'tradeType' | 'amountFen' | 'account' | 'acctype' | 'mercacc'>): boolean {
    const code = this.open(at);
    return tradeTypeIndex(row.tradeType) === (code & 0xff) >> 2 && this.amount === row.amountFen && this.termsAre(row);
  }

  /**
   * The merge's usual case in one read of the record: a SUCCESS order whose type, amount, account, acctype, mercacc
   * and out_id are the row's (what status(), sameTerms() and sameOutId() would say together).
   */
  matchesPaid(at: number, row: Pick<BillRow, 'tradeType' | 'amountFen' | 'account' | 'acctype' | 'mercacc' | 'outId'>): boolean {
    // sameTerms opens the record; its status and out_id are then read from what open() found.
    return this.sameTerms(at, row) && (this.openedCode & 3) === SUCCESS_INDEX && this.textIs(this.orderNoLength, this.outIdLength, row.outId);
  }

  sameOutId(at: number, outId: string): boolean {
    this.open(at);
    return this.textIs(this.orderNoLength, this.outIdLength, outId);
  }

  orderNo(at: number): string {
    this.open(at);
    return this.textOf(0, this.orderNoLength);
  }

  record(at: number): HeldRecord {
    const code = this.open(at);
    const from = this.orderNoLength + this.outIdLength;
    return {
      orderNo: this.textOf(0, this.orderNoLength),
      type: TYPES[(code & 0xff) >> 2]!,
      status: STATUSES[code & 3]!,
      account: this.textOf(from, this.accountLength),
      acctype: this.textOf(from + this.accountLength, this.acctypeLength),
      mercacc: this.textOf(from + this.accountLength + this.acctypeLength, this.mercaccLength),
      amountFen: this.amount,
      outId: this.textOf(this.orderNoLength, this.outIdLength),
    };
  }

  // The record open() read last: its texts' lengths (in units, in the order they are stored) and amount.
  private orderNoLength = 0;
  private outIdLength = 0;
  private accountLength = 0;
  private acctypeLength = 0;
  private mercaccLength = 0;
  private amount = 0;
  private openedCode = 0;

  /** Reads the record's lengths and amount into the fields above and finds its text (text()); its code. */
  private open(at: number): number {
    const chunk = at >>> RECORD_BITS;
    const ints = this.ints[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const lengths = ints[base + 1]!;
    const terms = ints[base + 2]!;
    this.orderNoLength = lengths & 0xffff;
    this.outIdLength = lengths >>> 16;
    this.accountLength = terms & 0xffff;
    this.acctypeLength = (terms >>> 16) & 0xff;
    this.mercaccLength = terms >>> 24;
    this.amount = this.amounts[chunk]![(base >>> 1) + 2]!;
    this.text(ints, base, chunk);
    this.openedCode = ints[base]!;
    return this.openedCode;
  }

  /** The opened record's account, acctype and mercacc are the row's. */
  private termsAre(row: Pick<BillRow, 'account' | 'acctype' | 'mercacc'>): boolean {
    const from = this.orderNoLength + this.outIdLength;
    return (
      this.textIs(from, this.accountLength, row.account) &&
      this.textIs(from + this.accountLength, this.acctypeLength, row.acctype) &&
      this.textIs(from + this.accountLength + this.acctypeLength, this.mercaccLength, row.mercacc)
    );
  }

  /** The creation time to the second, ISO 8601 +08:00 (report lines of orders the bill lacks). */
  tradeTime(at: number): string {
    const seconds = this.ints[at >>> RECORD_BITS]![(at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS + 3]! >>> 0;
    return seconds === NO_TIME ? '' : `${new Date(seconds * 1000 + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
  }

  private code(at: number): number {
    return this.ints[at >>> RECORD_BITS]![(at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS]!;
  }

  private isOrderNo(at: number, orderNo: string): boolean {
    const chunk = at >>> RECORD_BITS;
    const ints = this.ints[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    if ((ints[base + 1]! & 0xffff) !== orderNo.length) return false;
    this.text(ints, base, chunk);
    return this.textIs(0, orderNo.length, orderNo);
  }

  /** Finds the record's text for textIs/textOf: inline in its record, or in the overflow chunks. */
  private text(ints: Int32Array, base: number, chunk: number): void {
    if ((ints[base]! & (FLAG_OVERFLOW << 8)) === 0) {
      this.textBytes = this.bytes[chunk]!;
      this.textStart = base * 4 + INLINE_AT;
    } else {
      const address = ints[base + 6]! >>> 0;
      this.textBytes = this.overflow[address >>> TEXT_BITS]!;
      this.textStart = address & (TEXT_CHUNK - 1);
    }
    this.textWide = (ints[base]! & (FLAG_WIDE << 8)) !== 0;
  }

  private textWide = false;

  /** Whether the `length` units at unit `from` of the text text() found are `text`. */
  private textIs(from: number, length: number, text: string): boolean {
    if (length !== text.length) return false;
    const bytes = this.textBytes;
    if (!this.textWide) {
      const at = this.textStart + from;
      for (let i = 0; i < length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
      return true;
    }
    const at = this.textStart + 2 * from;
    for (let i = 0; i < length; i++) if ((bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8)) !== text.charCodeAt(i)) return false;
    return true;
  }

  /** The `length` units at unit `from` of the text text() found, as a string. */
  private textOf(from: number, length: number): string {
    const bytes = this.textBytes;
    const wide = this.textWide;
    const start = this.textStart + (wide ? 2 * from : from);
    let units: Uint8Array | Uint16Array = bytes.subarray(start, start + length);
    if (wide) {
      units = new Uint16Array(length);
      for (let i = 0; i < length; i++) units[i] = bytes[start + 2 * i]! | (bytes[start + 2 * i + 1]! << 8);
    }
    let text = '';
    for (let at = 0; at < length; at += 4096) text += String.fromCharCode(...units.subarray(at, Math.min(length, at + 4096)));
    return text;
  }

  /** Copies the five texts one byte a unit from `at`; false (partly copied) at a unit above U+00FF. */
  private putNarrow(bytes: Uint8Array, at: number, orderNo: string, outId: string, account: string, acctype: string, mercacc: string): boolean {
    let next = narrow(bytes, at, orderNo);
    if (next >= 0) next = narrow(bytes, next, outId);
    if (next >= 0) next = narrow(bytes, next, account);
    if (next >= 0) next = narrow(bytes, next, acctype);
    if (next >= 0) next = narrow(bytes, next, mercacc);
    return next >= 0;
  }

  /** The texts in the overflow chunks (narrow if they can be), the address in the record; the flags it needs. */
  private putOverflow(ints: Int32Array, base: number, orderNo: string, outId: string, account: string, acctype: string, mercacc: string, units: number): number {
    if (this.overflowEnd + 2 * units > TEXT_CHUNK) {
      this.overflow.push(new Uint8Array(Math.max(TEXT_CHUNK, 2 * units)));
      this.overflowEnd = 0;
    }
    const bytes = this.overflow[this.overflow.length - 1]!;
    const start = this.overflowEnd;
    ints[base + 6] = (this.overflow.length - 1) * TEXT_CHUNK + start;
    if (this.putNarrow(bytes, start, orderNo, outId, account, acctype, mercacc)) {
      this.overflowEnd = start + units;
      return FLAG_OVERFLOW;
    }
    let at = start;
    for (const text of [orderNo, outId, account, acctype, mercacc]) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        bytes[at++] = c & 0xff;
        bytes[at++] = c >>> 8;
      }
    }
    this.overflowEnd = at;
    return FLAG_OVERFLOW | FLAG_WIDE;
  }

  private newChunk(): void {
    const ints = new Int32Array(RECORDS_PER_CHUNK * RECORD_INTS);
    this.ints.push(ints);
    this.amounts.push(new Float64Array(ints.buffer));
    this.bytes.push(new Uint8Array(ints.buffer));
  }

  /** Puts the slots added since the last lookup into the table (indexSlots), grown to stay at most half full. */
  private index(): void {
    this.table = indexSlots(this.table, this.slotHashes, this.indexed, this.size);
    this.indexed = this.size;
  }
}
