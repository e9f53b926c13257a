// The bill read over chunks: the spec sample in 1-byte and random chunkings (UTF-8 and GBK, crypt 0 and 1,
// LF and CRLF) parses exactly as the whole text does; DES blocks, base64 quads, UTF-8 sequences, CRLF and
// continuation lines split across chunk boundaries; footer mismatch, bad base64 and the GBK restart.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { formatBill, parseBill } from '../../lib/protocol/bill.js';
import { BillBodyDecryptor, BillTextDecoder, type BillEncoding } from '../../lib/protocol/bill-decode.js';
import { BillParser } from '../../lib/protocol/bill-parser.js';
import { desEcbEncryptNoPadding } from '../../lib/protocol/crypto.js';
import { BillEncodingRestart, GarbledResponseError } from '../../lib/protocol/errors.js';
import type { BillRow } from '../../lib/platform/types.js';
import { forgeDesEcb } from './forge-reference.js';

const sample = readFileSync(new URL('../fixtures/spec-bill-sample.txt', import.meta.url), 'utf8');
const key = Buffer.from('0123456789abcdef', 'hex');

/** The body cut at the given offsets (sorted, deduplicated, inside the body). */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(at, point));
    at = point;
  }
  return chunks;
}

function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/** A crypt_type 1 body: NUL-padded, DES-ECB (checked against node-forge), base64. */
function encrypt(plain: Uint8Array): Buffer {
  const text = Buffer.from(plain);
  const padded = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8)]);
  const cipher = desEcbEncryptNoPadding(padded, key);
  expect(cipher.equals(forgeDesEcb(true, padded, key))).toBe(true);
  return Buffer.from(cipher.toString('base64'), 'latin1');
}

/** Body chunks through the pure chunk decoders, as lib/bills/bill-stream.ts composes them. */
function readChunks(chunks: readonly Uint8Array[], crypt: '0' | '1', encoding?: BillEncoding): { rows: BillRow[]; count: number; totalFen: number; encoding: BillEncoding } {
  const decryptor = crypt === '1' ? new BillBodyDecryptor(key) : undefined;
  const decoder = new BillTextDecoder(encoding);
  const parser = new BillParser();
  const rows: BillRow[] = [];
  for (const chunk of chunks) {
    const plain = decryptor ? decryptor.push(chunk) : chunk;
    rows.push(...parser.push(decoder.push(plain)));
  }
  if (decryptor) rows.push(...parser.push(decoder.push(decryptor.end())));
  rows.push(...parser.push(decoder.end()));
  const last = parser.end();
  rows.push(...last.rows);
  return { rows, count: last.footer.count, totalFen: last.footer.totalFen, encoding: decoder.encoding };
}

const variants = [
  { name: 'UTF-8, LF', bytes: Buffer.from(sample, 'utf8'), encoding: 'utf-8' },
  { name: 'UTF-8, CRLF', bytes: Buffer.from(sample.replace(/\n/g, '\r\n'), 'utf8'), encoding: 'utf-8' },
  { name: 'GBK, LF', bytes: iconv.encode(sample, 'gbk'), encoding: 'gbk' },
  { name: 'GBK, CRLF', bytes: iconv.encode(sample.replace(/\n/g, '\r\n'), 'gbk'), encoding: 'gbk' },
] as const;

describe('the spec sample over chunks', () => {
  const whole = parseBill(sample);

  for (const variant of variants) {
    for (const crypt of ['0', '1'] as const) {
      const body = crypt === '1' ? encrypt(variant.bytes) : variant.bytes;

      it(`${variant.name}, crypt ${crypt}: 24 rows / 24.00 in 1-byte chunks`, () => {
        const read = readChunks(oneByteChunks(body), crypt);
        expect(read).toEqual({ rows: whole.rows, count: 24, totalFen: 2400, encoding: variant.encoding });
        expect(read.rows).toHaveLength(24);
      });

      it(`${variant.name}, crypt ${crypt}: the same in any chunking (property)`, () => {
        fc.assert(
          fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
            const read = readChunks(cut(body, offsets), crypt);
            expect(read.rows).toEqual(whole.rows);
            expect([read.count, read.totalFen, read.encoding]).toEqual([24, 2400, variant.encoding]);
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('rejects a footer mismatch in any chunking, crypt 0 and 1 (property)', () => {
    const lostRow = sample.split('\n').filter((line) => !line.startsWith('20160512190606')).join('\n');
    const bytes = Buffer.from(lostRow, 'utf8');
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), fc.constantFrom('0' as const, '1' as const), (offsets, crypt) => {
        const body = crypt === '1' ? encrypt(bytes) : bytes;
        expect(() => readChunks(cut(body, offsets), crypt)).toThrow(/the footer says 24 rows, found 23/);
      }),
      { numRuns: 40 },
    );
  });
});

describe('generated bills over chunks', () => {
  const rowArbitrary = fc.record({
    tradeTime: fc.integer({ min: 0, max: 86_399 }).map((s) => {
      const p = (n: number) => String(n).padStart(2, '0');
      return `2026-11-26T${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}+08:00`;
    }),
    account: fc.stringMatching(/^[0-9]{1,10}$/),
    acctype: fc.constantFrom('###', '001'),
    mercacc: fc.stringMatching(/^[0-9]{1,6}$/),
    outId: fc.stringMatching(/^[0-9]{6,20}$/),
    orderNo: fc.stringMatching(/^[A-Za-z0-9]{1,32}$/),
    tradeType: fc.constantFrom('01', '02'),
    orderStatus: fc.constantFrom('60', '77', '80'),
    amountFen: fc.integer({ min: -9_999_999_999, max: 9_999_999_999 }),
    attach: fc.constantFrom('', 'a,b,c', '食堂, 2 号窗口', ' spaced '),
  });

  it('parse exactly as parseBill does, UTF-8 or GBK, crypt 0 or 1, LF or CRLF (property)', () => {
    fc.assert(
      fc.property(
        fc.array(rowArbitrary, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom('\n' as const, '\r\n' as const),
        fc.constantFrom('utf-8' as const, 'gbk' as const),
        fc.constantFrom('0' as const, '1' as const),
        (rows, offsets, lineEnding, encoding, crypt) => {
          const text = formatBill(rows, { lineEnding });
          const bytes = encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from(text, 'utf8');
          const body = crypt === '1' ? encrypt(bytes) : bytes;
          const read = readChunks(cut(body, offsets), crypt);
          expect(read.rows).toEqual(rows);
          expect(read.count).toBe(rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('BillBodyDecryptor', () => {
  it('keeps NULs inside the text and drops only the final padding, whatever the chunking', () => {
    const plain = Buffer.concat([Buffer.from('a\0\0\0\0\0\0\0\0\0b'), Buffer.from('\n')]);
    const body = encrypt(plain);
    for (let size = 1; size <= body.length; size += 3) {
      const decryptor = new BillBodyDecryptor(key);
      const parts: Uint8Array[] = [];
      for (let at = 0; at < body.length; at += size) parts.push(decryptor.push(body.subarray(at, at + size)));
      parts.push(decryptor.end());
      expect(Buffer.concat(parts).equals(plain)).toBe(true);
    }
  });

  it('accepts base64 broken into lines and refuses garbage, early padding and partial blocks', () => {
    const body = encrypt(Buffer.from('hello bill\n')).toString('latin1');
    const wrapped = body.replace(/(.{5})/g, '$1\r\n');
    const decryptor = new BillBodyDecryptor(key);
    const out = Buffer.concat([decryptor.push(wrapped.slice(0, 7)), decryptor.push(wrapped.slice(7)), decryptor.end()]);
    expect(out.toString()).toBe('hello bill\n');

    const fails = (...chunks: string[]): void => {
      const d = new BillBodyDecryptor(key);
      expect(() => {
        for (const chunk of chunks) d.push(chunk);
        d.end();
      }).toThrow(GarbledResponseError);
    };
    fails(body.slice(0, 8), '*', body.slice(8));
    fails(body.slice(0, 8)); // one DES block is 12 base64 characters: 8 leave a partial block
    fails('AAAAAA==', 'AAAA');
    fails(body.slice(0, -1));
    fails(body.slice(0, 8), ' \r\n'); // whitespace after a partial block is still a partial block
  });

  it('decrypts a body that ends in whitespace or is wrapped in lines as it decrypts the bare body, in any chunking (property)', () => {
    // Texts of every length mod 24 bytes: a third of them encrypt to base64 without '=' (the fast path's quads).
    const text = fc.string({ minLength: 1, maxLength: 80, unit: fc.constantFrom('a', 'Z', '0', ',', '\n', '食') });
    const space = fc.constantFrom('', '\n', '\r\n', ' ', '\t', '\r\n\r\n');
    fc.assert(
      fc.property(text, fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }), space, space, fc.array(fc.nat(), { maxLength: 4 }), (plain, wrap, before, after, offsets) => {
        const bytes = Buffer.from(plain, 'utf8');
        const bare = encrypt(bytes).toString('latin1');
        const lines = wrap === undefined ? bare : bare.replace(new RegExp(`(.{${wrap}})`, 'g'), '$1\r\n');
        const body = Buffer.from(`${before}${lines}${after}`, 'latin1');
        const decryptor = new BillBodyDecryptor(key);
        const parts = cut(body, offsets).map((chunk) => decryptor.push(chunk));
        parts.push(decryptor.end());
        expect(Buffer.concat(parts).toString('utf8')).toBe(plain);
      }),
      { numRuns: 500 },
    );
  });
});

describe('BillTextDecoder', () => {
  it('switches to GBK without a restart when only ASCII came before the first invalid sequence', () => {
    const bytes = Buffer.concat([Buffer.from('#'), iconv.encode('交易时间', 'gbk')]);
    const decoder = new BillTextDecoder();
    expect(decoder.push(bytes.subarray(0, 2)) + decoder.push(bytes.subarray(2)) + decoder.end()).toBe('#交易时间');
    expect(decoder.encoding).toBe('gbk');
  });

  it('asks for a restart as GBK when text already given out would read differently', () => {
    // GBK "萌" (C3 C8) is not UTF-8; GBK "莽"? No: C3 A7 is valid UTF-8 ("ç") and GBK "莽".
    const gbk = iconv.encode('莽,萌', 'gbk');
    expect([...gbk.subarray(0, 2)]).toEqual([0xc3, 0xa7]);
    const decoder = new BillTextDecoder();
    expect(decoder.push(gbk.subarray(0, 3))).toBe('ç,');
    expect(() => decoder.push(gbk.subarray(3)) + decoder.end()).toThrow(BillEncodingRestart);
    const again = new BillTextDecoder('gbk');
    expect(again.push(gbk) + again.end()).toBe('莽,萌');
  });

  it('drops a UTF-8 BOM at the start only and keeps sequences split across chunks', () => {
    const bytes = Buffer.from('\ufeff#交易\ufeff', 'utf8');
    const decoder = new BillTextDecoder();
    const text = oneByteChunks(bytes).map((b) => decoder.push(b)).join('') + decoder.end();
    expect(text).toBe('#交易\ufeff');
    expect(decoder.encoding).toBe('utf-8');
  });

  it('treats a sequence cut short by the end as not UTF-8', () => {
    const decoder = new BillTextDecoder();
    expect(decoder.push(Buffer.from([0x41, 0xe4, 0xba])) + decoder.end()).toBe(`A${iconv.decode(Buffer.from([0xe4, 0xba]), 'gbk')}`);
  });
});

describe('BillParser', () => {
  it('joins a continuation line arriving in a later chunk, and only then emits the row', () => {
    const lines = sample.split('\n');
    const broken = lines.findIndex((line) => line.startsWith(',1.00,attach'));
    const parser = new BillParser();
    const before = parser.push(`${lines.slice(0, broken).join('\n')}\n`);
    const brokenRow = parseBill(sample).rows[before.length];
    expect(before.every((row) => row.orderNo !== brokenRow?.orderNo)).toBe(true);
    const after = parser.push(`${lines.slice(broken).join('\n')}`);
    expect(after[0]).toEqual(brokenRow);
    expect(parser.end().footer).toEqual({ count: 24, totalFen: 2400 });
  });

  it('refuses content after the footer and a missing footer', () => {
    const missing = new BillParser();
    missing.push(sample.slice(0, sample.lastIndexOf('#')));
    expect(() => missing.end()).toThrow(/footer \(count,total\) is missing/);
    const extra = new BillParser();
    expect(() => {
      extra.push(`${sample}\n`);
      extra.push('20160512190107,1,###,0,1,X,01,60,1.00,a\n');
    }).toThrow(/after the footer/);
  });
});
