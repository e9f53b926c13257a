// Payments and refunds through the ledger: written PENDING before the platform is called, settled
// only on a certain answer, resolved by pay.query (on read, on replay, by the settler) — never guessed.
//
// The rooms: outcome.ts (what an answer means), identity.ts (same request or 409), replay.ts,
// refunds.ts (the refund flow), settlement.ts (writing outcomes, pay.query batches), store.ts (DynamoDB).
// Only the request whose conditional put won ever calls the platform, once.
import { owns } from '../callers/access.js';
import type { Caller } from '../callers/registry.js';
import { NotFoundError } from '../errors.js';
import { LocalContentionError, OrderTakenError } from './errors.js';
import type { PayQueryItem, PayQueryResult, PlatformClient } from '../platform/types.js';
import { paymentOrder, type PaymentInput, type RefundInput } from './identity.js';
import { callMoney } from './outcome.js';
import { OrderStatus, SettledFrom, StatusSetter, type LedgerRecord } from './records.js';
import { createRefund } from './refunds.js';
import { createReplay } from './replay.js';
import { createSettlement, type BillSettlement, type SettleSummary } from './settlement.js';
import type { MismatchReporter } from './settlement-terms.js';
import type { LedgerStore } from './store.js';
import { DEFAULT_TIMINGS } from '../timings.js';

export type { PaymentInput, RefundInput } from './identity.js';

export interface PaymentService {
  // `caller` (lib/callers): the order records it as its owner, and another caller's order (unless its
  // mercacc is "*") is refused as if it did not exist, before any platform call. Absent: no owner checks.
  /** @throws OrderTakenError (409) when another caller's order has this order_no. */
  pay(input: PaymentInput, caller?: Caller): Promise<LedgerRecord>;
  /** @throws OrderTakenError (409) for another caller's refund order_no; OriginalNotPaidError (422) for its payment. */
  refund(input: RefundInput, caller?: Caller): Promise<LedgerRecord>;
  /** The ledger's record; a PENDING one is resolved with pay.query first. NotFoundError when absent or another caller's. */
  getOrder(orderNo: string, caller?: Caller): Promise<LedgerRecord>;
  /** pay.query pass-through (≤ 50 items); PENDING ledger orders it answers for are settled on the way; another
   *  caller's orders are answered 78 (NOT_FOUND) without asking the platform. */
  queryPayments(items: readonly PayQueryItem[], caller?: Caller): Promise<readonly PayQueryResult[]>;
  /** Resolves the given orders (those still PENDING) with pay.query, ≤ 50 per call; `by` goes into their history. */
  resolvePending(orderNos: readonly string[], by?: string): Promise<SettleSummary>;
  /** Settles PENDING orders SUCCESS from bill rows with status 60 (the bill is the platform's own record). */
  settleFromBill(entries: readonly BillSettlement[]): Promise<SettleSummary>;
}

export interface PaymentServiceOptions {
  readonly ledger: LedgerStore;
  readonly platform: PlatformClient;
  /** The one clock of the service (ages, grace, the replay's deadline). */
  readonly now?: () => Date;
  /** A 78 ("no such order") fails an order only once it is this old. Default: lib/timings.ts notFoundGraceMs. */
  readonly notFoundGraceMs?: number;
  /** A PENDING order without outcome this young may still be in its winner's call. Default: lib/timings.ts. */
  readonly inFlightWindowMs?: number;
  /** How long a replay waits for the winning request's outcome. Default 3 000. */
  readonly replayWaitMs?: number;
  /** Poll interval while waiting. Default 50. */
  readonly replayPollMs?: number;
  /** Told of every pay.query answer that described another order than the ledger's (it settled nothing). */
  readonly onMismatch?: MismatchReporter;
}

const DEFAULTS = {
  now: (): Date => new Date(),
  notFoundGraceMs: DEFAULT_TIMINGS.notFoundGraceMs,
  inFlightWindowMs: DEFAULT_TIMINGS.inFlightWindowMs,
  replayWaitMs: 3_000,
  replayPollMs: 50,
};

/** How often one request re-creates an order_no that concurrent attempts keep withdrawing. */
const CREATE_ROUNDS = 3;

export function createPaymentService(options: PaymentServiceOptions): PaymentService {
  const { ledger, platform, now, notFoundGraceMs, inFlightWindowMs, replayWaitMs, replayPollMs, onMismatch } = { ...DEFAULTS, ...options };
  const settlement = createSettlement({ ledger, platform, now, notFoundGraceMs, ...(onMismatch ? { onMismatch } : {}) });
  const replay = createReplay({ ledger, settlement, now, inFlightWindowMs, waitMs: replayWaitMs, pollMs: replayPollMs });
  const refund = createRefund({ ledger, platform, settlement, replay, now, rounds: CREATE_ROUNDS });

  return {
    async pay(input, caller) {
      const order = { ...paymentOrder(input), ...(caller ? { caller: caller.name } : {}) };
      for (let round = 1; round <= CREATE_ROUNDS; round++) {
        const created = await ledger.createPending(order, now());
        if (!created.created) {
          if (caller && !owns(caller, created.record)) throw new OrderTakenError(order.orderNo);
          const replayed = await replay(created.record, order);
          if (replayed) return replayed;
          continue; // withdrawn meanwhile: this request may attempt it itself
        }
        const outcome = await callMoney(() => platform.pay(input));
        return settlement.applyOutcome(created.record, outcome, SettledFrom.NEW, { by: caller?.name ?? StatusSetter.GATEWAY, source: 'gdccard.pay' });
      }
      throw new LocalContentionError(order.orderNo);
    },

    refund,

    async getOrder(orderNo, caller) {
      const record = await ledger.get(orderNo);
      if (!record || (caller && !owns(caller, record))) throw new NotFoundError(`order ${orderNo} not found`);
      return settlement.resolveOne(record, caller?.name);
    },

    async queryPayments(items, caller) {
      if (caller && caller.mercacc !== '*') return queryOwn(items, caller);
      const results = await platform.payQuery(items);
      const stored = await ledger.getMany(results.map((result) => result.orderNo));
      await settleAnswered(items, results, stored, caller);
      return results;
    },

    async resolvePending(orderNos, by = StatusSetter.SETTLER) {
      const stored = await ledger.getMany(orderNos);
      return settlement.resolveAll(stored.values(), by);
    },

    async settleFromBill(entries) {
      const stored = await ledger.getMany(entries.map((entry) => entry.orderNo));
      return settlement.settleFromBill(entries, stored);
    },
  };

  /** The pass-through for a caller limited to its own orders: the ledger first, then the platform for the rest. */
  async function queryOwn(items: readonly PayQueryItem[], caller: Caller): Promise<readonly PayQueryResult[]> {
    const stored = await ledger.getMany(items.map((item) => item.orderNo));
    const foreign = (item: PayQueryItem): boolean => {
      const record = stored.get(item.orderNo);
      return record !== undefined && !owns(caller, record);
    };
    const asked = items.filter((item) => !foreign(item));
    const answers = asked.length > 0 ? await platform.payQuery(asked) : [];
    await settleAnswered(asked, answers, stored, caller);
    // Another caller's order reads as the platform's "no such order" (78), naming nothing of it.
    const remaining = [...answers];
    return items.flatMap((item): PayQueryResult[] => {
      if (foreign(item)) return [{ orderNo: item.orderNo, account: item.account, acctype: item.acctype, orderStatus: '78' }];
      const index = remaining.findIndex((answer) => answer.orderNo === item.orderNo);
      return index >= 0 ? remaining.splice(index, 1) : [];
    });
  }

  async function settleAnswered(
    items: readonly PayQueryItem[],
    results: readonly PayQueryResult[],
    stored: ReadonlyMap<string, LedgerRecord>,
    caller: Caller | undefined,
  ): Promise<void> {
      // The caller's query terms decide the platform's answer (a wrong acctype gets 78, "no such
      // order"), so an answer settles a PENDING order only when it was asked with the ledger's own
      // account and acctype, exactly as resolvePending would ask; and then only if it describes the
      // order (outcomeOf compares its terms, settlement-terms.ts).
      const askedAsLedger = (record: LedgerRecord): boolean =>
        items.some((item) => item.orderNo === record.orderNo && item.account === record.account && item.acctype === record.acctype);
      await Promise.allSettled(
        results.map(async (result) => {
          const record = stored.get(result.orderNo);
          if (!record || record.status !== OrderStatus.PENDING || !askedAsLedger(record)) return;
          await settlement.applyOutcome(record, settlement.outcomeOf(record, result), undefined, { by: caller?.name ?? StatusSetter.GATEWAY, source: 'pay.query' });
        }),
      );
  }
}
