// Yuan ⇄ fen: exact for every two-decimal amount, strict about everything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoneyFormatError } from '../../lib/protocol/errors.js';
import { MAX_FEN, formatYuan, parseFenString, parseSignedYuan, parseYuan } from '../../lib/protocol/money.js';

const anyFen = fc.integer({ min: 1, max: MAX_FEN });

/** An independent decimal rendering: integer division on BigInt. */
function referenceYuan(fen: number): string {
  const big = BigInt(fen);
  const cents = big % 100n;
  return `${big / 100n}.${cents < 10n ? '0' : ''}${cents}`;
}

describe('parseYuan', () => {
  it('is exact for every two-decimal value, as a string', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        expect(parseYuan(referenceYuan(fen))).toBe(fen);
      }),
      { numRuns: 2000 },
    );
  });

  it('is exact for every two-decimal value given as a JS number', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        expect(parseYuan(Number(referenceYuan(fen)), 'tranamt')).toBe(fen);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts the forms the platform and clients send', () => {
    expect(parseYuan('10')).toBe(1000);
    expect(parseYuan('10.5')).toBe(1050);
    expect(parseYuan('10.50')).toBe(1050);
    expect(parseYuan('100.0')).toBe(10000);
    expect(parseYuan(10.5)).toBe(1050);
    expect(parseYuan(0.01)).toBe(1);
  });

  it('every one- and two-decimal spelling of the same amount parses the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 0, max: 9 }), (whole, tenth) => {
        const fen = whole * 100 + tenth * 10;
        expect(parseYuan(`${whole}.${tenth}`)).toBe(fen);
        expect(parseYuan(`${whole}.${tenth}0`)).toBe(fen);
        if (tenth === 0) expect(parseYuan(String(whole))).toBe(fen);
      }),
    );
  });

  it.each([
    ['10.001', /at most two decimals/],
    ['0.005', /at most two decimals/],
    ['0', /at least 0.01/],
    ['0.00', /at least 0.01/],
    ['-1', /negative/],
    ['-0.01', /negative/],
    ['1e3', /exponent/],
    ['1E3', /exponent/],
    ['', /empty/],
    ['   ', /empty/],
    ['100000000.00', /99999999.99/],
    ['99999999999999999999', /99999999.99/],
    ['abc', /not a yuan amount/],
    ['1,000.00', /not a yuan amount/],
    ['.5', /not a yuan amount/],
    ['10.', /not a yuan amount/],
    ['+10', /not a yuan amount/],
    ['0x10', /not a yuan amount/],
  ])('rejects %j naming the field', (input, message) => {
    let caught: unknown;
    try {
      parseYuan(input, 'tranamt');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MoneyFormatError);
    const error = caught as MoneyFormatError;
    expect(error.field).toBe('tranamt');
    expect(error.message).toContain('tranamt');
    expect(error.message).toMatch(message);
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [-1], [0], [1e21], [1e-7], [10.001], [0.1 + 0.2]])(
    'rejects the number %d',
    (input) => {
      expect(() => parseYuan(input, 'tranamt')).toThrow(MoneyFormatError);
    },
  );

  it('rejects anything with more than two decimals (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.stringMatching(/^\d{3,6}$/), (whole, fraction) => {
        expect(() => parseYuan(`${whole}.${fraction}`)).toThrow(MoneyFormatError);
      }),
    );
  });
});

describe('formatYuan', () => {
  it('formatYuan ∘ parseYuan is the identity on canonical strings, and the inverse on fen', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        const text = formatYuan(fen);
        expect(text).toBe(referenceYuan(fen));
        expect(formatYuan(parseYuan(text))).toBe(text);
        expect(parseYuan(text)).toBe(fen);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats with exactly two decimals, negatives too', () => {
    expect(formatYuan(1000)).toBe('10.00');
    expect(formatYuan(1)).toBe('0.01');
    expect(formatYuan(0)).toBe('0.00');
    expect(formatYuan(-50)).toBe('-0.50');
    expect(formatYuan(-12345)).toBe('-123.45');
    expect(formatYuan(MAX_FEN)).toBe('99999999.99');
  });

  it('refuses non-integer fen', () => {
    expect(() => formatYuan(10.5)).toThrow(MoneyFormatError);
    expect(() => formatYuan(Number.NaN)).toThrow(MoneyFormatError);
  });
});

describe('parseSignedYuan', () => {
  it('accepts zero and negatives, exactly', () => {
    expect(parseSignedYuan('0')).toBe(0);
    expect(parseSignedYuan('0.00')).toBe(0);
    expect(parseSignedYuan('-1.5')).toBe(-150);
    expect(parseSignedYuan('24.00')).toBe(2400);
    fc.assert(fc.property(fc.integer({ min: -MAX_FEN, max: MAX_FEN }), (fen) => {
      expect(parseSignedYuan(formatYuan(fen))).toBe(fen);
    }));
  });
  it('still refuses more than two decimals and exponents', () => {
    expect(() => parseSignedYuan('1.234')).toThrow(MoneyFormatError);
    expect(() => parseSignedYuan('1e2')).toThrow(MoneyFormatError);
  });
});

describe('parseFenString', () => {
  it('reads the integer fen the platform sends', () => {
    expect(parseFenString('10000')).toBe(10000);
    expect(parseFenString('0')).toBe(0);
    expect(parseFenString('-5')).toBe(-5);
    expect(parseFenString(42)).toBe(42);
    expect(parseFenString(' 7 ')).toBe(7);
  });
  it.each([['1.5'], ['abc'], [''], ['1e3'], [1.5], ['99999999999999999999']])('rejects %j', (input) => {
    expect(() => parseFenString(input, 'db_balance')).toThrow(/db_balance/);
  });
});
