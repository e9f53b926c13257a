// The one codec of the API's opaque page cursors: base64url of a JSON object, '.', base64url of a signature
// over that text. Each list brings its fields, its signature (an HMAC under a key, or a domain-tagged digest) and its own 400.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Signs the base64url payload text of a cursor. */
export type CursorSignature = (payload: string) => Buffer;

/** HMAC-SHA256 (32 bytes) under a base64url key: the key never leaves the server, so a cursor cannot be forged. */
export function hmacSignature(keyBase64url: string): CursorSignature {
  const key = Buffer.from(keyBase64url, 'base64url');
  return (payload) => createHmac('sha256', key).update(payload).digest();
}

/** SHA-256 of `domain` + payload, cut to `bytes`: catches an edited or cut cursor, not a forged one. */
export function digestSignature(domain: string, bytes: number): CursorSignature {
  return (payload) => createHash('sha256').update(domain).update(payload).digest().subarray(0, bytes);
}

/** What a list's cursors look like: at most `maxChars`, with a signature of exactly `signatureBytes`. */
export interface CursorFormat {
  readonly maxChars: number;
  readonly signatureBytes: number;
}

/** A cursor read but not yet trusted: `verify` with the signature of the list (or download) it names. */
export interface ReadCursor {
  readonly fields: Readonly<Record<string, unknown>>;
  verify(sign: CursorSignature): boolean;
}

/** The cursor text of `fields` (a JSON object of the list's own short names). */
export function encodeSignedCursor(fields: Readonly<Record<string, unknown>>, sign: CursorSignature): string {
  const payload = Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
  return `${payload}.${sign(payload).toString('base64url')}`;
}

const base64urlChars = (bytes: number): number => Math.ceil((bytes * 4) / 3);

/**
 * Reads a cursor's shape strictly: undefined (the caller's 400) unless it is `payload.signature` within
 * `format`, the payload a JSON object. The signature is compared as text, so a character that changes only
 * the unused low bits of its last base64url digit is refused too.
 * @example
 * const read = readSignedCursor(text, { maxChars: 400, signatureBytes: 16 });
 * if (!read || !read.verify(digestSignature(DOMAIN, 16))) throw notOurs();
 */
export function readSignedCursor(text: string, format: CursorFormat): ReadCursor | undefined {
  if (text.length > format.maxChars) return undefined;
  const match = new RegExp(`^([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]{${base64urlChars(format.signatureBytes)}})$`).exec(text);
  if (!match) return undefined;
  const [, payload, signature] = match as unknown as [string, string, string];
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  const given = Buffer.from(signature, 'utf8');
  return {
    fields: fields as Record<string, unknown>,
    verify: (sign) => {
      const expected = Buffer.from(sign(payload).toString('base64url'), 'utf8');
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
