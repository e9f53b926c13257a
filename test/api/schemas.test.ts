// The request schemas keep the spec's limits: strict objects, order_no, yuan amounts, enums,
// bill dates; and no input makes them throw instead of reporting a problem.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BillParamsSchema,
  BillQuerySchema,
  isCalendarDate,
  OrderParamsSchema,
  PayQueryBodySchema,
  PaymentBodySchema,
  QueryCardBodySchema,
  RefundBodySchema,
} from '../../lib/api/schemas.js';
import { describeZodError } from '../../lib/presenters/zod-message.js';

const payment = { order_no: 'A-1_b', account: '32718', tranamt: '10.50', mercacc: '1001' };

describe('PaymentBodySchema', () => {
  it('accepts the minimal body and fills acctype ###, tranamt in fen', () => {
    expect(PaymentBodySchema.parse(payment)).toEqual({ ...payment, acctype: '###', tranamt: 1050 });
  });

  it.each([
    ['10', 1000],
    ['10.5', 1050],
    ['10.50', 1050],
    [10.5, 1050],
    [0.01, 1],
    ['99999999.99', 9_999_999_999],
  ])('accepts the amount %j as %d fen', (tranamt, fen) => {
    expect(PaymentBodySchema.parse({ ...payment, tranamt }).tranamt).toBe(fen);
  });

  it.each(['10.505', '0', '0.00', '-1', '1e3', '', ' 10', '10.', '.5', 'ten', '100000000.00', 10.505, 0, -5, 1e9])(
    'rejects the amount %j',
    (tranamt) => {
      expect(PaymentBodySchema.safeParse({ ...payment, tranamt }).success).toBe(false);
    },
  );

  it.each([
    ['order_no', ''],
    ['order_no', 'x'.repeat(33)],
    ['order_no', 'has space'],
    ['order_no', '订单'],
    ['account', '12345678901'],
    ['mercacc', '12345678901'],
    ['acctype', '####'],
    ['remark', 'r'.repeat(129)],
    ['attach', 'line\nbreak'],
    ['termid', 0],
    ['termid', 10_000],
    ['termid', 1.5],
    ['termid', '12'],
  ])('rejects %s = %j', (field, value) => {
    expect(PaymentBodySchema.safeParse({ ...payment, [field]: value }).success).toBe(false);
  });

  it.each([
    ['1.234', 'tranamt: amount must have at most two decimals'],
    [1.234, 'tranamt: amount must have at most two decimals'],
    ['-1', 'tranamt: amount must not be negative'],
    ['0.00', 'tranamt: amount must be at least 0.01'],
    [0, 'tranamt: amount must be at least 0.01'],
    ['123456789', 'tranamt: amount exceeds 99999999.99 yuan'],
    ['', 'tranamt: amount is empty'],
  ])('explains why the amount %j is refused, naming the field', (tranamt, message) => {
    const result = PaymentBodySchema.safeParse({ ...payment, tranamt });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeZodError(result.error)).toBe(message);
  });

  it('accepts every optional field at its limit', () => {
    const body = { ...payment, order_no: 'x'.repeat(32), acctype: '001', remark: 'r'.repeat(128), attach: 'a,b,c', termid: 9999 };
    expect(PaymentBodySchema.parse(body).termid).toBe(9999);
  });

  it('rejects an unknown field', () => {
    const result = PaymentBodySchema.safeParse({ ...payment, extra: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});

describe('other bodies', () => {
  it('query card: idtype enum, id ≤32, pwd ≤32, get_merge boolean or "0"/"1"', () => {
    expect(QueryCardBodySchema.parse({ idtype: 'sno', id: '2015032718', get_merge: '1' })).toEqual({
      idtype: 'sno',
      id: '2015032718',
      get_merge: true,
    });
    expect(QueryCardBodySchema.safeParse({ idtype: 'email', id: 'x' }).success).toBe(false);
    expect(QueryCardBodySchema.safeParse({ idtype: 'sno', id: 'x'.repeat(33) }).success).toBe(false);
    expect(QueryCardBodySchema.safeParse({ idtype: 'sno', id: 'x', pwd: 'p'.repeat(33) }).success).toBe(false);
    expect(QueryCardBodySchema.safeParse({ idtype: 'sno', id: 'x', get_merge: 'yes' }).success).toBe(false);
  });

  it('refund needs refund_order_no', () => {
    const refund = { ...payment, refund_order_no: 'P1' };
    expect(RefundBodySchema.parse(refund).refund_order_no).toBe('P1');
    expect(RefundBodySchema.safeParse(payment).success).toBe(false);
    expect(RefundBodySchema.safeParse({ ...refund, remark: 'no remark on refunds' }).success).toBe(false);
  });

  it('pay query takes 1–50 queries', () => {
    const query = { account: '32718', order_no: 'P1' };
    expect(PayQueryBodySchema.parse({ queries: [query] }).queries[0]?.acctype).toBe('###');
    expect(PayQueryBodySchema.safeParse({ queries: [] }).success).toBe(false);
    expect(PayQueryBodySchema.safeParse({ queries: Array(50).fill(query) }).success).toBe(true);
    expect(PayQueryBodySchema.safeParse({ queries: Array(51).fill(query) }).success).toBe(false);
  });
});

describe('parameters', () => {
  it('order_no path parameter', () => {
    expect(OrderParamsSchema.safeParse({ order_no: 'P-1' }).success).toBe(true);
    expect(OrderParamsSchema.safeParse({ order_no: 'P 1' }).success).toBe(false);
  });

  it.each([
    ['20260512', true],
    ['20240229', true],
    ['20230229', false],
    ['20261301', false],
    ['20260431', false],
    ['20260500', false],
    ['2026051', false],
    ['2026-05-12', false],
  ])('bill_date %s valid: %s', (date, valid) => {
    expect(BillParamsSchema.safeParse({ bill_date: date }).success).toBe(valid);
    expect(isCalendarDate(date)).toBe(valid);
  });

  it('bill query enums', () => {
    expect(BillQuerySchema.parse({ bill_type: 'SUCCESS', crypt_type: '0' })).toEqual({ bill_type: 'SUCCESS', crypt_type: '0' });
    expect(BillQuerySchema.safeParse({ bill_type: 'all' }).success).toBe(false);
    expect(BillQuerySchema.safeParse({ crypt_type: '2' }).success).toBe(false);
    expect(BillQuerySchema.safeParse({ other: '1' }).success).toBe(false);
  });
});

describe('no input makes a schema throw', () => {
  const schemas = [PaymentBodySchema, RefundBodySchema, QueryCardBodySchema, PayQueryBodySchema, BillParamsSchema, BillQuerySchema, OrderParamsSchema];
  it('safeParse reports instead of throwing for arbitrary JSON values (2,000 runs)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...schemas), (value, schema) => {
        const result = schema.safeParse(value);
        expect(typeof result.success).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });

  it('near-valid payments with one mutated field never throw and amounts stay integral fen', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('order_no', 'account', 'tranamt', 'acctype', 'mercacc', 'remark', 'attach', 'termid'),
        fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
        (field, value) => {
          const result = PaymentBodySchema.safeParse({ ...payment, [field]: value });
          if (result.success) expect(Number.isSafeInteger(result.data.tranamt)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
