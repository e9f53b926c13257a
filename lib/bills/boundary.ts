// The day's boundary for the bill's merge (API.md "Bills", boundary orders): an order created in the last minutes
// of its China day may be booked on the next day's bill; created_at read fast, as a million orders are held.
import type { LedgerRecord } from '../ledger/records.js';
import { chinaDate } from '../protocol/timestamp.js';
import { chinaDayStart } from './finality.js';

/** Orders created this close to the end of their China day may be booked on the next day's bill. */
export const BOUNDARY_WINDOW_MS = 5 * 60 * 1000;
export const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** True when the order was created in the last BOUNDARY_WINDOW_MS of its China day. */
export function isBoundaryOrder(record: Pick<LedgerRecord, 'createdAt'>): boolean {
  return isBoundaryInstant(instantOf(record.createdAt));
}

/** The China day `days` after (or before) a yyyyMMdd day. @throws RangeError when it is not a calendar day. */
export function dayAfter(billDate: string, days: number): string {
  const start = chinaDayStart(billDate);
  if (!start) throw new RangeError(`bill date must be a calendar day yyyyMMdd: ${billDate}`);
  return chinaDate(new Date(start.getTime() + days * DAY_MS + DAY_MS / 2));
}

/**
 * The day before's orders a day's reconciliation holds beside its own (download-pass.ts reads them from the ledger):
 * the orders of `day` created from `from` on, the last BOUNDARY_WINDOW_MS of the day before `billDate`.
 * @throws RangeError when `billDate` is not a calendar day yyyyMMdd.
 */
export function previousDayWindow(billDate: string): { readonly day: string; readonly from: Date } {
  const start = chinaDayStart(billDate);
  if (!start) throw new RangeError(`bill date must be a calendar day yyyyMMdd: ${billDate}`);
  return { day: dayAfter(billDate, -1), from: new Date(start.getTime() - BOUNDARY_WINDOW_MS) };
}

/**
 * True when the reconciliation of `billDate` holds the order (reconcile.ts): one of the day's, or one of the
 * previous day's window that is a boundary order. A bill row of any other order_no is judged as one without an order.
 */
export function isHeldOn(record: Pick<LedgerRecord, 'tradeDay' | 'createdAt'>, billDate: string): boolean {
  if (record.tradeDay === billDate) return true;
  const window = previousDayWindow(billDate);
  const at = instantOf(record.createdAt);
  return record.tradeDay === window.day && at >= window.from.getTime() && isBoundaryInstant(at);
}

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;
const two = (text: string, at: number): number => digit(text, at) * 10 + digit(text, at + 1);
const isDigit = (text: string, at: number): boolean => {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
};
const pairAt = (text: string, at: number): boolean => isDigit(text, at) && isDigit(text, at + 1);

/**
 * The ledger's form "yyyy-MM-ddTHH:mm:ss.SSS+08:00": every digit a digit, every separator in place (the date's
 * range is Date.parse's to check, once per date). The date must be digits too: V8's fallback parser reads a '('
 * as the start of a comment, so after "2026-11-(6T" the time of day is not part of Date.parse's instant.
 */
function isLedgerTime(text: string): boolean {
  return text.length === 29 && isLedgerDate(text) && isLedgerClock(text);
}

/** "yyyy-MM-ddT", the first 11 characters of the ledger's form. */
function isLedgerDate(text: string): boolean {
  return pairAt(text, 0) && pairAt(text, 2) && text.charCodeAt(4) === 45 && pairAt(text, 5) && text.charCodeAt(7) === 45 && pairAt(text, 8) && text.charCodeAt(10) === 84;
}

/** "HH:mm:ss.SSS+08:00", the last 18 characters of the ledger's form. */
function isLedgerClock(text: string): boolean {
  return (
    pairAt(text, 11) && text.charCodeAt(13) === 58 && pairAt(text, 14) && text.charCodeAt(16) === 58 && pairAt(text, 17) &&
    text.charCodeAt(19) === 46 && pairAt(text, 20) && isDigit(text, 22) && text.endsWith('+08:00')
  );
}

/**
 * Milliseconds of the ledger's created_at, exactly as Date.parse reads it (NaN when unreadable). The ledger's form
 * is read by hand (a million Date.parse calls cost as much as the rest of holding the orders): its date's midnight
 * through Date.parse once per date, the time of day from its digits when each field is in range; anything else (a
 * month 13, a second 60, hour 24, another form) is Date.parse's to answer.
 */
export function instantOf(text: string): number {
  // A day's orders share their date ("yyyy-MM-ddT"): it is checked and its midnight worked out once (lastDate is
  // only ever a date that passed isLedgerDate), then only the time of day is checked.
  if (text.length === 29 && text.startsWith(lastDate)) {
    if (!isLedgerClock(text)) return Date.parse(text);
  } else {
    if (!isLedgerTime(text)) return Date.parse(text);
    lastDate = text.slice(0, 11);
    lastMidnight = Date.parse(`${lastDate}00:00:00.000+08:00`);
  }
  const hours = two(text, 11);
  const minutes = two(text, 14);
  const seconds = two(text, 17);
  if (Number.isNaN(lastMidnight) || hours > 23 || minutes > 59 || seconds > 59) return Date.parse(text);
  return lastMidnight + ((hours * 60 + minutes) * 60 + seconds) * 1000 + digit(text, 20) * 100 + two(text, 21);
}
let lastDate = '\u0000';
let lastMidnight = Number.NaN;

/** True when the instant (ms since the epoch) falls in the last BOUNDARY_WINDOW_MS of its China day. */
export function isBoundaryInstant(ms: number): boolean {
  if (Number.isNaN(ms)) return false;
  const ofDay = (((ms + CHINA_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ofDay >= DAY_MS - BOUNDARY_WINDOW_MS;
}
