// The ledger's side of a day held for the bill's merge, compact: no JS object or string per order. order_no and
// out_id are UTF-16 code units in one growing Uint16Array each, found through an open-addressing hash table of
// slot numbers (Int32Array); amount, creation second, type/status and flags sit in typed arrays; account, acctype
// and mercacc are interned (a campus has far fewer accounts and merchants than orders). About 100 bytes an order.
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
const TRADE_TYPES: Readonly<Record<string, number>> = { '01': 0, '02': 1 };
export const FLAG_LATE = 1;
export const FLAG_SEEN = 2;
export const FLAG_PREVIOUS_DAY = 4;
const NO_TIME = 0;

/** Code units of strings, end to end, with the start of each (string n is units[start[n]] … units[start[n+1]]). */
class Strings {
  units = new Uint16Array(1 << 16);
  starts = new Uint32Array(1024 + 1);
  count = 0;

  push(text: string): void {
    let end = this.starts[this.count]!;
    if (end + text.length > this.units.length) {
      const next = new Uint16Array(Math.max(this.units.length * 2, end + text.length));
      next.set(this.units);
      this.units = next;
    }
    for (let i = 0; i < text.length; i++) this.units[end++] = text.charCodeAt(i);
    if (this.count + 2 > this.starts.length) {
      const next = new Uint32Array(this.starts.length * 2);
      next.set(this.starts);
      this.starts = next;
    }
    this.count += 1;
    this.starts[this.count] = end;
  }

  equals(n: number, text: string): boolean {
    const start = this.starts[n]!;
    if (this.starts[n + 1]! - start !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.units[start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  get(n: number): string {
    const start = this.starts[n]!;
    const end = this.starts[n + 1]!;
    let text = '';
    for (let at = start; at < end; at += 4096) text += String.fromCharCode(...this.units.subarray(at, Math.min(end, at + 4096)));
    return text;
  }
}

/** FNV-1a, then murmur3's finaliser: order_nos differ in their last digits, and the table uses the low bits. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The held orders; slots in the order added (ascending order_no for the day, then the day before's window). */
export class HeldOrders {
  private readonly orderNos = new Strings();
  private readonly outIds = new Strings();
  private readonly words = new Map<string, number>();
  private readonly wordList: string[] = [];
  private readonly lastWords = new Int32Array([-1, -1, -1]);
  private table = new Int32Array(4096); // slot + 1, 0 = empty
  private hashes = new Uint32Array(1024);
  private amount = new Float64Array(1024);
  private created = new Uint32Array(1024); // seconds since the epoch, NO_TIME when unreadable
  private codes = new Uint8Array(1024); // type * 4 + status
  private flags = new Uint8Array(1024);
  private words3 = new Int32Array(3 * 1024);
  size = 0;

  /** The slot of an order_no, or -1. */
  slot(orderNo: string): number {
    const mask = this.table.length - 1;
    for (let at = hashOf(orderNo) & mask; ; at = (at + 1) & mask) {
      const entry = this.table[at]!;
      if (entry === 0) return -1;
      if (this.orderNos.equals(entry - 1, orderNo)) return entry - 1;
    }
  }

  has(orderNo: string): boolean {
    return this.slot(orderNo) >= 0;
  }

  add(record: DayOrder, previousDay: boolean): void {
    const at = this.size;
    if (at === this.amount.length) this.grow();
    if ((at + 1) * 2 > this.table.length) this.rehash();
    const type = TYPES.indexOf(record.type);
    const status = STATUSES.indexOf(record.status);
    if (type < 0 || status < 0) throw new Error(`ledger order ${record.orderNo} has type ${record.type}, status ${record.status}`);
    const hash = hashOf(record.orderNo);
    this.hashes[at] = hash;
    this.place(hash, at);
    this.orderNos.push(record.orderNo);
    this.outIds.push(record.outId ?? '');
    this.codes[at] = type * 4 + status;
    this.amount[at] = record.amountFen;
    const ms = instantOf(record.createdAt);
    this.created[at] = Number.isNaN(ms) || ms < 1000 ? NO_TIME : Math.floor(ms / 1000);
    this.flags[at] = (isBoundaryInstant(ms) ? FLAG_LATE : 0) | (previousDay ? FLAG_PREVIOUS_DAY : 0);
    this.words3[3 * at] = this.intern(record.account, 0);
    this.words3[3 * at + 1] = this.intern(record.acctype, 1);
    this.words3[3 * at + 2] = this.intern(record.mercacc, 2);
    this.size += 1;
  }

  /** The slot was judged against a row; true if it had been already (a duplicate row). */
  markSeen(at: number): boolean {
    const seen = (this.flags[at]! & FLAG_SEEN) !== 0;
    this.flags[at] = this.flags[at]! | FLAG_SEEN;
    return seen;
  }

  flag(at: number, flag: number): boolean {
    return (this.flags[at]! & flag) !== 0;
  }

  status(at: number): LedgerRecord['status'] {
    return STATUSES[this.codes[at]! & 3]!;
  }

  /** True when the row carries exactly this order's terms (type, account, acctype, mercacc, amount). */
  sameTerms(at: number, row: BillRow): boolean {
    return (
      TRADE_TYPES[row.tradeType] === this.codes[at]! >> 2 &&
      this.amount[at] === row.amountFen &&
      this.wordList[this.words3[3 * at]!] === row.account &&
      this.wordList[this.words3[3 * at + 1]!] === row.acctype &&
      this.wordList[this.words3[3 * at + 2]!] === row.mercacc
    );
  }

  sameOutId(at: number, outId: string): boolean {
    return this.outIds.equals(at, outId);
  }

  orderNo(at: number): string {
    return this.orderNos.get(at);
  }

  record(at: number): HeldRecord {
    return {
      orderNo: this.orderNos.get(at),
      type: TYPES[this.codes[at]! >> 2]!,
      status: this.status(at),
      account: this.wordList[this.words3[3 * at]!]!,
      acctype: this.wordList[this.words3[3 * at + 1]!]!,
      mercacc: this.wordList[this.words3[3 * at + 2]!]!,
      amountFen: this.amount[at]!,
      outId: this.outIds.get(at),
    };
  }

  /** The creation time to the second, ISO 8601 +08:00 (report lines of orders the bill lacks). */
  tradeTime(at: number): string {
    const seconds = this.created[at]!;
    return seconds === NO_TIME ? '' : `${new Date(seconds * 1000 + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
  }

  private place(hash: number, at: number): void {
    const mask = this.table.length - 1;
    let index = hash & mask;
    while (this.table[index] !== 0) index = (index + 1) & mask;
    this.table[index] = at + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let at = 0; at < this.size; at++) this.place(this.hashes[at]!, at);
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

  private grow(): void {
    const widen = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    this.hashes = widen(this.hashes, (n) => new Uint32Array(n));
    this.amount = widen(this.amount, (n) => new Float64Array(n));
    this.created = widen(this.created, (n) => new Uint32Array(n));
    this.codes = widen(this.codes, (n) => new Uint8Array(n));
    this.flags = widen(this.flags, (n) => new Uint8Array(n));
    this.words3 = widen(this.words3, (n) => new Int32Array(n));
  }
}
