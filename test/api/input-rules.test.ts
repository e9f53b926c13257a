// API.md "Input rules" on the schemas, against an oracle written from the text of the rules: free
// text, the character classes, UTF-8 byte lengths and the bill day, for arbitrary strings.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requestModels } from '../../lib/api/openapi.js';
import { BillParamsSchema, isBillDay, PaymentBodySchema, QueryCardBodySchema } from '../../lib/api/schemas.js';

const payment = { order_no: 'P1', account: '32718', tranamt: '1.00', mercacc: '1001' };

/** The rule as API.md words it, independent of the schema's regexes. */
function freeTextAllowed(value: string, maxBytes: number): boolean {
  if (value.length === 0 || !(value as string & { isWellFormed(): boolean }).isWellFormed()) return false;
  if (value.trim() !== value) return false;
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return new TextEncoder().encode(value).length <= maxBytes;
}

const awkward = fc.constantFrom('a', 'Z', '9', ' ', '\t', '\u00a0', '\u3000', '\u0085', '\u007f', '\u0001', '账', '😀', '\ud800', '\udfff', ',', '-', '_', '#', 'é');
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 140 }), fc.array(awkward, { maxLength: 140 }).map((chars) => chars.join('')));

describe('free text (remark, attach, id, pwd)', () => {
  it('accepts exactly what the rules allow (3,000 runs)', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('remark', 'attach'), (value, field) => {
        expect(PaymentBodySchema.safeParse({ ...payment, [field]: value }).success, JSON.stringify(value)).toBe(freeTextAllowed(value, 128));
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(text, fc.constantFrom('id', 'pwd'), (value, field) => {
        const body = { idtype: 'sno', id: '2015032718', [field]: value };
        expect(QueryCardBodySchema.safeParse(body).success, JSON.stringify(value)).toBe(freeTextAllowed(value, 32));
      }),
      { numRuns: 2_000 },
    );
  });

  it('says bytes when a value fits in characters but not in bytes', () => {
    const result = PaymentBodySchema.safeParse({ ...payment, remark: '账'.repeat(43) });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toContain('must be at most 128 bytes (UTF-8)');
  });
});

describe('character classes', () => {
  const classText = fc.array(awkward, { minLength: 0, maxLength: 12 }).map((chars) => chars.join(''));
  it('account and mercacc: 1–10 of [0-9A-Za-z]; acctype: ### or 1–3 of them (3,000 runs)', () => {
    const alnum = (value: string, max: number) => value.length >= 1 && value.length <= max && [...value].every((char) => /[0-9A-Za-z]/.test(char) && char.length === 1);
    fc.assert(
      fc.property(fc.oneof(classText, fc.string({ maxLength: 12 })), fc.constantFrom('account', 'mercacc', 'acctype'), (value, field) => {
        const expected = field === 'acctype' ? value === '###' || alnum(value, 3) : alnum(value, 10);
        expect(PaymentBodySchema.safeParse({ ...payment, [field]: value }).success, `${field}=${JSON.stringify(value)}`).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('bill_date', () => {
  const day = 24 * 3600 * 1000;
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
  it('is a real day from 20000101 to today, China date (2,000 runs)', () => {
    const today = '20261201';
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), (ms) => {
        const value = date(ms);
        expect(isBillDay(value, today)).toBe(value >= '20000101' && value <= today);
      }),
      { numRuns: 2_000 },
    );
    for (const impossible of ['20230229', '20261301', '20260431', '20000100']) expect(isBillDay(impossible, today)).toBe(false);
  });

  it('the schema reads today from the clock: today passes, tomorrow does not', () => {
    const chinaToday = date(Date.now() + 8 * 3600 * 1000);
    const chinaTomorrow = date(Date.now() + 8 * 3600 * 1000 + day);
    expect(BillParamsSchema.safeParse({ bill_date: chinaToday }).success).toBe(true);
    expect(BillParamsSchema.safeParse({ bill_date: chinaTomorrow }).success).toBe(false);
    expect(BillParamsSchema.safeParse({ bill_date: '19991231' }).success).toBe(false);
  });
});

describe('the API Gateway request models say what a JSON Schema can', () => {
  type Property = { pattern?: string; maxLength?: number; allOf?: { pattern: string }[] };
  const properties = (routeKey: string) =>
    (requestModels().find((model) => model.routeKey === routeKey)?.schema as { properties: Record<string, Property> }).properties;
  const holds = (property: Property | undefined, value: string): boolean => {
    const patterns = [property?.pattern, ...(property?.allOf ?? []).map((entry) => entry.pattern)].filter((p): p is string => p !== undefined);
    return patterns.every((pattern) => new RegExp(pattern).test(value)) && value.length <= (property?.maxLength ?? Infinity);
  };

  it('character classes, control characters and surrounding whitespace, in every body model', () => {
    const pay = properties('POST /v1/payments');
    expect(holds(pay.account, '32718')).toBe(true);
    for (const bad of [' 32719', '1,2', '☕☕☕', '12345678901']) expect(holds(pay.account, bad), bad).toBe(false);
    for (const bad of ['1001 ', '10,01']) expect(holds(pay.mercacc, bad), bad).toBe(false);
    expect(holds(pay.acctype, '###')).toBe(true);
    expect(holds(pay.acctype, '0 1')).toBe(false);
    expect(holds(pay.remark, 'lunch, 2 people')).toBe(true);
    for (const bad of [' x', 'x\t', 'a\u0085b', 'a\u0001b']) expect(holds(pay.remark, bad), JSON.stringify(bad)).toBe(false);
    const card = properties('POST /v1/cards/query');
    expect(holds(card.id, '2015032718 ')).toBe(false);
    expect(holds(card.pwd, ' 123456')).toBe(false);
    const refund = properties('POST /v1/refunds');
    expect(holds(refund.refund_order_no, 'a,b')).toBe(false);
  });
});
