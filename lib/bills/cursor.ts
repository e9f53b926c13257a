// Opaque, tamper-evident page cursors: base64url of {bill_date, bill_type, download id, offset} and an
// HMAC-SHA256 under the download's own random key (kept with the download, never sent to a client).
import { encodeSignedCursor, hmacSignature, readSignedCursor } from '../api/signed-cursor.js';
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

const FORMAT = { maxChars: 512, signatureBytes: 32 } as const;
const DOWNLOAD_ID = /^[0-9a-z-]{1,64}$/;

export function encodeCursor(position: CursorPosition, key: string): string {
  return encodeSignedCursor({ b: position.billDate, t: position.billType, d: position.downloadId, o: position.offset }, hmacSignature(key));
}

function notOurs(): ValidationError {
  return new ValidationError('cursor: not a cursor of this API (use the next_cursor of the previous page)', 'cursor');
}

/** Parses a cursor strictly; the caller verifies it with the key of the download it names. */
export function decodeCursor(text: string): UnverifiedCursor {
  const read = readSignedCursor(text, FORMAT);
  if (!read) throw notOurs();
  const { b, t, d, o, ...rest } = read.fields;
  if (
    Object.keys(rest).length > 0 ||
    typeof b !== 'string' || !/^[0-9]{8}$/.test(b) ||
    typeof t !== 'string' || !/^[A-Z]{1,16}$/.test(t) ||
    typeof d !== 'string' || !DOWNLOAD_ID.test(d) ||
    typeof o !== 'number' || !Number.isSafeInteger(o) || o < 1
  ) {
    throw notOurs();
  }
  return { billDate: b, billType: t, downloadId: d, offset: o, verify: (key) => read.verify(hmacSignature(key)) };
}

/** Rejects a cursor that cannot be ours (wrong signature, day or type): HTTP 400. */
export function cursorNotOurs(): ValidationError {
  return notOurs();
}
