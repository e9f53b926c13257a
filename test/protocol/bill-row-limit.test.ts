// A bill row may be at most MAX_ROW_CHARS long (continuation lines joined): a longer one is refused as a corrupt
// bill on every path the parser reads a line by (the one-match usual row, the field-by-field row, a line carried
// over chunks, continuation lines), and a body that never ends its line is refused before it is held whole.
import { describe, expect, it } from 'vitest';
import { BILL_FOOTER_HEADER, BILL_HEADER } from '../../lib/protocol/bill.js';
import { BillParser, MAX_ROW_CHARS } from '../../lib/protocol/bill-parser.js';
import { GarbledResponseError } from '../../lib/protocol/errors.js';

/** A row line (no line end) of exactly `length` characters, its attach filling the rest. */
function rowOf(length: number, account = '101987'): string {
  const head = `20260512190107,${account},###,0,201605120013176143,201605121841211150,01,60,1.00,`;
  return head + 'a'.repeat(length - head.length);
}

/** Parses the whole text in chunks of `size` characters. */
function parse(text: string, size = text.length): { rows: number } {
  const parser = new BillParser();
  let rows = 0;
  for (let at = 0; at < text.length; at += size) rows += parser.push(text.slice(at, at + size)).length;
  const end = parser.end();
  return { rows: rows + end.rows.length };
}

const bill = (...rows: string[]): string => `${BILL_HEADER}\n${rows.join('\n')}\n${BILL_FOOTER_HEADER}\n${rows.length},${rows.length}.00\n`;
const tooLong = (line: number | string) => new RegExp(`${typeof line === 'number' ? `line ${line}` : line} is longer than ${MAX_ROW_CHARS} characters`);

describe('the longest bill row', () => {
  it('takes a row of exactly MAX_ROW_CHARS on the usual path, the field-by-field path, and across chunks', () => {
    for (const size of [Number.MAX_SAFE_INTEGER, 1000, 7]) {
      expect(parse(bill(rowOf(MAX_ROW_CHARS), rowOf(100)), size).rows).toBe(2);
      // A space after the account: not the usual shape, read field by field (and trimmed).
      expect(parse(bill(rowOf(MAX_ROW_CHARS, '101987 '), rowOf(100)), size).rows).toBe(2);
      // The last row before the footer marker, and the last line of all.
      expect(parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS)), size).rows).toBe(2);
    }
  });

  it('refuses a row one character longer, naming its line, on each of those paths', () => {
    for (const size of [Number.MAX_SAFE_INTEGER, 1000, 7]) {
      expect(() => parse(bill(rowOf(MAX_ROW_CHARS + 1), rowOf(100)), size)).toThrow(tooLong(2));
      expect(() => parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS + 1, '101987 ')), size)).toThrow(tooLong(3));
      expect(() => parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS + 1)), size)).toThrow(GarbledResponseError);
    }
  });

  it('refuses a row whose continuation lines make it too long, naming the line it starts on', () => {
    const continued = [rowOf(100), ...Array.from({ length: Math.ceil(MAX_ROW_CHARS / 50) + 1 }, () => `,${'c'.repeat(49)}`)].join('\n');
    for (const size of [Number.MAX_SAFE_INTEGER, 333]) expect(() => parse(bill(rowOf(90), continued), size)).toThrow(tooLong('the row of line 3'));
  });

  it('stops reading a line that never ends after little more than MAX_ROW_CHARS, not at the end of the body', () => {
    const parser = new BillParser();
    parser.push(`${BILL_HEADER}\n`);
    const chunk = 'x'.repeat(1024);
    let pushed = 0;
    expect(() => {
      for (; pushed < 100_000; pushed++) parser.push(chunk);
    }).toThrow(tooLong(2));
    expect(pushed * chunk.length).toBeLessThanOrEqual(MAX_ROW_CHARS);
  });
});
