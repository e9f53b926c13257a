// Opaque cursors of the exceptions list: base64url of {status, bill_date, position} with a check tag. The tag
// catches an edited or cut cursor (400); a position forged whole only moves the list, never past the caller's scope.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { EXCEPTION_ID_PATTERN, EXCEPTION_STATUSES, type ExceptionStatus } from './exceptions.js';
import type { ListPosition } from './store.js';

export interface ListCursor {
  readonly status: ExceptionStatus;
  readonly billDate: string | null;
  readonly position: ListPosition;
}

const MAX_CURSOR_CHARS = 400;
/** ISO 8601 +08:00 to the millisecond (lib/protocol/timestamp.ts toChinaIso). */
const CHINA_ISO = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+08:00$/;
const TAG_DOMAIN = 'onecard-gateway reconciliation exceptions cursor v1\n';

function tag(payload: string): Buffer {
  return createHash('sha256').update(TAG_DOMAIN).update(payload).digest().subarray(0, 16);
}

export function encodeListCursor(cursor: ListCursor): string {
  const payload = Buffer.from(
    JSON.stringify({ s: cursor.status, d: cursor.billDate, f: cursor.position.firstSeen, i: cursor.position.id }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${tag(payload).toString('base64url')}`;
}

function notOurs(): ValidationError {
  return new ValidationError('cursor: not a cursor of this list (use the next_cursor of the previous page, with the same status and bill_date)', 'cursor');
}

/**
 * The position of a cursor given for a list of `status` and `billDate`.
 * @throws ValidationError (400) when it is not one of ours or came from a list of another status or day.
 */
export function decodeListCursor(text: string, expected: { status: ExceptionStatus; billDate: string | null }): ListPosition {
  if (text.length > MAX_CURSOR_CHARS) throw notOurs();
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(text);
  if (!match) throw notOurs();
  const [, payload, given] = match as unknown as [string, string, string];
  const expectedTag = tag(payload);
  const givenTag = Buffer.from(given, 'base64url');
  if (givenTag.length !== expectedTag.length || !timingSafeEqual(givenTag, expectedTag)) throw notOurs();
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw notOurs();
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw notOurs();
  const { s, d, f, i, ...rest } = fields as Record<string, unknown>;
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
