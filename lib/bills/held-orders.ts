// The ledger's side of a day held for the bill's merge, compact: no JS object or string per order. Each order is
// one 32-byte record (amount, interned account/acctype/mercacc, type/status/flags, where its text is) in chunks of
// 65,536; its order_no and out_id sit side by side as Latin-1 bytes (UTF-16 pairs when a character is wider) in
// 1 MB chunks; an open-addressing table of (hash, slot) pairs finds it. The bill's rows come in time order, so
// each lookup lands anywhere: a probe, the record and the text are about one cache line each. Chunks, not
// doubled arrays, so growing never copies nor overshoots. About 85 bytes an order.
import { OrderStatus, OrderType, type DayOrder, type LedgerRecord } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';

/** Orders created this close to the end of their China day may be booked on the next day's bill. */
export const BOUNDARY_WINDOW_MS = 5 * 60 * 1000;
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** True when the order was created in the last BOUNDARY_WINDOW_MS of its China day. */
export function isBoundaryOrder(record: Pick<LedgerRecord, 'createdAt'>): boolean {
  return isBoundaryInstant(instantOf(record.createdAt));
}

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;
const two = (text: string, at: number): number => digit(text, at) * 10 + digit(text, at + 1);

/**
 * Milliseconds of the ledger's created_at: "yyyy-MM-ddTHH:mm:ss.SSS+08:00" read by hand (a million Date.parse
 * calls cost as much as the rest of holding the orders), anything else by Date.parse; NaN when unreadable.
 */
export function instantOf(text: string): number {
  if (text.length !== 29 || text.charCodeAt(10) !== 84 /* T */ || !text.endsWith('+08:00') || text.charCodeAt(19) !== 46) return Date.parse(text);
  // A day's orders share their date: its midnight is worked out once (Date.UTC per order costs ~0.5 s a million).
  if (!text.startsWith(lastDate)) {
    lastDate = text.slice(0, 11);
    lastMidnight = Date.UTC(two(text, 0) * 100 + two(text, 2), two(text, 5) - 1, two(text, 8));
  }
  const hours = two(text, 11);
  const minutes = two(text, 14);
  const seconds = two(text, 17);
  const millis = digit(text, 20) * 100 + two(text, 21);
  if (hours > 23 || minutes > 59 || seconds > 59 || !(millis >= 0 && millis <= 999) || !(hours >= 0 && minutes >= 0 && seconds >= 0)) {
    return Date.UTC(two(text, 0) * 100 + two(text, 2), two(text, 5) - 1, two(text, 8), hours, minutes, seconds, millis) - CHINA_OFFSET_MS;
  }
  return lastMidnight + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - CHINA_OFFSET_MS;
}
let lastDate = '\u0000';
let lastMidnight = 0;

function isBoundaryInstant(ms: number): boolean {
  if (Number.isNaN(ms)) return false;
  const ofDay = (((ms + CHINA_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ofDay >= DAY_MS - BOUNDARY_WINDOW_MS;
}

export type HeldRecord = Pick<LedgerRecord, 'orderNo' | 'type' | 'status' | 'account' | 'acctype' | 'mercacc' | 'amountFen' | 'outId'>;

const TYPES: readonly LedgerRecord['type'][] = [OrderType.PAYMENT, OrderType.REFUND];
const STATUSES: readonly LedgerRecord['status'][] = [OrderStatus.PENDING, OrderStatus.SUCCESS, OrderStatus.FAILED];
export const FLAG_LATE = 1;
export const FLAG_SEEN = 2;
export const FLAG_PREVIOUS_DAY = 4;
/** The record's text is UTF-16 code units, two bytes each (some character of it is above U+00FF). */
const FLAG_WIDE = 8;
const NO_TIME = 0;

// A record, 8 int32s: 0 text address, 1 order_no length | out_id length << 16, 2–3 amount (float64),
// 4 account, 5 acctype, 6 mercacc (word ids), 7 type * 4 + status | flags << 8.
const RECORD_INTS = 8;
const RECORD_BITS = 16;
const RECORDS_PER_CHUNK = 1 << RECORD_BITS;
const TEXT_BITS = 20;
const TEXT_CHUNK = 1 << TEXT_BITS;
/** Longest order_no or out_id held (its length is 16 bits of the record). */
const MAX_TEXT = 0xffff;

const typeIndex = (type: string): number => (type === OrderType.PAYMENT ? 0 : type === OrderType.REFUND ? 1 : -1);
const statusIndex = (status: string): number =>
  status === OrderStatus.PENDING ? 0 : status === OrderStatus.SUCCESS ? 1 : status === OrderStatus.FAILED ? 2 : -1;
/** The bill's trade type as the record's type index (01 payment, 02 refund), -1 for any other. */
const tradeTypeIndex = (tradeType: string): number => (tradeType === '01' ? 0 : tradeType === '02' ? 1 : -1);

/** FNV-1a, then murmur3's finaliser: order_nos differ in their last digits, and the table uses the low bits. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0;
}

/** The held orders; slots in the order added (ascending order_no for the day, then the day before's window). */
export class HeldOrders {
  private readonly records: Int32Array[] = [];
  private readonly amounts: Float64Array[] = []; // views of the records' buffers
  private readonly created: Uint32Array[] = []; // seconds since the epoch, NO_TIME when unreadable
  private readonly text: Uint8Array[] = [];
  private textEnd = TEXT_CHUNK; // free offset in the last text chunk (none yet)
  private readonly words = new Map<string, number>();
  private readonly wordList: string[] = [];
  private readonly lastWords = new Int32Array([-1, -1, -1]);
  private table = new Int32Array(2 * 4096); // (hash, slot + 1) pairs, slot + 1 = 0: empty
  size = 0;

  /** The slot of an order_no, or -1. */
  slot(orderNo: string): number {
    const hash = hashOf(orderNo);
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const entry = table[2 * at + 1]!;
      if (entry === 0) return -1;
      if (table[2 * at] === hash && this.isOrderNo(entry - 1, orderNo)) return entry - 1;
    }
  }

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
    if (orderNo.length > MAX_TEXT || out.length > MAX_TEXT) throw new Error(`ledger order ${orderNo.slice(0, 64)}… has an order_no or out_id over ${MAX_TEXT} characters`);
    const at = this.size;
    const chunk = at >>> RECORD_BITS;
    if (chunk === this.records.length) this.newRecordChunk();
    if ((at + 1) * 2 > this.table.length >>> 1) this.rehash();
    const records = this.records[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const wide = this.putText(orderNo, out);
    records[base] = this.textAddress;
    records[base + 1] = orderNo.length | (out.length << 16);
    this.amounts[chunk]![(base >>> 1) + 1] = amountFen;
    records[base + 4] = this.intern(account, 0);
    records[base + 5] = this.intern(acctype, 1);
    records[base + 6] = this.intern(mercacc, 2);
    const ms = instantOf(createdAt);
    const flags = (isBoundaryInstant(ms) ? FLAG_LATE : 0) | (previousDay ? FLAG_PREVIOUS_DAY : 0) | (wide ? FLAG_WIDE : 0);
    records[base + 7] = typeAt * 4 + statusAt + (flags << 8);
    this.created[chunk]![at & (RECORDS_PER_CHUNK - 1)] = Number.isNaN(ms) || ms < 1000 ? NO_TIME : Math.floor(ms / 1000);
    this.place(hashOf(orderNo), at);
    this.size += 1;
  }

  /** The slot was judged against a row; true if it had been already (a duplicate row). */
  markSeen(at: number): boolean {
    const records = this.records[at >>> RECORD_BITS]!;
    const index = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS + 7;
    const code = records[index]!;
    records[index] = code | (FLAG_SEEN << 8);
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
    const chunk = at >>> RECORD_BITS;
    const records = this.records[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const words = this.wordList;
    return (
      tradeTypeIndex(row.tradeType) === (records[base + 7]! & 0xff) >> 2 &&
      this.amounts[chunk]![(base >>> 1) + 1] === row.amountFen &&
      words[records[base + 4]!] === row.account &&
      words[records[base + 5]!] === row.acctype &&
      words[records[base + 6]!] === row.mercacc
    );
  }

  sameOutId(at: number, outId: string): boolean {
    const records = this.records[at >>> RECORD_BITS]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const lengths = records[base + 1]!;
    return this.textIs(records[base]! >>> 0, lengths & 0xffff, lengths >>> 16, (records[base + 7]! & (FLAG_WIDE << 8)) !== 0, outId);
  }

  orderNo(at: number): string {
    const records = this.records[at >>> RECORD_BITS]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    return this.textOf(records[base]! >>> 0, 0, records[base + 1]! & 0xffff, (records[base + 7]! & (FLAG_WIDE << 8)) !== 0);
  }

  record(at: number): HeldRecord {
    const chunk = at >>> RECORD_BITS;
    const records = this.records[chunk]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    const address = records[base]! >>> 0;
    const lengths = records[base + 1]!;
    const code = records[base + 7]!;
    const wide = (code & (FLAG_WIDE << 8)) !== 0;
    return {
      orderNo: this.textOf(address, 0, lengths & 0xffff, wide),
      type: TYPES[(code & 0xff) >> 2]!,
      status: STATUSES[code & 3]!,
      account: this.wordList[records[base + 4]!]!,
      acctype: this.wordList[records[base + 5]!]!,
      mercacc: this.wordList[records[base + 6]!]!,
      amountFen: this.amounts[chunk]![(base >>> 1) + 1]!,
      outId: this.textOf(address, lengths & 0xffff, lengths >>> 16, wide),
    };
  }

  /** The creation time to the second, ISO 8601 +08:00 (report lines of orders the bill lacks). */
  tradeTime(at: number): string {
    const seconds = this.created[at >>> RECORD_BITS]![at & (RECORDS_PER_CHUNK - 1)]!;
    return seconds === NO_TIME ? '' : `${new Date(seconds * 1000 + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
  }

  private code(at: number): number {
    return this.records[at >>> RECORD_BITS]![(at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS + 7]!;
  }

  private isOrderNo(at: number, orderNo: string): boolean {
    const records = this.records[at >>> RECORD_BITS]!;
    const base = (at & (RECORDS_PER_CHUNK - 1)) * RECORD_INTS;
    if ((records[base + 1]! & 0xffff) !== orderNo.length) return false;
    return this.textIs(records[base]! >>> 0, 0, orderNo.length, (records[base + 7]! & (FLAG_WIDE << 8)) !== 0, orderNo);
  }

  /** Whether the `length` units at unit `from` of the text at `address` are `text`. */
  private textIs(address: number, from: number, length: number, wide: boolean, text: string): boolean {
    if (length !== text.length) return false;
    const bytes = this.text[address >>> TEXT_BITS]!;
    const start = address & (TEXT_CHUNK - 1);
    if (!wide) {
      const at = start + from;
      for (let i = 0; i < length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
      return true;
    }
    const at = start + 2 * from;
    for (let i = 0; i < length; i++) if ((bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8)) !== text.charCodeAt(i)) return false;
    return true;
  }

  private textOf(address: number, from: number, length: number, wide: boolean): string {
    const bytes = this.text[address >>> TEXT_BITS]!;
    const start = (address & (TEXT_CHUNK - 1)) + (wide ? 2 * from : from);
    let units: Uint8Array | Uint16Array = bytes.subarray(start, start + length);
    if (wide) {
      units = new Uint16Array(length);
      for (let i = 0; i < length; i++) units[i] = bytes[start + 2 * i]! | (bytes[start + 2 * i + 1]! << 8);
    }
    let text = '';
    for (let at = 0; at < length; at += 4096) text += String.fromCharCode(...units.subarray(at, Math.min(length, at + 4096)));
    return text;
  }

  /** Where putText put the last text. */
  private textAddress = 0;

  /** Stores order_no then out_id; true when they had to go wide (two bytes a unit). */
  private putText(orderNo: string, outId: string): boolean {
    const units = orderNo.length + outId.length;
    if (this.textEnd + 2 * units > TEXT_CHUNK) {
      this.text.push(new Uint8Array(TEXT_CHUNK));
      this.textEnd = 0;
    }
    const bytes = this.text[this.text.length - 1]!;
    const start = this.textEnd;
    let at = start;
    let wide = false;
    for (let i = 0; i < orderNo.length && !wide; i++) {
      const c = orderNo.charCodeAt(i);
      if (c > 0xff) wide = true;
      else bytes[at++] = c;
    }
    for (let i = 0; i < outId.length && !wide; i++) {
      const c = outId.charCodeAt(i);
      if (c > 0xff) wide = true;
      else bytes[at++] = c;
    }
    if (wide) {
      at = start;
      for (const text of [orderNo, outId]) {
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          bytes[at++] = c & 0xff;
          bytes[at++] = c >>> 8;
        }
      }
    }
    this.textAddress = (this.text.length - 1) * TEXT_CHUNK + start;
    this.textEnd = at;
    return wide;
  }

  private newRecordChunk(): void {
    const records = new Int32Array(RECORDS_PER_CHUNK * RECORD_INTS);
    this.records.push(records);
    this.amounts.push(new Float64Array(records.buffer));
    this.created.push(new Uint32Array(RECORDS_PER_CHUNK));
  }

  private place(hash: number, at: number): void {
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    let index = hash & mask;
    while (table[2 * index + 1] !== 0) index = (index + 1) & mask;
    table[2 * index] = hash;
    table[2 * index + 1] = at + 1;
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let index = 0; index < old.length; index += 2) if (old[index + 1] !== 0) this.place(old[index]!, old[index + 1]! - 1);
  }

  /** The word's id; `column`'s previous word is tried first (acctype hardly ever changes from order to order). */
  private intern(word: string, column: number): number {
    const last = this.lastWords[column]!;
    if (last >= 0 && this.wordList[last] === word) return last;
    let id = this.words.get(word);
    if (id === undefined) {
      id = this.wordList.length;
      this.wordList.push(word);
      this.words.set(word, id);
    }
    this.lastWords[column] = id;
    return id;
  }
}
