// The fast paths of reading a bill: BillParser's usual-row match and its general path (line by line) against a plain
// reference reading of the bill rules, for generated bills with whitespace around fields, CJK, commas in attach,
// continuation lines, blank lines, CR/LF/CRLF, bad fields, and any chunking; BillTextDecoder's ASCII chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { BillTextDecoder } from '../../lib/protocol/bill-decode.js';
import { BillParser } from '../../lib/protocol/bill-parser.js';
import { BillEncodingRestart, GarbledResponseError } from '../../lib/protocol/errors.js';
import { formatYuan, parseSignedYuan } from '../../lib/protocol/money.js';
import { compactChinaTimeToIso } from '../../lib/protocol/timestamp.js';
import type { BillRow } from '../../lib/platform/types.js';

type Outcome = { rows: BillRow[]; count: number; totalFen: number } | { error: string };

/** The rules read plainly: whole text, split lines, join continuations, split on commas, trim; `footer` false: rows only. */
function reference(text: string, checkFooter = true): Outcome {
  const corrupt = (reason: string): Outcome => ({ error: `bill is corrupt: ${reason}` });
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n').split('\n');
  const rows: BillRow[] = [];
  let pending: { text: string; line: number } | undefined;
  let sawHeader = false;
  let sawContent = false;
  let footerMarker = false;
  let footer: { text: string; line: number } | undefined;
  const close = (): string | undefined => {
    if (!pending) return undefined;
    const { text: row, line } = pending;
    pending = undefined;
    const fields = row.split(',');
    if (fields.length < 10) return `line ${line} has ${fields.length} fields, expected 10`;
    const [time, account, acctype, mercacc, outId, orderNo, tradeType, orderStatus, amount] = fields.slice(0, 9).map((f) => f.trim());
    let amountFen: number;
    try {
      amountFen = parseSignedYuan(amount!, 'amount');
    } catch {
      return `line ${line} has a bad amount`;
    }
    let tradeTime: string;
    try {
      tradeTime = compactChinaTimeToIso(time!);
    } catch {
      return `line ${line} has a bad trade time`;
    }
    rows.push({ tradeTime, account: account!, acctype: acctype!, mercacc: mercacc!, outId: outId!, orderNo: orderNo!, tradeType: tradeType!, orderStatus: orderStatus!, amountFen, attach: fields.slice(9).join(',') });
    return undefined;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i]!;
    const line = i + 1;
    if (raw.trim() === '') continue;
    if (footer) return corrupt(`unexpected content after the footer on line ${line}`);
    if (footerMarker) {
      footer = { text: raw.trim(), line };
      continue;
    }
    if (raw.startsWith(',')) {
      if (!pending) return corrupt(`line ${line} continues a row that does not exist`);
      pending.text += raw;
      continue;
    }
    const bad = close();
    if (bad) return corrupt(bad);
    if (raw.startsWith('#')) {
      if (!sawHeader && !sawContent) sawHeader = true;
      else footerMarker = true;
      continue;
    }
    sawContent = true;
    pending = { text: raw, line };
  }
  const bad = close();
  if (bad) return corrupt(bad);
  if (!checkFooter) return { rows, count: rows.length, totalFen: 0 };
  if (!footer) return corrupt('the footer (count,total) is missing');
  const match = /^(\d{1,9})\s*,\s*(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(footer.text);
  if (!match) return corrupt(`the footer on line ${footer.line} is not "count,total"`);
  const magnitude = Number(match[3]) * 100 + Number((match[4] ?? '').padEnd(2, '0'));
  const totalFen = match[2] === '-' && magnitude !== 0 ? -magnitude : magnitude;
  const sum = rows.reduce((total, row) => total + row.amountFen, 0);
  if (rows.length !== Number(match[1])) return corrupt(`the footer says ${match[1]} rows, found ${rows.length}`);
  if (sum !== totalFen) return corrupt(`the footer says ${formatYuan(totalFen)} yuan, rows add up to ${formatYuan(sum)}`);
  return { rows, count: rows.length, totalFen };
}

function parsed(chunks: readonly string[]): Outcome {
  const parser = new BillParser();
  const rows: BillRow[] = [];
  try {
    for (const chunk of chunks) rows.push(...parser.push(chunk));
    const last = parser.end();
    rows.push(...last.rows);
    return { rows, count: last.footer.count, totalFen: last.footer.totalFen };
  } catch (error) {
    if (!(error instanceof GarbledResponseError)) throw error;
    return { error: error.message };
  }
}

function cut(text: string, offsets: readonly number[]): string[] {
  const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let at = 0;
  for (const point of [...points, text.length]) {
    chunks.push(text.slice(at, point));
    at = point;
  }
  return chunks;
}

const space = fc.constantFrom(' ', '\t', '\u3000', '\u00a0', '\ufeff', '\u2028');
const padded = (value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: fc.tuple(space, value, fc.constantFrom('', ' ')).map(([a, v, b]) => a + v + b) });
const clean = fc.oneof(fc.stringMatching(/^[0-9A-Za-z#]{0,8}$/), fc.constantFrom('食堂', 'a b', '###', '01', '60'));
/** Mostly valid values (so that rows are compared), a bad one now and then (so that every error path is). */
const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: bad });
const day = mostly(fc.constantFrom('20261126', '20261127', '20240229'), fc.constantFrom('20260229', '20261131'));
const clock = mostly(fc.constantFrom('000000', '000001', '120000', '235959'), fc.constantFrom('240000', '126000'));
const time = mostly(
  fc.tuple(day, clock).map(([d, c]) => d + c),
  fc.constantFrom('', '2026112612000', '202611261200000', 'x0261126120000'),
);
const amount = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: -9_999_999_999, max: 9_999_999_999 }).map(formatYuan) },
  { weight: 3, arbitrary: fc.constantFrom('1.5', '007.00', '12', '99999999.99', '-0.00', '0.1') },
  { weight: 1, arbitrary: fc.constantFrom('100000000.00', '1.234', 'abc', '', '1..00') },
);
const attach = fc.constantFrom('', 'a,b,c', '食堂, 2 号窗口', ' spaced ', ',', 'x\u3000', '#1', '9');
const rowText = fc
  .tuple(padded(time), fc.array(padded(clean), { minLength: 7, maxLength: 7 }), padded(amount), attach, fc.integer({ min: 0, max: 59 }))
  .map(([t, middle, a, rest, drop]) => {
    const fields = [t, ...middle, a];
    // Now and then a field short (the field-count error).
    return `${(drop === 0 ? fields.slice(1) : fields).join(',')},${rest}`;
  });
/** A row's physical lines: whole, or broken before one of its commas (a continuation line), blank lines maybe between. */
const physical = fc.tuple(rowText, fc.nat(), fc.constantFrom(0, 0, 1, 2), fc.constantFrom('', '  ', '\t')).map(([row, at, mode, blank]) => {
  if (mode === 0) return [row];
  const commas = [...row.matchAll(/,/g)].map((m) => m.index!);
  const split = commas[at % commas.length]!;
  return mode === 1 ? [row.slice(0, split), row.slice(split)] : [row.slice(0, split), blank, row.slice(split)];
});
const billText = fc
  .tuple(
    fc.array(fc.oneof({ weight: 30, arbitrary: physical }, { weight: 3, arbitrary: fc.constantFrom([''], ['   ']) }, { weight: 1, arbitrary: fc.constant([',orphan']) }), { maxLength: 25 }),
    fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
    fc.boolean(),
    fc.constantFrom('', '', '\n', '\n', '\n\n', '\nextra\n'),
  )
  .map(([groups, endings, bom, header, tail]) => {
    const body = groups.flat();
    const draft = reference(`#h\n${body.join('\n')}\n`, false);
    const footer = 'rows' in draft ? `${draft.rows.length},${formatYuan(draft.rows.reduce((s, r) => s + r.amountFen, 0))}` : '1,1.00';
    const lines = [...(header ? ['#header'] : []), ...body, '#footer', footer];
    const text = lines.map((line, i) => line + endings[i % endings.length]!).join('');
    return (bom ? '\ufeff' : '') + text.replace(/\n$/, '') + tail;
  });

describe('BillParser fast and general paths', () => {
  it('read generated bills as the plain reading does, whole, in 1-character chunks and in any chunking (property)', () => {
    fc.assert(
      fc.property(billText, fc.array(fc.nat(), { maxLength: 12 }), (text, offsets) => {
        const expected = reference(text);
        expect(parsed([text])).toEqual(expected); // mostly the fast path
        expect(parsed([...text])).toEqual(expected); // only the general path: a line is never followed in its chunk
        expect(parsed(cut(text, offsets))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('generates bills that mostly parse, so the rows are really compared', () => {
    const samples = fc.sample(billText, { numRuns: 300, seed: 11 });
    const ok = samples.filter((text) => 'rows' in reference(text));
    expect(ok.length).toBeGreaterThan(100);
    expect(ok.some((text) => (reference(text) as { rows: BillRow[] }).rows.length > 5)).toBe(true);
  });

  it('gives the next day its own date when only the time of day repeats', () => {
    const text = '#h\n20261126120000,a,b,c,d,e,01,60,1.00,\n20261127120000,a,b,c,d,e,01,60,1.00,\n20261127120000,a,b,c,d,e,01,60,1.00,\n#f\n3,3.00\n';
    expect(parsed([text])).toEqual(reference(text));
    expect((parsed([text]) as { rows: BillRow[] }).rows.map((row) => row.tradeTime)).toEqual([
      '2026-11-26T12:00:00+08:00',
      '2026-11-27T12:00:00+08:00',
      '2026-11-27T12:00:00+08:00',
    ]);
  });

  it('refuses an empty trade time even on the first row', () => {
    for (const [text, line] of [[' ,a,b,c,d,e,01,60,1.00,\n#f\n1,1.00\n', 1], ['#h\n  ,a,b,c,d,e,01,60,1.00,\n#f\n1,1.00\n', 2]] as const) {
      expect(parsed([text])).toEqual({ error: `bill is corrupt: line ${line} has a bad trade time` });
      expect(reference(text)).toEqual(parsed([text]));
    }
  });
});

describe('BillTextDecoder ASCII chunks', () => {
  const piece = fc.constantFrom('a', ',', '\n', '0', '食', '堂', '😀', '\ufeff', 'é', ' ');
  const cutBytes = (bytes: Buffer, offsets: readonly number[]): Buffer[] => {
    const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
    return [...points, bytes.length].map((point, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], point));
  };

  it('gives the text back in any chunking, a leading BOM dropped, ASCII runs or not (property)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[ -~\n]{0,40}$/) }, { weight: 1, arbitrary: piece })), fc.array(fc.nat(), { maxLength: 10 }), (bom, parts, offsets) => {
        const text = parts.join('');
        const decoder = new BillTextDecoder();
        const out = cutBytes(Buffer.from((bom ? '\ufeff' : '') + text, 'utf8'), offsets).map((chunk) => decoder.push(chunk)).join('') + decoder.end();
        // Without the flag, a text of its own starting with U+FEFF starts with a BOM too.
        expect(out).toBe(bom ? text : text.replace(/^\ufeff/, ''));
        expect(decoder.encoding).toBe('utf-8');
      }),
      { numRuns: 300 },
    );
  });

  it('switches to GBK after ASCII-only chunks, and asks for a restart after a non-ASCII one', () => {
    const gbk = iconv.encode('交易', 'gbk');
    const ascii = new BillTextDecoder();
    expect(ascii.push(Buffer.from('#abc\n')) + ascii.push(gbk) + ascii.end()).toBe('#abc\n交易');
    expect(ascii.encoding).toBe('gbk');
    const mixed = new BillTextDecoder();
    expect(mixed.push(Buffer.from('#é\n'))).toBe('#é\n');
    expect(mixed.push(Buffer.from('abc'))).toBe('abc');
    expect(() => mixed.push(gbk)).toThrow(BillEncodingRestart);
  });
});
