// The compact ledger side of the merge (held-orders.ts): every order found again by its order_no through the
// hash table as it grows, none found that was not added, records and terms read back exactly (non-ASCII
// order_nos and out_ids included), boundary and seen flags.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLAG_LATE, FLAG_PREVIOUS_DAY, HeldOrders, isBoundaryOrder } from '../../lib/bills/held-orders.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';

const record = (orderNo: string, over: Partial<LedgerRecord> = {}): LedgerRecord =>
  ({
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `O-${orderNo}`, createdAt: '2026-11-26T10:00:00.000+08:00', updatedAt: '2026-11-26T10:00:00.000+08:00',
    tradeDay: '20261126', requestHash: 'h', version: 1, attempts: 1, ...over,
  }) as LedgerRecord;

describe('HeldOrders', () => {
  it('property: finds every added order_no (through growth), and no other', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 32, unit: 'binary' }), { minLength: 0, maxLength: 3000 }), fc.string({ minLength: 1, maxLength: 33 }), (orderNos, other) => {
        const held = new HeldOrders();
        orderNos.forEach((orderNo, i) => held.add(record(orderNo, { amountFen: i, outId: `${orderNo}✓` }), false));
        expect(held.size).toBe(orderNos.length);
        orderNos.forEach((orderNo, i) => {
          const at = held.slot(orderNo);
          expect(at).toBe(i);
          expect(held.record(at)).toMatchObject({ orderNo, amountFen: i, outId: `${orderNo}✓` });
          expect(held.sameOutId(at, `${orderNo}✓`)).toBe(true);
          expect(held.sameOutId(at, orderNo)).toBe(false);
        });
        if (!orderNos.includes(other)) expect(held.slot(other)).toBe(-1);
      }),
      { numRuns: 60 },
    );
  });

  it('holds 200,000 orders and reads their terms back', () => {
    const held = new HeldOrders();
    for (let i = 0; i < 200_000; i++) {
      held.add(record(`T${String(i).padStart(9, '0')}`, { account: String(i % 777), mercacc: String(1000 + (i % 13)), amountFen: i * 3, type: i % 2 ? 'REFUND' : 'PAYMENT' }), false);
    }
    const at = held.slot('T000123457');
    expect(held.record(at)).toEqual({
      orderNo: 'T000123457', type: 'REFUND', status: 'SUCCESS', account: String(123457 % 777), acctype: '###',
      mercacc: String(1000 + (123457 % 13)), amountFen: 123457 * 3, outId: 'O-T000123457',
    });
    const row = { tradeType: '02', account: String(123457 % 777), acctype: '###', mercacc: String(1000 + (123457 % 13)), amountFen: 123457 * 3 };
    expect(held.sameTerms(at, row as never)).toBe(true);
    expect(held.sameTerms(at, { ...row, tradeType: '01' } as never)).toBe(false);
    expect(held.sameTerms(at, { ...row, amountFen: 1 } as never)).toBe(false);
  });

  it('flags boundary and previous-day orders, marks seen once, and gives the creation time to the second', () => {
    const held = new HeldOrders();
    held.add(record('A', { createdAt: '2026-11-26T23:55:00.000+08:00' }), false);
    held.add(record('B', { createdAt: '2026-11-26T23:54:59.999+08:00' }), true);
    expect(held.flag(0, FLAG_LATE)).toBe(true);
    expect(held.flag(1, FLAG_LATE)).toBe(false);
    expect(held.flag(1, FLAG_PREVIOUS_DAY)).toBe(true);
    expect(held.markSeen(0)).toBe(false);
    expect(held.markSeen(0)).toBe(true);
    expect(held.tradeTime(1)).toBe('2026-11-26T23:54:59+08:00');
    expect(isBoundaryOrder({ createdAt: '2026-11-26T15:57:00.000Z' })).toBe(true); // 23:57 China
    expect(isBoundaryOrder({ createdAt: '2026-11-26T16:00:00.000Z' })).toBe(false); // 00:00 China, the next day
  });
});

describe('instantOf', () => {
  it('property: reads created_at as Date.parse does, in the ledger form and any other', async () => {
    const { instantOf } = await import('../../lib/bills/held-orders.js');
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), (at) => {
        const china = `${new Date(at.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 23)}+08:00`;
        expect(instantOf(china)).toBe(at.getTime());
        expect(instantOf(at.toISOString())).toBe(at.getTime());
      }),
      { numRuns: 300 },
    );
    expect(instantOf('not a time')).toBeNaN();
  });
});
