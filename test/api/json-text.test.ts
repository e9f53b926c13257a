// The body reader: what JSON.parse builds for any JSON it accepts, but a repeated member name or a
// number that is not exactly its written decimal is refused, naming the field.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isExactNumber, parseJsonText } from '../../lib/api/json-text.js';
import { PaymentBodySchema } from '../../lib/api/schemas.js';
import { ValidationError } from '../../lib/errors.js';

describe('parseJsonText', () => {
  it('builds what JSON.parse builds for any JSON value, compact or indented (3,000 runs)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 2 : undefined);
        expect(parseJsonText(text)).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses what JSON.parse refuses (2,000 runs of arbitrary text)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        if (!parsed) expect(() => parseJsonText(text)).toThrow(ValidationError);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a member name repeated at any depth, naming its path, also when written with escapes', () => {
    expect(() => parseJsonText('{"a":1,"a":1}')).toThrow('a: the member "a" is repeated');
    expect(() => parseJsonText('{"q":[{"x":1},{"y":1,"y":2}]}')).toThrow('q[1].y: the member "y" is repeated');
    expect(() => parseJsonText('{"ab":1,"\\u0061b":2}')).toThrow('ab: the member "ab" is repeated');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1 }), fc.nat(), (object, pick) => {
        const names = Object.keys(object);
        const name = names[pick % names.length] as string;
        const text = JSON.stringify(object).replace(/}$/, () => `,${JSON.stringify(name)}:null}`);
        expect(() => parseJsonText(text)).toThrow(ValidationError);
      }),
      { numRuns: 1_000 },
    );
  });

  it('keeps __proto__ a plain member, as JSON.parse does', () => {
    const value = parseJsonText('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than 32 levels instead of exhausting the stack', () => {
    expect(() => parseJsonText('['.repeat(10_000))).toThrow(ValidationError);
  });

  it.each([
    ['12.34', true],
    ['12.340', true],
    ['1234e-2', true],
    ['0.1234E2', true],
    ['-0', true],
    ['9007199254740993', false],
    ['12.3400000000000000001', false],
    ['0.009999999999999999999', false],
    ['1e400', false],
    ['1e-999999999', false],
  ])('%s is exact: %s', (written, exact) => {
    expect(isExactNumber(written, Number(written))).toBe(exact);
  });
});

describe('amounts judged by their written decimal, read and validated as the edge does', () => {
  const read = (tranamt: string) => PaymentBodySchema.safeParse(parseJsonText(`{"order_no":"P1","account":"32718","mercacc":"1001","tranamt":${tranamt}}`));
  const readOrRefuse = (tranamt: string): number | 'refused' => {
    try {
      const result = read(tranamt);
      return result.success ? result.data.tranamt : 'refused';
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return 'refused';
    }
  };
  const fen = fc.integer({ min: 1, max: 9_999_999_999 });
  const yuanText = (value: number) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

  it('any amount of at most two decimals is the same fen, as a number or a string, with any trailing zeros or an exponent (2,000 runs)', () => {
    fc.assert(
      fc.property(fen, fc.nat({ max: 20 }), fc.constantFrom('plain', 'zeros', 'exponent', 'string'), (value, zeros, form) => {
        const text = yuanText(value);
        const written =
          form === 'plain' ? text : form === 'zeros' ? `${text}${'0'.repeat(zeros)}` : form === 'exponent' ? `${value}e-2` : JSON.stringify(`${text}`);
        expect(readOrRefuse(written)).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it('any amount with a nonzero digit after the second decimal is refused, however far out (2,000 runs)', () => {
    fc.assert(
      fc.property(fen, fc.nat({ max: 30 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (value, zeros, digit, asString) => {
        const written = `${yuanText(value)}${'0'.repeat(zeros)}${digit}`;
        expect(readOrRefuse(asString ? JSON.stringify(written) : written)).toBe('refused');
      }),
      { numRuns: 2_000 },
    );
  });
});
