// Opaque, tamper-evident page cursors: base64url of {bill_date, bill_type, download id, offset} and an
// HMAC-SHA256 under the download's own random key (kept with the download, never sent to a client).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors.js';

export interface CursorPosition {
  readonly billDate: string;
  readonly billType: string;
  readonly downloadId: string;
  /** Index of the first row of the page it starts. */
  readonly offset: number;
}

/** The parts of a cursor before its signature is checked (the key lives with the download it names). */
export interface UnverifiedCursor extends CursorPosition {
  verify(key: string): boolean;
}

const MAX_CURSOR_CHARS = 512;
const DOWNLOAD_ID = /^[0-9a-z-]{1,64}$/;

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(payload).digest();
}

export function encodeCursor(position: CursorPosition, key: string): string {
  const payload = Buffer.from(
    JSON.stringify({ b: position.billDate, t: position.billType, d: position.downloadId, o: position.offset }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

function notOurs(): ValidationError {
  return new ValidationError('cursor: not a cursor of this API (use the next_cursor of the previous page)', 'cursor');
}

/** Parses a cursor strictly; the caller verifies it with the key of the download it names. */
export function decodeCursor(text: string): UnverifiedCursor {
  if (text.length > MAX_CURSOR_CHARS) throw notOurs();
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(text);
  if (!match) throw notOurs();
  const [, payload, signature] = match as unknown as [string, string, string];
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw notOurs();
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw notOurs();
  const { b, t, d, o, ...rest } = fields as Record<string, unknown>;
  if (
    Object.keys(rest).length > 0 ||
    typeof b !== 'string' || !/^[0-9]{8}$/.test(b) ||
    typeof t !== 'string' || !/^[A-Z]{1,16}$/.test(t) ||
    typeof d !== 'string' || !DOWNLOAD_ID.test(d) ||
    typeof o !== 'number' || !Number.isSafeInteger(o) || o < 1
  ) {
    throw notOurs();
  }
  const given = Buffer.from(signature, 'base64url');
  return {
    billDate: b,
    billType: t,
    downloadId: d,
    offset: o,
    verify: (key) => {
      const expected = mac(key, payload);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

/** Rejects a cursor that cannot be ours (wrong signature, day or type): HTTP 400. */
export function cursorNotOurs(): ValidationError {
  return notOurs();
}
