// The bill format: the spec's own sample (broken lines and all), generated bills through
// formatBill (attach with commas, CRLF), footer disagreement, DES decryption and GBK text.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBillText, decryptBill, formatBill, parseBill } from '../../lib/protocol/bill.js';
import { desEcbEncryptNoPadding } from '../../lib/protocol/crypto.js';
import { GarbledResponseError } from '../../lib/protocol/errors.js';
import type { BillRow } from '../../lib/platform/types.js';
import { forgeDesEcb } from './forge-reference.js';

const sample = readFileSync(new URL('../fixtures/spec-bill-sample.txt', import.meta.url), 'utf8');

function corruptMessage(text: string): string {
  try {
    parseBill(text);
  } catch (error) {
    expect(error).toBeInstanceOf(GarbledResponseError);
    return (error as Error).message;
  }
  throw new Error('expected the bill to be rejected');
}

describe('the spec sample', () => {
  it('keeps the broken lines as the spec shows them', () => {
    expect(sample.split('\n').filter((line) => line.startsWith(',1.00,attach'))).toHaveLength(17);
  });

  it('parses to 24 rows totalling 24.00', () => {
    const bill = parseBill(sample);
    expect(bill.count).toBe(24);
    expect(bill.rows).toHaveLength(24);
    expect(bill.totalFen).toBe(2400);
    expect(bill.rows.every((row) => row.amountFen === 100 && row.attach === 'attach' && row.orderStatus === '60')).toBe(true);
    expect(bill.rows[0]).toEqual({
      tradeTime: '2016-05-12T19:01:07+08:00',
      account: '101987',
      acctype: '###',
      mercacc: '0',
      outId: '201605120013176143',
      orderNo: '201605121841211150',
      tradeType: '01',
      orderStatus: '60',
      amountFen: 100,
      attach: 'attach',
    });
    expect(bill.rows[7]?.orderNo).toBe('201605121911261160'); // the first broken row
    expect(bill.rows[23]?.orderNo).toBe('201605121957201179');
  });

  it('parses the same with CRLF line ends and without blank lines', () => {
    expect(parseBill(sample.replace(/\n/g, '\r\n'))).toEqual(parseBill(sample));
    expect(parseBill(sample.replace(/\n+/g, '\n'))).toEqual(parseBill(sample));
  });

  it('is rejected when a row is lost or an amount changes', () => {
    const lines = sample.split('\n');
    const withoutRow = lines.filter((line) => !line.startsWith('20160512190606')).join('\n');
    expect(corruptMessage(withoutRow)).toMatch(/^bill is corrupt: the footer says 24 rows, found 23/);
    expect(corruptMessage(sample.replace('1.00,attach', '2.00,attach'))).toMatch(/^bill is corrupt: the footer says 24.00 yuan/);
    expect(corruptMessage(sample.replace('24,24.00', '24,24.01'))).toMatch(/^bill is corrupt/);
    expect(corruptMessage(sample.replace(/#总行数[^]*$/, ''))).toMatch(/^bill is corrupt: the footer/);
    expect(corruptMessage(`${sample}garbage\n`)).toMatch(/^bill is corrupt: unexpected content/);
  });
});

const field = (max: number) => fc.stringMatching(new RegExp(`^[0-9A-Za-z#]{1,${max}}$`));
const row: fc.Arbitrary<BillRow> = fc.record({
  tradeTime: fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')),
  account: field(10),
  acctype: field(3),
  mercacc: field(10),
  outId: field(24),
  orderNo: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
  tradeType: fc.constantFrom('01', '02'),
  orderStatus: fc.constantFrom('20', '60', '77', '80'),
  amountFen: fc.integer({ min: 1, max: 9_999_999_999 }),
  attach: fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, '')),
});

describe('formatBill → parseBill', () => {
  it('round-trips generated bills, attach with commas included, LF or CRLF (property)', () => {
    const attachWithCommas = fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }).map((parts) =>
      parts.join(',').replace(/[\r\n]/g, ''),
    );
    const rows = fc.array(
      fc.tuple(row, fc.option(attachWithCommas)).map(([r, attach]) => (attach === null ? r : { ...r, attach })),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(rows, fc.constantFrom('\n' as const, '\r\n' as const), (generated, lineEnding) => {
        const text = formatBill(generated, { lineEnding });
        const bill = parseBill(text);
        const expected = generated.map((r) => ({ ...r, tradeTime: r.tradeTime.replace(/^.*$/, (iso) => toChinaIsoSeconds(iso)) }));
        expect(bill.rows).toEqual(expected);
        expect(bill.count).toBe(generated.length);
        expect(bill.totalFen).toBe(generated.reduce((sum, r) => sum + r.amountFen, 0));
      }),
      { numRuns: 200 },
    );
  });

  it('writes attach with commas verbatim and flattens line breaks in it', () => {
    const base: BillRow = {
      tradeTime: '2026-11-26T08:00:00+08:00', account: '1', acctype: '###', mercacc: '2', outId: '3', orderNo: '4',
      tradeType: '01', orderStatus: '60', amountFen: 1050, attach: 'a,b,,c, d',
    };
    const text = formatBill([base, { ...base, attach: 'x\r\ny' }], { lineEnding: '\r\n' });
    expect(text).toContain('20261126080000,1,###,2,3,4,01,60,10.50,a,b,,c, d\r\n');
    expect(text.endsWith('#总行数,总金额\r\n2,21.00\r\n')).toBe(true);
    expect(parseBill(text).rows.map((r) => r.attach)).toEqual(['a,b,,c, d', 'x  y']);
  });

  it('an empty day is a valid bill', () => {
    expect(parseBill(formatBill([]))).toEqual({ rows: [], count: 0, totalFen: 0 });
  });

  it('rejects a generated bill whose footer disagrees (property)', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 1000 }), (rows, delta) => {
        const text = formatBill(rows);
        const total = rows.reduce((sum, r) => sum + r.amountFen, 0);
        const badTotal = text.replace(/\n(\d+),([\d.]+)\n$/, (_, count: string) => `\n${count},${((total + delta) / 100).toFixed(2)}\n`);
        expect(() => parseBill(badTotal)).toThrow(/^bill is corrupt/);
        const badCount = text.replace(/\n(\d+),([\d.]+)\n$/, (_, count: string, sum: string) => `\n${Number(count) + 1},${sum}\n`);
        expect(() => parseBill(badCount)).toThrow(/^bill is corrupt/);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects rows with too few fields, bad times or bad amounts', () => {
    const good = formatBill([]).split('\n');
    const make = (line: string) => [good[0], line, good[1], '1,1.00', ''].join('\n');
    expect(corruptMessage(make('20160512190107,101987,###,0,1,2,01,60'))).toMatch(/fields/);
    expect(corruptMessage(make('20161312190107,101987,###,0,1,2,01,60,1.00,a'))).toMatch(/trade time/);
    expect(corruptMessage(make('20160512190107,101987,###,0,1,2,01,60,1.005,a'))).toMatch(/amount/);
    expect(corruptMessage(`,1.00,attach\n${make('x')}`)).toMatch(/continues a row/);
  });
});

/** "…Z" ISO → "…+08:00" without milliseconds, as the parser reports trade times. */
function toChinaIsoSeconds(iso: string): string {
  const china = new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
  return `${china.slice(0, 19)}+08:00`;
}

describe('decryptBill and decodeBillText', () => {
  const key = Buffer.from('8bytekey');

  function encryptBill(text: Buffer): string {
    const padded = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8)]);
    const ours = desEcbEncryptNoPadding(padded, key);
    expect(ours.equals(forgeDesEcb(true, padded, key))).toBe(true);
    return ours.toString('base64');
  }

  it('decrypts a NUL-padded DES-ECB bill, stripping the padding', () => {
    const body = encryptBill(Buffer.from(sample, 'utf8'));
    const text = decryptBill(body, key);
    expect(text).toBe(sample.trimEnd());
    expect(parseBill(text).totalFen).toBe(2400);
    const wrapped = body.replace(/(.{76})/g, '$1\r\n');
    expect(decryptBill(wrapped, key)).toBe(text);
  });

  it('decodes GBK bills', () => {
    const gbkHeader = Buffer.from([0x23, 0xbd, 0xbb, 0xd2, 0xd7]); // "#交易" in GBK
    expect(decodeBillText(gbkHeader)).toBe('#交易');
    const gbkBody = encryptBill(Buffer.concat([gbkHeader, Buffer.from('\n')]));
    expect(decryptBill(gbkBody, key)).toBe('#交易');
    expect(decodeBillText(Buffer.from('\ufeff#x', 'utf8'))).toBe('#x');
  });

  it('refuses bodies that are not whole DES blocks of base64', () => {
    expect(() => decryptBill('签名错误', key)).toThrow(GarbledResponseError);
    expect(() => decryptBill(Buffer.alloc(12).toString('base64'), key)).toThrow(GarbledResponseError);
  });
});
