// The day's boundary for the bill's merge (API.md "Bills", boundary orders): an order created in the last minutes
// of its China day may be booked on the next day's bill; created_at read fast, as a million orders are held.
import type { LedgerRecord } from '../ledger/records.js';

/** Orders created this close to the end of their China day may be booked on the next day's bill. */
export const BOUNDARY_WINDOW_MS = 5 * 60 * 1000;
export const CHINA_OFFSET_MS = 8 * 3600 * 1000;
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

/** True when the instant (ms since the epoch) falls in the last BOUNDARY_WINDOW_MS of its China day. */
export function isBoundaryInstant(ms: number): boolean {
  if (Number.isNaN(ms)) return false;
  const ofDay = (((ms + CHINA_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ofDay >= DAY_MS - BOUNDARY_WINDOW_MS;
}
