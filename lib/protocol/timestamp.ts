// Platform time is China Standard Time (UTC+08:00, no DST) whatever the host's TZ. Everything
// here works on UTC fields shifted by eight hours, never on the process's local time.

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

function chinaFields(at: Date): Date {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date');
  return new Date(ms + CHINA_OFFSET_MS);
}

/** "yyyy-MM-dd HH:mm:ss" in China time: the `timestamp` request field. */
export function chinaTimestamp(at: Date = new Date()): string {
  const c = chinaFields(at);
  return (
    `${pad4(c.getUTCFullYear())}-${pad2(c.getUTCMonth() + 1)}-${pad2(c.getUTCDate())} ` +
    `${pad2(c.getUTCHours())}:${pad2(c.getUTCMinutes())}:${pad2(c.getUTCSeconds())}`
  );
}

/** "yyyyMMdd" in China time (bill dates, trade days). */
export function chinaDate(at: Date = new Date()): string {
  const c = chinaFields(at);
  return `${pad4(c.getUTCFullYear())}${pad2(c.getUTCMonth() + 1)}${pad2(c.getUTCDate())}`;
}

/** ISO 8601 with +08:00 and milliseconds: "2026-11-26T08:00:00.000+08:00". */
export function toChinaIso(at: Date): string {
  const c = chinaFields(at);
  return (
    `${pad4(c.getUTCFullYear())}-${pad2(c.getUTCMonth() + 1)}-${pad2(c.getUTCDate())}T` +
    `${pad2(c.getUTCHours())}:${pad2(c.getUTCMinutes())}:${pad2(c.getUTCSeconds())}.` +
    `${pad3(c.getUTCMilliseconds())}+08:00`
  );
}

function chinaInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // 31 Feb
  return utc - CHINA_OFFSET_MS;
}

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const COMPACT_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

function fieldsOf(match: RegExpExecArray): [number, number, number, number, number, number] {
  return [1, 2, 3, 4, 5, 6].map((i) => Number(match[i])) as [number, number, number, number, number, number];
}

/** Parses "yyyy-MM-dd HH:mm:ss" China time into an instant. Throws RangeError when malformed. */
export function parseChinaTimestamp(text: string): Date {
  const match = TIMESTAMP_PATTERN.exec(text);
  const instant = match ? chinaInstant(...fieldsOf(match)) : undefined;
  if (instant === undefined) throw new RangeError(`not a "yyyy-MM-dd HH:mm:ss" timestamp: ${text.slice(0, 40)}`);
  return new Date(instant);
}

/** "20160512190107" (China time) → "2016-05-12T19:01:07+08:00". Throws RangeError when malformed. */
export function compactChinaTimeToIso(compact: string): string {
  const match = COMPACT_PATTERN.exec(compact);
  if (!match || chinaInstant(...fieldsOf(match)) === undefined) {
    throw new RangeError(`not a "yyyyMMddHHmmss" time: ${compact.slice(0, 40)}`);
  }
  const [, y, mo, d, h, mi, s] = match;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

/** Any ISO 8601 instant → "yyyyMMddHHmmss" China time (bill rows). */
export function isoToCompactChinaTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO 8601 time: ${iso.slice(0, 40)}`);
  return chinaTimestamp(new Date(ms)).replace(/[- :]/g, '');
}
