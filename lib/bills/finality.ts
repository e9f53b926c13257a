// When a day's bill is final (API.md "Bills", Finality): downloaded at or after BILL_FINAL_AFTER,
// China time, of the next day. Until then the platform may still book rows for it.

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;
const CHINA_OFFSET_MS = 8 * 60 * MINUTE_MS;

/** 00:00 China time of a yyyyMMdd calendar day; undefined when it is not one. */
export function chinaDayStart(billDate: string): Date | undefined {
  const match = /^([0-9]{4})([0-9]{2})([0-9]{2})$/.exec(billDate);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(year, month - 1, day);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return new Date(utc - CHINA_OFFSET_MS);
}

/** BILL_FINAL_AFTER's parse lives with its format and default (lib/bill-final-after.ts, which infra/ shares). */
export { parseFinalAfter } from '../bill-final-after.js';

/** The instant from which a download of `billDate` is final: the next China day at `finalAfterMinutes`. */
export function finalFrom(billDate: string, finalAfterMinutes: number): Date {
  const start = chinaDayStart(billDate);
  if (!start) throw new RangeError(`bill date must be a calendar day yyyyMMdd: ${billDate}`);
  return new Date(start.getTime() + DAY_MS + finalAfterMinutes * MINUTE_MS);
}

/** Whether a download of `billDate` made at `fetchedAt` is final. */
export function isFinalDownload(billDate: string, fetchedAt: Date, finalAfterMinutes: number): boolean {
  return fetchedAt.getTime() >= finalFrom(billDate, finalAfterMinutes).getTime();
}
