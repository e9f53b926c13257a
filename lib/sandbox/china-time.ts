// The platform's clock faces, written for the sandbox alone: China Standard Time (UTC+08:00, no
// DST) as the wire shows it (`yyyy-MM-dd HH:mm:ss`, bill days `yyyyMMdd`, bill times `yyyyMMddHHmmss`).

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DAY = /^(\d{4})(\d{2})(\d{2})$/;

/** The UTC fields of this Date are China wall-clock time. */
function wall(at: Date): Date {
  return new Date(at.getTime() + CHINA_OFFSET_MS);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `yyyyMMddHHmmss` China time. */
export function compactChinaTime(at: Date): string {
  const w = wall(at);
  return `${String(w.getUTCFullYear()).padStart(4, '0')}${two(w.getUTCMonth() + 1)}${two(w.getUTCDate())}${two(w.getUTCHours())}${two(w.getUTCMinutes())}${two(w.getUTCSeconds())}`;
}

/** `yyyyMMdd` China day. */
export function chinaDay(at: Date): string {
  return compactChinaTime(at).slice(0, 8);
}

/** `yyyy-MM-ddTHH:mm:ss+08:00`, for humans (control routes). */
export function chinaIso(at: Date): string {
  const c = compactChinaTime(at);
  return `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(8, 10)}:${c.slice(10, 12)}:${c.slice(12, 14)}+08:00`;
}

/** Strict `yyyy-MM-dd HH:mm:ss` China time; undefined for any other shape or an impossible date. */
export function parseRequestTimestamp(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - CHINA_OFFSET_MS);
  // A round trip refuses 2026-02-30 or 24:00:00, which Date.UTC would roll over.
  const back = compactChinaTime(at);
  return back === `${match[1]}${match[2]}${match[3]}${match[4]}${match[5]}${match[6]}` ? at : undefined;
}

/** The first instant of a China day `yyyyMMdd`; undefined when it is not a calendar date. */
export function chinaDayStart(billDate: string): Date | undefined {
  const match = DAY.exec(billDate);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const at = new Date(Date.UTC(year, month - 1, day) - CHINA_OFFSET_MS);
  return chinaDay(at) === billDate ? at : undefined;
}
