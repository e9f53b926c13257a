// The one settlement rule (lib/ledger/settlement-terms.ts): any term of a pay.query answer or bill row that
// differs from the ledger order's means it never settles — by the rule itself, by the outcome policy, by
// reconcile, and through the payment service's every pay.query path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reconcile } from '../support/reconcile-lists.js';
import { outcomeOfQuery } from '../../lib/ledger/outcome.js';
import { createPaymentService } from '../../lib/ledger/payments.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import { ABSENT, BILL_TERMS, compareTerms, type SettlementMismatch, type TermField } from '../../lib/ledger/settlement-terms.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import { PlatformTimeoutError } from '../../lib/platform/errors.js';
import type { BillRow, PayQueryItem, PayQueryResult } from '../../lib/platform/types.js';
import { formatYuan } from '../../lib/protocol/money.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { FakePlatform } from './fake-platform.js';

const AT = new Date('2026-05-12T08:00:00Z');
const POLICY = { at: AT, notFoundGraceMs: 0 };

const code = (chars: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const recordArbitrary: fc.Arbitrary<LedgerRecord> = fc
  .record({
    orderNo: code(`${ALNUM}_-`, 1, 32),
    type: fc.constantFrom('PAYMENT' as const, 'REFUND' as const),
    account: code(ALNUM, 1, 10),
    acctype: fc.oneof(fc.constant('###'), code(ALNUM, 1, 3)),
    mercacc: code(ALNUM, 1, 10),
    amountFen: fc.integer({ min: 1, max: 9_999_999_999 }),
  })
  .map((terms) => ({
    ...terms,
    status: 'PENDING' as const,
    createdAt: '2026-05-12T07:00:00.000Z',
    updatedAt: '2026-05-12T07:00:00.000Z',
    tradeDay: '20260512',
    requestHash: 'h',
    version: 1,
    attempts: 1,
  }));

/** A value different from `value` for one term. */
function differ(field: TermField, record: LedgerRecord, salt: number): string | number {
  switch (field) {
    case 'order_no':
      return `${record.orderNo.slice(0, 31)}${record.orderNo.endsWith('x') ? 'y' : 'x'}`;
    case 'type':
      return record.type === 'PAYMENT' ? 'REFUND' : 'PAYMENT';
    case 'tranamt':
      return record.amountFen === 1 ? 2 : record.amountFen - 1 - (salt % (record.amountFen - 1));
    default: {
      const value = record[field];
      return value === `Z${salt % 10}` ? `Y${salt % 10}` : `Z${salt % 10}`;
    }
  }
}

/** A non-empty set of terms, and a salt for their other values. */
const perturbation = fc.record({
  fields: fc.subarray([...BILL_TERMS], { minLength: 1 }),
  salt: fc.nat(),
});

function billRow(record: LedgerRecord, overrides: Partial<Record<TermField, string | number>> = {}): BillRow {
  const type = (overrides.type as string | undefined) ?? record.type;
  return {
    tradeTime: '2026-05-12T15:00:00+08:00',
    account: (overrides.account as string | undefined) ?? record.account,
    acctype: (overrides.acctype as string | undefined) ?? record.acctype,
    mercacc: (overrides.mercacc as string | undefined) ?? record.mercacc,
    outId: '202605120000000001',
    orderNo: (overrides.order_no as string | undefined) ?? record.orderNo,
    tradeType: type === 'PAYMENT' ? '01' : '02',
    orderStatus: '60',
    amountFen: (overrides.tranamt as number | undefined) ?? record.amountFen,
    attach: '',
  };
}

function answer(record: LedgerRecord, orderStatus: string, overrides: Partial<Record<TermField, string | number>> = {}): PayQueryResult {
  return {
    orderNo: (overrides.order_no as string | undefined) ?? record.orderNo,
    account: (overrides.account as string | undefined) ?? record.account,
    acctype: (overrides.acctype as string | undefined) ?? record.acctype,
    amountFen: (overrides.tranamt as number | undefined) ?? record.amountFen,
    outId: '202605120000000001',
    orderStatus,
  };
}

describe('compareTerms', () => {
  it('property: a source with the ledger\'s terms has no difference; one that differs names exactly the differing terms, both values', () => {
    fc.assert(
      fc.property(recordArbitrary, perturbation, (record, { fields, salt }) => {
        expect(compareTerms(record, { orderNo: record.orderNo, type: record.type, account: record.account, acctype: record.acctype, mercacc: record.mercacc, amountFen: record.amountFen }, BILL_TERMS)).toEqual([]);
        const overrides = Object.fromEntries(fields.map((field) => [field, differ(field, record, salt)]));
        const row = billRow(record, overrides);
        const source = { orderNo: row.orderNo, type: overrides.type as string | undefined ?? record.type, account: row.account, acctype: row.acctype, mercacc: row.mercacc, amountFen: row.amountFen };
        const differences = compareTerms(record, source, BILL_TERMS);
        expect(differences.map((difference) => difference.field)).toEqual(BILL_TERMS.filter((field) => fields.includes(field)));
        for (const difference of differences) expect(difference.ledger).not.toBe(difference.source);
      }),
      { numRuns: 300 },
    );
  });

  it('counts a required term the source lacks as a difference, and compares only what it carries otherwise', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        expect(compareTerms(record, { orderNo: record.orderNo }, ['tranamt'])).toEqual([
          { field: 'tranamt', ledger: formatYuan(record.amountFen), source: ABSENT },
        ]);
        expect(compareTerms(record, { orderNo: record.orderNo })).toEqual([]);
      }),
    );
  });
});

describe('pay.query answers (outcomeOfQuery)', () => {
  const ANSWER_TERMS: readonly TermField[] = ['order_no', 'account', 'acctype', 'tranamt'];

  it('property: an answer differing in any term it carries never settles SUCCESS or FAILED, whatever its status', () => {
    fc.assert(
      fc.property(
        recordArbitrary,
        fc.subarray([...ANSWER_TERMS], { minLength: 1 }),
        fc.nat(),
        fc.constantFrom('60', '80', '77', '78', '20'),
        (record, fields, salt, status) => {
          const overrides = Object.fromEntries(fields.map((field) => [field, differ(field, record, salt)]));
          const outcome = outcomeOfQuery(record, answer(record, status, overrides), POLICY);
          expect(outcome.kind).toBe('UNKNOWN');
          // An 80 for a REFUND order differs in type too (only a payment turns into a refund).
          const expected = BILL_TERMS.filter((f) => fields.includes(f) || (f === 'type' && record.type === 'REFUND' && status === '80'));
          expect(outcome.kind === 'UNKNOWN' && outcome.differences?.map((d) => d.field)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: the ledger\'s own terms settle as the status says', () => {
    fc.assert(
      fc.property(recordArbitrary.filter((record) => record.type === 'PAYMENT'), fc.constantFrom('60', '80', '77', '78'), (record, status) => {
        const outcome = outcomeOfQuery(record, answer(record, status), POLICY);
        expect(outcome.kind).toBe(status === '60' || status === '80' ? 'SUCCESS' : 'FAILED');
      }),
    );
  });

  it('an "80" (payment turned into a refund) describes a payment, never a REFUND order', () => {
    fc.assert(
      fc.property(recordArbitrary.filter((record) => record.type === 'REFUND'), (record) => {
        const outcome = outcomeOfQuery(record, answer(record, '80'), POLICY);
        expect(outcome).toMatchObject({ kind: 'UNKNOWN', differences: [{ field: 'type', ledger: 'REFUND', source: 'PAYMENT' }] });
        expect(outcomeOfQuery(record, answer(record, '60'), POLICY).kind).toBe('SUCCESS');
      }),
    );
  });

  it('a "60" without tranamt does not settle; a 77 or 78 without tranamt still fails (it claims no money moved)', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        const { amountFen: _omitted, ...withoutAmount } = answer(record, '60');
        expect(outcomeOfQuery(record, withoutAmount, POLICY)).toMatchObject({
          kind: 'UNKNOWN',
          error: { code: 'SETTLEMENT_TERMS_MISMATCH' },
          differences: [{ field: 'tranamt', source: ABSENT }],
        });
        expect(outcomeOfQuery(record, { ...withoutAmount, orderStatus: '80' }, POLICY).kind).toBe('UNKNOWN');
        expect(outcomeOfQuery(record, { ...withoutAmount, orderStatus: '77' }, POLICY).kind).toBe('FAILED');
        expect(outcomeOfQuery(record, { ...withoutAmount, orderStatus: '78' }, POLICY).kind).toBe('FAILED');
      }),
    );
  });
});

describe('bill rows (reconcile)', () => {
  it('property: a paid row differing in any term never makes its PENDING order settleable, one `mismatched` entry per field', async () => {
    const rowTerms: readonly TermField[] = ['type', 'account', 'acctype', 'mercacc', 'tranamt'];
    await fc.assert(
      fc.asyncProperty(recordArbitrary, fc.subarray([...rowTerms], { minLength: 1 }), fc.nat(), async (record, fields, salt) => {
        const overrides = Object.fromEntries(fields.map((field) => [field, differ(field, record, salt)]));
        const result = await reconcile([billRow(record, overrides)], [record]);
        expect(result.settleable).toEqual([]);
        expect(result.mismatched.map((entry) => entry.field)).toEqual(rowTerms.filter((field) => fields.includes(field)));
        expect(result.unresolved).toEqual([{ orderNo: record.orderNo, billStatus: '60' }]);
        expect((await reconcile([billRow(record)], [record])).settleable).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('through the payment service', () => {
  let dynamo: TestDynamo;
  let store: LedgerStore;
  let counter = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
    store = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
  });
  afterAll(async () => dynamo.close());

  /** A platform whose pay.query answers carry `overrides` (another order under the same order_no). */
  class OtherOrderPlatform extends FakePlatform {
    overrides: Partial<Record<TermField, string | number>> = {};
    override async payQuery(items: readonly PayQueryItem[]): Promise<readonly PayQueryResult[]> {
      const answers = await super.payQuery(items);
      return answers.map((result) => ({
        ...result,
        account: (this.overrides.account as string | undefined) ?? result.account,
        acctype: (this.overrides.acctype as string | undefined) ?? result.acctype,
        ...(this.overrides.tranamt !== undefined ? { amountFen: this.overrides.tranamt as number } : {}),
      }));
    }
  }

  it('property: GET resolution, the pass-through and the settler sweep leave the order PENDING and report each answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(['account', 'acctype', 'tranamt'] as TermField[], { minLength: 1 }),
        fc.nat(),
        fc.constantFrom('PAYMENT', 'REFUND'),
        async (fields, salt, type) => {
          const platform = new OtherOrderPlatform();
          const reports: SettlementMismatch[] = [];
          const service = createPaymentService({ ledger: store, platform, notFoundGraceMs: 0, onMismatch: (m) => reports.push(m) });
          counter += 1;
          const payment = { orderNo: `ST${Date.now().toString(36)}${counter}`, account: '1001', acctype: '###', mercacc: '9001', amountFen: 1000 };
          let order = payment.orderNo;
          if (type === 'REFUND') {
            await service.pay(payment);
            order = `${payment.orderNo}R`;
            platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
            expect((await service.refund({ ...payment, orderNo: order, refundOrderNo: payment.orderNo, amountFen: 500 })).status).toBe('PENDING');
          } else {
            platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
            expect((await service.pay(payment)).status).toBe('PENDING');
          }
          const record = (await store.get(order))!;
          platform.overrides = Object.fromEntries(fields.map((field) => [field, differ(field, record, salt)]));
          expect((await service.getOrder(order)).status).toBe('PENDING');
          await service.queryPayments([{ account: record.account, acctype: record.acctype, orderNo: order }]);
          const summary = await service.resolvePending([order]);
          expect(summary).toMatchObject({ succeeded: 0, failed: 0, stillPending: 1 });
          const after = (await store.get(order))!;
          expect(after.status).toBe('PENDING');
          expect(after.lastError?.code).toBe('SETTLEMENT_TERMS_MISMATCH');
          expect(reports).toHaveLength(3);
          for (const report of reports) {
            expect(report).toMatchObject({ orderNo: order, source: 'pay.query' });
            expect(report.differences.map((d) => d.field)).toEqual(['account', 'acctype', 'tranamt'].filter((f) => fields.includes(f as TermField)));
          }
          // The platform's answer for the ledger's own order settles it.
          platform.overrides = {};
          expect((await service.getOrder(order)).status).toBe('SUCCESS');
        },
      ),
      { numRuns: 15 },
    );
  });
});
