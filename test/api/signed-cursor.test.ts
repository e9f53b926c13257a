// The shared cursor codec (lib/api/signed-cursor.ts) and both lists that use it: what is encoded reads back,
// and a cursor with any one character changed is refused (not read, or its signature does not verify).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestSignature, encodeSignedCursor, hmacSignature, readSignedCursor } from '../../lib/api/signed-cursor.js';
import { decodeCursor, encodeCursor } from '../../lib/bills/cursor.js';
import { newCursorKey } from '../../lib/bills/downloads.js';
import { ValidationError } from '../../lib/errors.js';
import { decodeListCursor, encodeListCursor } from '../../lib/reconciliation/cursor.js';
import { EXCEPTION_STATUSES } from '../../lib/reconciliation/exceptions.js';

const KEY = newCursorKey();
const HMAC = hmacSignature(KEY);
const DIGEST = digestSignature('test domain\n', 16);
const FORMAT = { maxChars: 4096, signatureBytes: 32 } as const;

const anyFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 6 },
);
/** Any character a client could send in its place, base64url or not. */
const anyChar = fc.oneof(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }));

function tamper(text: string, at: number, char: string): string | undefined {
  const index = at % text.length;
  return text[index] === char ? undefined : `${text.slice(0, index)}${char}${text.slice(index + 1)}`;
}

describe('signed cursor codec', () => {
  it('round trip: the fields encoded are the fields read, and the signature verifies', () => {
    fc.assert(
      fc.property(anyFields, (fields) => {
        const read = readSignedCursor(encodeSignedCursor(fields, HMAC), FORMAT);
        expect(read?.fields).toEqual(JSON.parse(JSON.stringify(fields)));
        expect(read?.verify(HMAC)).toBe(true);
      }),
    );
  });

  it('a cursor with any one character changed is refused, under either signature', () => {
    fc.assert(
      fc.property(anyFields, fc.nat(), anyChar, fc.boolean(), (fields, at, char, keyed) => {
        const sign = keyed ? HMAC : DIGEST;
        const format = { maxChars: 4096, signatureBytes: keyed ? 32 : 16 };
        const tampered = tamper(encodeSignedCursor(fields, sign), at, char);
        fc.pre(tampered !== undefined);
        const read = readSignedCursor(tampered as string, format);
        expect(read === undefined || !read.verify(sign)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a signature under another key, or cut short, is refused', () => {
    const text = encodeSignedCursor({ a: 1 }, HMAC);
    expect(readSignedCursor(text, FORMAT)?.verify(hmacSignature(newCursorKey()))).toBe(false);
    expect(readSignedCursor(text.slice(0, -1), FORMAT)).toBeUndefined();
    expect(readSignedCursor(text, { maxChars: text.length - 1, signatureBytes: 32 })).toBeUndefined();
  });
});

describe('the two lists on the codec', () => {
  const position = fc.record({
    billDate: fc.integer({ min: 20200101, max: 20991231 }).map(String),
    billType: fc.constantFrom('ALL', 'PAY', 'REFUND'),
    downloadId: fc.stringMatching(/^[0-9a-z-]{1,64}$/),
    offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  });

  it('bill page cursors: round trip, and any tampered character fails decoding or verification', () => {
    fc.assert(
      fc.property(position, fc.nat(), anyChar, (at, index, char) => {
        const text = encodeCursor(at, KEY);
        const read = decodeCursor(text);
        expect({ ...read, verify: undefined }).toEqual({ ...at, verify: undefined });
        expect(read.verify(KEY)).toBe(true);
        const tampered = tamper(text, index, char);
        fc.pre(tampered !== undefined);
        let refused: boolean;
        try {
          refused = !decodeCursor(tampered as string).verify(KEY);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          refused = true;
        }
        expect(refused).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('exception list cursors: round trip, and any tampered character is a ValidationError on cursor', () => {
    const cursor = fc.record({
      status: fc.constantFrom(...EXCEPTION_STATUSES),
      billDate: fc.option(fc.integer({ min: 20200101, max: 20991231 }).map(String), { nil: null }),
      position: fc.record({
        firstSeen: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2099-01-01T00:00:00Z'), noInvalidDate: true })
          .map((date) => `${new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 23)}+08:00`),
        id: fc.stringMatching(/^[0-9]{8}-[A-Za-z0-9_-]{22}$/),
      }),
    });
    fc.assert(
      fc.property(cursor, fc.nat(), anyChar, (list, index, char) => {
        const text = encodeListCursor(list);
        expect(decodeListCursor(text, list)).toEqual(list.position);
        const tampered = tamper(text, index, char);
        fc.pre(tampered !== undefined);
        expect(() => decodeListCursor(tampered as string, list)).toThrow(ValidationError);
      }),
      { numRuns: 300 },
    );
  });
});
