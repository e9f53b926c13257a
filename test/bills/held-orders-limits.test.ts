// HeldOrders at its limits: past one record chunk (65,536) with lookups between adds, text at its longest (wide,
// lone surrogates) across 1 MB overflow chunks, order_nos of equal hash, and amounts matchesPaid must judge as before.
import { describe, expect, it } from 'vitest';
import { HeldOrders } from '../../lib/bills/held-orders.js';
import { hashOf } from '../../lib/bills/order-hash.js';

const base = { createdAt: '2026-11-26T10:00:00.000+08:00' };
type O = { orderNo: string; outId: string; account: string; acctype: string; mercacc: string; amountFen: number };
function add(held: HeldOrders, o: O, prev = false) {
  held.addOrder(o.orderNo, 'PAYMENT', 'SUCCESS', o.account, o.acctype, o.mercacc, o.amountFen, o.outId, base.createdAt, prev);
}
/** What is wrong with order i as held (none: ''); one expect per test, not per order. */
function fault(held: HeldOrders, o: O, i: number): string {
  const at = held.slot(o.orderNo);
  if (at !== i) return `${i}: slot ${at}`;
  const r = held.record(at);
  const same = r.orderNo === o.orderNo && r.outId === o.outId && r.account === o.account && r.acctype === o.acctype && r.mercacc === o.mercacc && Object.is(r.amountFen, o.amountFen);
  if (!same) return `${i}: read back ${JSON.stringify(r).slice(0, 80)}`;
  return held.matchesPaid(at, { tradeType: '01', ...o }) ? '' : `${i}: matchesPaid false`;
}
const faults = (held: HeldOrders, orders: readonly O[], step = 1): string[] => orders.map((o, i) => fault(held, o, i * step)).filter(Boolean).slice(0, 5);

describe('HeldOrders at its limits', () => {
  it('many orders, interleaved lookups, mixed inline/overflow/wide, across chunks', () => {
    const held = new HeldOrders();
    const orders: O[] = [];
    let seed = 1;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 140_000; i++) {
      const kind = i % 5;
      const wide = kind === 3 ? '\u4e2d' : kind === 4 ? '\ud800' : '';
      const pad = kind === 1 ? 'x'.repeat(30 + Math.floor(rnd() * 10)) : kind === 2 ? 'y'.repeat(200) : '';
      orders.push({ orderNo: `N${i}${wide}`, outId: `O${i}${pad}`, account: `${i % 97}${wide}`, acctype: kind === 0 ? '' : '###', mercacc: kind === 0 ? '' : `M${i % 13}`, amountFen: i * 3 });
    }
    const cuts = [10_000, 10_001, 40_000, 65_535, 65_536, 65_537, 70_000, 131_072, 140_000];
    let from = 0;
    for (const cut of cuts) {
      for (let i = from; i < cut; i++) add(held, orders[i]!);
      expect(held.has(orders[from]!.orderNo)).toBe(true);
      from = cut;
    }
    expect(faults(held, orders)).toEqual([]);
    expect(held.slot('nope')).toBe(-1);
  });

  it('longest texts, wide, several past 1 MB overflow', () => {
    const held = new HeldOrders();
    const orders: O[] = [];
    for (let i = 0; i < 8; i++) {
      orders.push({ orderNo: `${i}`.padEnd(0xffff, '\u0101'), outId: 'é'.repeat(0xffff), account: '\udc00'.repeat(0xffff), acctype: 'a'.repeat(0xff), mercacc: '\u1234'.repeat(0xff), amountFen: i });
      add(held, orders[i]!);
      add(held, { orderNo: `short${i}`, outId: '', account: '', acctype: '', mercacc: '', amountFen: -0 });
    }
    expect(faults(held, orders, 2)).toEqual([]);
    expect(held.slot('short3')).toBe(7);
  });

  it('hash collisions', () => {
    const seen = new Map<number, string>();
    const pairs: [string, string][] = [];
    for (let i = 0; pairs.length < 6; i++) {
      const s = `20261126${i}`;
      const h = hashOf(s);
      const other = seen.get(h);
      if (other !== undefined) pairs.push([other, s]);
      else seen.set(h, s);
    }
    const held = new HeldOrders();
    const all = pairs.flat();
    all.forEach((s, i) => add(held, { orderNo: s, outId: `o${s}`, account: 'a', acctype: 'b', mercacc: 'c', amountFen: i }));
    expect(new Set(all.map(hashOf)).size).toBe(6);
    expect(all.map((s) => held.slot(s))).toEqual(all.map((_, i) => i));
    expect(held.slot(`${all[0]}x`)).toBe(-1);
  });

  it('amount oddities agree with the three-call check', () => {
    const held = new HeldOrders();
    const amounts = [0, -0, NaN, 2 ** 53 + 2, 0.5, -1, Infinity];
    amounts.forEach((a, i) => add(held, { orderNo: `A${i}`, outId: 'o', account: 'a', acctype: 'b', mercacc: 'c', amountFen: a }));
    for (let i = 0; i < amounts.length; i++) {
      for (const b of amounts) {
        const row = { tradeType: '01', outId: 'o', account: 'a', acctype: 'b', mercacc: 'c', amountFen: b };
        const at = held.slot(`A${i}`);
        expect(held.matchesPaid(at, row)).toBe(held.status(at) === 'SUCCESS' && held.sameOutId(at, 'o') && held.sameTerms(at, row as never));
      }
    }
  });
});
