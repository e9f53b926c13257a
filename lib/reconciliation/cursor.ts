// Opaque cursors of the exceptions list: base64url of {status, bill_date, position} with a check tag. The tag
// catches an edited or cut cursor (400); a position forged whole only moves the list, never past the caller's scope.
import { digestSignature, encodeSignedCursor, readSignedCursor } from '../api/signed-cursor.js';
import { ValidationError } from '../errors.js';
import { EXCEPTION_ID_PATTERN, EXCEPTION_STATUSES, type ExceptionStatus } from './exceptions.js';
import type { ListPosition } from './store.js';

export interface ListCursor {
  readonly status: ExceptionStatus;
  readonly billDate: string | null;
  readonly position: ListPosition;
}

const FORMAT = { maxChars: 400, signatureBytes: 16 } as const;
/** ISO 8601 +08:00 to the millisecond (lib/protocol/timestamp.ts toChinaIso). */
const CHINA_ISO = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+08:00$/;
const TAG = digestSignature('onecard-gateway reconciliation exceptions cursor v1\n', FORMAT.signatureBytes);

export function encodeListCursor(cursor: ListCursor): string {
  return encodeSignedCursor({ s: cursor.status, d: cursor.billDate, f: cursor.position.firstSeen, i: cursor.position.id }, TAG);
}

function notOurs(): ValidationError {
  return new ValidationError('cursor: not a cursor of this list (use the next_cursor of the previous page, with the same status and bill_date)', 'cursor');
}

/**
 * The position of a cursor given for a list of `status` and `billDate`.
 * @throws ValidationError (400) when it is not one of ours or came from a list of another status or day.
 */
export function decodeListCursor(text: string, expected: { status: ExceptionStatus; billDate: string | null }): ListPosition {
  const read = readSignedCursor(text, FORMAT);
  if (!read || !read.verify(TAG)) throw notOurs();
  const { s, d, f, i, ...rest } = read.fields;
  if (
    Object.keys(rest).length > 0 ||
    typeof s !== 'string' || !(EXCEPTION_STATUSES as readonly string[]).includes(s) ||
    !(d === null || (typeof d === 'string' && /^[0-9]{8}$/.test(d))) ||
    typeof f !== 'string' || !CHINA_ISO.test(f) ||
    typeof i !== 'string' || !EXCEPTION_ID_PATTERN.test(i)
  ) {
    throw notOurs();
  }
  if (s !== expected.status || d !== expected.billDate) throw notOurs();
  return { firstSeen: f, id: i };
}
