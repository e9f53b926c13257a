// Generated history for one China day, so a large bill can be tried: payments (a few refused), and
// refunds of some of them, spread over the day in trade order. Balances are not touched.
import { chinaDayStart } from './china-time.js';
import { CARD_ACCTYPE, type OrderRecord, type SandboxWorld } from './state.js';
import type { SeedOptions, SeedResult } from './types.js';

/** The most orders one seed call may create (a million-row bill is the roadmap's size). */
export const MAX_SEED_ORDERS = 1_000_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Mulberry32: a small deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Records `count` orders on `billDate`: about 90% paid payments, 5% refused (status 77, no serial)
 * and 5% refunds of an earlier paid payment of the same seed.
 * @throws Error when the date is not a calendar day, or count is not an integer in 1..MAX_SEED_ORDERS.
 */
export function seedDay(world: SandboxWorld, billDate: string, count: number, options: SeedOptions = {}): SeedResult {
  const start = chinaDayStart(billDate);
  if (!start) throw new Error('bill_date must be a calendar day as yyyyMMdd');
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SEED_ORDERS) {
    throw new Error(`count must be an integer from 1 to ${MAX_SEED_ORDERS}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new Error('seed must be an integer');
  const random = prng(seed);
  const holders = [...world.accounts.values()].filter((record) => !record.seed.lost && !record.seed.frozen);
  if (holders.length === 0) throw new Error('the sandbox has no account that can pay');
  // A run tag keeps order numbers unique when a day is seeded more than once.
  const run = (world.seedRuns += 1);
  const paid: OrderRecord[] = [];
  let nextRefund = 0; // paid payments are refunded whole, oldest first
  const result = { payments: 0, refunds: 0, failed: 0 };
  for (let index = 0; index < count; index += 1) {
    const tradeTime = new Date(start.getTime() + Math.floor(((index + random()) / count) * DAY_MS / 1000) * 1000);
    const orderNo = `SEED${billDate}R${run}N${String(index).padStart(7, '0')}`;
    const roll = random();
    const original = roll < 0.05 ? paid[nextRefund] : undefined;
    if (original) {
      nextRefund += 1;
      const amountFen = original.amountFen;
      original.refundedFen += amountFen;
      original.status = '80';
      world.orders.set(orderNo, {
        ...base(orderNo, tradeTime, original.account, original.acctype, original.mercacc, amountFen),
        type: 'REFUND',
        refundOrderNo: original.orderNo,
        outId: world.nextOutId(billDate),
      });
      result.refunds += 1;
      continue;
    }
    const holder = holders[Math.floor(random() * holders.length)] ?? holders[0]!;
    const amountFen = 1 + Math.floor(random() * 5_000);
    const order = base(orderNo, tradeTime, holder.seed.account, CARD_ACCTYPE, `10${String(1 + Math.floor(random() * 9)).padStart(2, '0')}`, amountFen);
    if (roll > 0.95) {
      world.orders.set(orderNo, { ...order, status: '77', retcode: '60010', errmsg: '余额不足' });
      result.failed += 1;
    } else {
      const record: OrderRecord = { ...order, outId: world.nextOutId(billDate), attach: `seed ${index}` };
      world.orders.set(orderNo, record);
      paid.push(record);
    }
    result.payments += 1;
  }
  let ordersThatDay = 0;
  const end = start.getTime() + DAY_MS;
  for (const order of world.orders.values()) {
    const at = order.tradeTime.getTime();
    if (at >= start.getTime() && at < end) ordersThatDay += 1;
  }
  return { billDate, created: count, ...result, ordersThatDay };
}

function base(orderNo: string, tradeTime: Date, account: string, acctype: string, mercacc: string, amountFen: number): OrderRecord {
  return {
    orderNo,
    type: 'PAYMENT',
    account,
    acctype,
    mercacc,
    amountFen,
    status: '60',
    retcode: '0',
    errmsg: '',
    tradeTime,
    refundedFen: 0,
    answer: { retcode: '0', errmsg: '' },
  };
}
