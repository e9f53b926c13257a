// A bill row may be at most MAX_ROW_CHARS long (continuation lines joined), each field at most MAX_FIELD_CHARS and
// attach MAX_ATTACH_CHARS: a longer one is refused as a corrupt bill on every path the parser reads a line by (the
// one-match usual row, the field-by-field row, a line carried over chunks, continuation lines), and a body that
// never ends its line is refused before it is held whole.
import { describe, expect, it } from 'vitest';
import { BILL_FOOTER_HEADER, BILL_HEADER } from '../../lib/protocol/bill.js';
import { BillParser, MAX_ATTACH_CHARS, MAX_FIELD_CHARS, MAX_ROW_CHARS } from '../../lib/protocol/bill-parser.js';
import { GarbledResponseError } from '../../lib/protocol/errors.js';

/**
 * A row line (no line end) of exactly `length` characters: spaces before the account fill it (trimmed away, so
 * the row is read field by field and its fields stay short), or its attach does with `{ attach: true }`.
 */
function rowOf(length: number, options: { attach?: boolean; account?: string } = {}): string {
  const account = options.account ?? '101987';
  const head = (pad: string) => `20260512190107,${pad}${account},###,0,201605120013176143,201605121841211150,01,60,1.00,`;
  if (options.attach) return head('') + 'a'.repeat(length - head('').length);
  return head(' '.repeat(length - head('').length));
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
  it('takes a row of exactly MAX_ROW_CHARS, first, last and across chunks', () => {
    for (const size of [Number.MAX_SAFE_INTEGER, 1000, 7]) {
      expect(parse(bill(rowOf(MAX_ROW_CHARS), rowOf(100)), size).rows).toBe(2);
      // The last row before the footer marker, and the last line of all.
      expect(parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS)), size).rows).toBe(2);
    }
  });

  it('takes a row of exactly MAX_ROW_CHARS whose CRLF is split between chunks (the CR held is not the row\'s)', () => {
    const parser = new BillParser();
    expect(parser.push(`${BILL_HEADER}\r\n${rowOf(MAX_ROW_CHARS)}\r`)).toEqual([]);
    const rows = parser.push(`\n${BILL_FOOTER_HEADER}\r\n1,1.00\r\n`);
    expect([...rows, ...parser.end().rows]).toHaveLength(1);
  });

  it('refuses a row one character longer, naming its line, on the usual path, the field-by-field path and across chunks', () => {
    for (const size of [Number.MAX_SAFE_INTEGER, 1000, 7]) {
      // A long attach: the usual shape, matched in one go.
      expect(() => parse(bill(rowOf(MAX_ROW_CHARS + 1, { attach: true }), rowOf(100)), size)).toThrow(tooLong(2));
      expect(() => parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS + 1)), size)).toThrow(tooLong(3));
      expect(() => parse(bill(rowOf(100), rowOf(MAX_ROW_CHARS + 1, { attach: true })), size)).toThrow(GarbledResponseError);
    }
  });

  it('takes each field at its longest and refuses it one character longer, naming the field, on both paths', () => {
    const names = ['account', 'acctype', 'mercacc', 'out_id', 'order_no', 'trade_type', 'order_status'];
    const fields = ['101987', '###', '0', '201605120013176143', '201605121841211150', '01', '60'];
    const line = (index: number, length: number, padded: boolean): string => {
      const values = fields.map((value, i) => (i === index ? value.padEnd(length, 'x') : value));
      // Padded: a space before the first field, so the row is read field by field.
      return `20260512190107,${padded ? ' ' : ''}${values.join(',')},1.00,attach`;
    };
    for (const padded of [false, true]) {
      for (const [index, name] of names.entries()) {
        // Not a usual trade type or status: parsed all the same (the reconciliation judges them).
        expect(parse(bill(line(index, MAX_FIELD_CHARS, padded))).rows).toBe(1);
        expect(() => parse(bill(rowOf(100), line(index, MAX_FIELD_CHARS + 1, padded)))).toThrow(
          new RegExp(`line 3 has a ${name} longer than ${MAX_FIELD_CHARS} characters`),
        );
      }
      const attach = (length: number) => `20260512190107,${padded ? ' ' : ''}101987,###,0,1,2,01,60,1.00,${'食'.repeat(length)}`;
      expect(parse(bill(attach(MAX_ATTACH_CHARS))).rows).toBe(1);
      expect(() => parse(bill(attach(MAX_ATTACH_CHARS + 1)))).toThrow(new RegExp(`line 2 has an attach longer than ${MAX_ATTACH_CHARS} characters`));
    }
    // An attach made long by continuation lines (each adds a comma and its text to it).
    const continued = [rowOf(100), ...Array.from({ length: 11 }, () => `,${'c'.repeat(49)}`)].join('\n');
    expect(() => parse(bill(continued))).toThrow(/line 2 has an attach longer than/);
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
