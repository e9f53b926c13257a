// The compact ledger side of the merge (held-orders.ts): every order found again by its order_no through the
// hash table as it grows, none found that was not added, records and terms read back exactly (non-ASCII
// order_nos and out_ids included), boundary and seen flags.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBoundaryOrder } from '../../lib/bills/boundary.js';
import { FLAG_LATE, FLAG_PREVIOUS_DAY, HeldOrders } from '../../lib/bills/held-orders.js';
import { hashOf } from '../../lib/bills/order-hash.js';
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

  it('property: slotsOf answers for a batch what slot answers row by row (added, repeated and unknown order_nos)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24, unit: 'binary' }), { minLength: 0, maxLength: 2000 }),
        fc.array(fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 25 })), { maxLength: 1500 }),
        (orderNos, picks) => {
          const held = new HeldOrders();
          orderNos.forEach((orderNo) => held.add(record(orderNo), false));
          const rows = picks.map((pick) => ({ orderNo: typeof pick === 'number' && orderNos.length > 0 ? orderNos[pick % orderNos.length]! : String(pick) }));
          const out = new Int32Array(rows.length);
          held.slotsOf(rows, out);
          expect([...out]).toEqual(rows.map((row) => held.slot(row.orderNo)));
          for (let i = 0; i < rows.length; i++) expect(out[i]).toBe(orderNos.indexOf(rows[i]!.orderNo));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('slotsOf tells apart two order_nos of one hash: the first candidate is checked, the other looked up in full', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const orderNo = `C${i}`;
      const hash = hashOf(orderNo);
      const before = seen.get(hash);
      if (before !== undefined) pair = [before, orderNo];
      else seen.set(hash, orderNo);
    }
    const [first, second] = pair;
    expect(hashOf(first)).toBe(hashOf(second));
    const held = new HeldOrders();
    held.add(record(first), false);
    const out = new Int32Array(2);
    held.slotsOf([{ orderNo: second }, { orderNo: first }], out);
    expect([...out]).toEqual([-1, 0]);
    held.add(record(second), false);
    held.slotsOf([{ orderNo: second }, { orderNo: first }], out);
    expect([...out]).toEqual([1, 0]);
  });

  it('property: terms read back and compared alike inline (up to 52 bytes), past it, and two bytes a unit', () => {
    const text = (max: number) => fc.oneof(fc.string({ maxLength: max, unit: 'grapheme-ascii' }), fc.string({ maxLength: max, unit: 'binary' }));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ orderNo: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }), outId: text(40), account: text(20), acctype: text(6), mercacc: text(12), amountFen: fc.integer({ min: 0, max: 1e9 }) }), { selector: (o) => o.orderNo, maxLength: 60 }),
        (orders) => {
          const held = new HeldOrders();
          orders.forEach((o) => held.add(record(o.orderNo, o), false));
          orders.forEach((o, i) => {
            const at = held.slot(o.orderNo);
            expect(at).toBe(i);
            expect(held.record(at)).toEqual({ orderNo: o.orderNo, type: 'PAYMENT', status: 'SUCCESS', account: o.account, acctype: o.acctype, mercacc: o.mercacc, amountFen: o.amountFen, outId: o.outId });
            const row = { tradeType: '01', account: o.account, acctype: o.acctype, mercacc: o.mercacc, amountFen: o.amountFen };
            expect(held.sameTerms(at, row as never)).toBe(true);
            expect(held.sameTerms(at, { ...row, account: `${o.account}0` } as never)).toBe(false);
            expect(held.sameTerms(at, { ...row, acctype: `${o.acctype}#` } as never)).toBe(false);
            expect(held.sameTerms(at, { ...row, mercacc: `${o.mercacc}9` } as never)).toBe(false);
            expect(held.sameTerms(at, { ...row, amountFen: o.amountFen + 1 } as never)).toBe(false);
            const paid = { ...row, outId: o.outId };
            expect(held.matchesPaid(at, paid)).toBe(true);
            for (const over of [{ outId: `${o.outId}1` }, { account: `${o.account}0` }, { acctype: `${o.acctype}#` }, { mercacc: `${o.mercacc}9` }, { amountFen: o.amountFen + 1 }, { tradeType: '02' }]) {
              expect(held.matchesPaid(at, { ...paid, ...over })).toBe(false);
            }
            expect(held.sameOutId(at, o.outId)).toBe(true);
            expect(held.sameOutId(at, `${o.outId}\u00e9`)).toBe(false);
            expect(held.orderNo(at)).toBe(o.orderNo);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('matchesPaid holds only for a SUCCESS order', () => {
    const held = new HeldOrders();
    for (const status of ['PENDING', 'SUCCESS', 'FAILED'] as const) held.add(record(status, { status }), false);
    const row = { tradeType: '01', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150 };
    expect(['PENDING', 'SUCCESS', 'FAILED'].map((status) => held.matchesPaid(held.slot(status), { ...row, outId: `O-${status}` }))).toEqual([false, true, false]);
  });

  it('keeps neighbouring records apart at the inline limit (52 bytes of text) and one past it', () => {
    const held = new HeldOrders();
    // order_no 12 + out_id 20 + account 10 + acctype 3 + mercacc 7 or 8 = 52 or 53 bytes.
    const orders = Array.from({ length: 8 }, (_, i) => ({ orderNo: `ORDER-${String(i).padStart(6, '0')}`, outId: `${'9'.repeat(19)}${i}`, account: `${i}`.repeat(10), acctype: '###', mercacc: `${'7'.repeat(6 + (i % 2))}${i}` }));
    orders.forEach((o) => held.add(record(o.orderNo, o), false));
    orders.forEach((o, i) => {
      expect(held.record(held.slot(o.orderNo))).toMatchObject(o);
      expect(held.flag(i, FLAG_LATE)).toBe(false);
      expect(held.status(i)).toBe('SUCCESS');
    });
  });

  it('refuses an acctype or mercacc over 255 characters, and an order_no over 65,535 (their lengths are 8 and 16 bits)', () => {
    const held = new HeldOrders();
    expect(() => held.add(record('A', { mercacc: '1'.repeat(256) }), false)).toThrow(/mercacc over 255/);
    expect(() => held.add(record('B', { acctype: '#'.repeat(256) }), false)).toThrow(/acctype or mercacc over 255/);
    expect(() => held.add(record('C'.repeat(65_536)), false)).toThrow(/over 65535/);
    held.add(record('D', { mercacc: '1'.repeat(255), account: '2'.repeat(300) }), false);
    expect(held.record(held.slot('D'))).toMatchObject({ mercacc: '1'.repeat(255), account: '2'.repeat(300) });
  });

  it('finds every order when lookups come between adds (the table built, grown and added to in sorted sweeps)', () => {
    const held = new HeldOrders();
    const orderNo = (i: number) => `N${(i * 2_654_435_761) >>> 0}`;
    const added: number[] = [];
    for (const count of [10_000, 40_000, 1, 5_000, 70_000]) {
      for (let k = 0; k < count; k++) {
        held.add(record(orderNo(added.length), { amountFen: added.length }), false);
        added.push(added.length);
      }
      for (const i of added) expect(held.slot(orderNo(i))).toBe(i);
      expect(held.slot(orderNo(added.length))).toBe(-1);
      expect(held.has('absent')).toBe(false);
    }
    expect(held.record(held.slot(orderNo(123_456)))).toMatchObject({ amountFen: 123_456 });
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
    const { instantOf } = await import('../../lib/bills/boundary.js');
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

  it('property: agrees with Date.parse on strings near the ledger form (fields out of range, wrong separators, non-digits)', async () => {
    const { instantOf } = await import('../../lib/bills/boundary.js');
    const two = fc.oneof(fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0')), fc.constantFrom('1/', '/9', ':0', '0a', ' 1'));
    const sep = (usual: string) => fc.oneof({ weight: 5, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom('-', ':', 'T', '.', 'x', '/') });
    const form = fc
      .tuple(fc.constantFrom('2026', '2024', '1970', '0000', '2o26'), sep('-'), two, sep('-'), two, sep('T'), two, sep(':'), two, sep(':'), two, sep('.'), fc.constantFrom('000', '999', '5a0', '12/'))
      .map((parts) => `${parts.join('')}+08:00`);
    fc.assert(
      fc.property(fc.array(form, { minLength: 1, maxLength: 4 }), (texts) => {
        // Several in a row: the date's midnight is remembered between calls.
        for (const text of texts) expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // One date for every text of a run (the date checked once, then only the time of day): its clocks mutated.
    const clock = fc
      .tuple(two, sep(':'), two, sep(':'), two, sep('.'), fc.constantFrom('000', '999', '5a0', '12/'), fc.constantFrom('+08:00', '+08:0x', 'Z00000', '+09:00'))
      .map((parts) => parts.join(''));
    const date = fc.tuple(fc.constantFrom('2026', '2024', '2o26'), sep('-'), two, sep('-'), two, sep('T')).map((parts) => parts.join(''));
    fc.assert(
      fc.property(date, fc.array(clock, { minLength: 1, maxLength: 6 }), (day, clocks) => {
        for (const text of [`${day}10:00:00.000+08:00`, ...clocks.map((c) => `${day}${c}`)]) expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
      }),
      { numRuns: 2000 },
    );
    for (const text of ['2026-13-01T00:00:00.000+08:00', '2026-11-26T10:00:60.000+08:00', '2026-11-26T1/:00:00.000+08:00', '2026-11-26T10x00y00.000+08:00']) {
      expect(instantOf(text), text).toBeNaN();
    }
    expect(instantOf('2026-11-26T24:00:00.000+08:00')).toBe(Date.parse('2026-11-27T00:00:00.000+08:00'));
  });
});
