// Settlement: writing an outcome to a PENDING order (the payment side of a refund first, see store.ts),
// resolving PENDING orders with pay.query in batches of PAY_QUERY_BATCH, and what a run did.
import { NotFoundError } from '../errors.js';
import type { PayQueryResult, PlatformClient } from '../platform/types.js';
import { describeError, outcomeOfQuery, type CallOutcome } from './outcome.js';
import { OrderStatus, OrderType, SettledFrom, StatusSetter, type LedgerError, type LedgerRecord } from './records.js';
import type { MismatchReporter } from './settlement-terms.js';
import type { LedgerStore } from './store.js';

/** pay.query accepts at most this many orders per call. */
export const PAY_QUERY_BATCH = 50;

/** What a settling run did. */
export interface SettleSummary {
  /** PENDING orders looked at. */
  readonly examined: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly stillPending: number;
  /** pay.query calls that threw (their orders stay PENDING). */
  readonly queryErrors: number;
}

export const NOTHING_SETTLED: SettleSummary = { examined: 0, succeeded: 0, failed: 0, stillPending: 0, queryErrors: 0 };

/** The sum of two settlement summaries (batches of one run). */
export function addSettleSummaries(a: SettleSummary, b: SettleSummary): SettleSummary {
  return {
    examined: a.examined + b.examined,
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    stillPending: a.stillPending + b.stillPending,
    queryErrors: a.queryErrors + b.queryErrors,
  };
}

/** Bill evidence that a PENDING order moved money (reconcile's `settleable`). */
export interface BillSettlement {
  readonly orderNo: string;
  readonly outId: string;
}

/** `source` in arrays of at most `size` (the last may be shorter; none is empty). */
export async function* batches<T>(source: AsyncIterable<T> | Iterable<T>, size: number): AsyncIterable<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export interface SettlementDeps {
  readonly ledger: LedgerStore;
  readonly platform: Pick<PlatformClient, 'payQuery'>;
  readonly now: () => Date;
  readonly notFoundGraceMs: number;
  /** Told of every pay.query answer that described another order (it settled nothing). */
  readonly onMismatch?: MismatchReporter;
}

/** Who settles (history `by`: a caller's name, settler, bill, gateway) and from what answer (the reason). */
export interface SettledVia {
  readonly by: string;
  /** 'gdccard.pay', 'gdccard.refund', 'pay.query', 'bill'. */
  readonly source: string;
}

/** The history entry's reason for an outcome from `source`. */
function reasonOf(outcome: CallOutcome, source: string): string {
  if (outcome.kind === OrderStatus.SUCCESS) return `${source}: paid${outcome.outId ? ` (out_id ${outcome.outId})` : ''}`;
  if (outcome.kind === OrderStatus.FAILED) return `${source}: ${outcome.error.code} ${outcome.error.message}`.trim();
  return source;
}

export interface Settlement {
  /**
   * Writes an outcome; NOT_ATTEMPTED withdraws the order and throws its cause (unless an outcome won meanwhile).
   * `from` NEW: the request that created the order writes its money call's outcome (the event's previous_status null).
   */
  applyOutcome(record: LedgerRecord, outcome: CallOutcome, from?: SettledFrom, via?: SettledVia): Promise<LedgerRecord>;
  /** What pay.query's answer means for `record` now; an answer for another order is reported to onMismatch. */
  outcomeOf(record: LedgerRecord, result: PayQueryResult | undefined): CallOutcome;
  /** `record` itself unless PENDING; else resolved with one pay.query. */
  resolveOne(record: LedgerRecord, by?: string): Promise<LedgerRecord>;
  /** Resolves the PENDING ones among `records`, PAY_QUERY_BATCH per pay.query call. */
  resolveAll(records: AsyncIterable<LedgerRecord> | Iterable<LedgerRecord>, by?: string): Promise<SettleSummary>;
  /** Settles SUCCESS the PENDING ones among `stored` that the bill shows paid. */
  settleFromBill(entries: readonly BillSettlement[], stored: ReadonlyMap<string, LedgerRecord>): Promise<SettleSummary>;
}

export function createSettlement(deps: SettlementDeps): Settlement {
  const { ledger, platform, now, notFoundGraceMs, onMismatch } = deps;

  /** Records that the order is still PENDING; what is stored when an outcome won meanwhile. */
  const stillPending = async (record: LedgerRecord, error: LedgerError | undefined): Promise<LedgerRecord> => {
    const noted = await ledger.note(record.orderNo, error, now());
    if (!noted.record) throw new NotFoundError(`order ${record.orderNo} not found`);
    return noted.record;
  };

  async function applyOutcome(
    record: LedgerRecord,
    outcome: CallOutcome,
    from: SettledFrom = SettledFrom.PENDING,
    via: SettledVia = { by: StatusSetter.GATEWAY, source: 'gateway' },
  ): Promise<LedgerRecord> {
    const refundOf = record.type === OrderType.REFUND ? record.refundOrderNo : undefined;
    if (outcome.kind === 'NOT_ATTEMPTED') {
      if (refundOf !== undefined) await ledger.releaseRefund(refundOf, record.orderNo, record.amountFen, now());
      if (await ledger.withdraw(record.orderNo)) throw outcome.cause;
      // Someone recorded an outcome meanwhile: keep it (and say why this attempt ended).
      return stillPending(record, outcome.error);
    }
    if (outcome.kind === 'UNKNOWN') return stillPending(record, outcome.error);
    if (refundOf !== undefined) {
      if (outcome.kind === OrderStatus.SUCCESS) {
        await ledger.completeRefund(refundOf, record.orderNo, record.amountFen, now());
      } else {
        await ledger.releaseRefund(refundOf, record.orderNo, record.amountFen, now());
      }
    }
    const settled = await ledger.settle(
      record.orderNo,
      outcome.kind === OrderStatus.SUCCESS
        ? outcome.outId === undefined
          ? { status: OrderStatus.SUCCESS }
          : { status: OrderStatus.SUCCESS, outId: outcome.outId }
        : { status: OrderStatus.FAILED, error: outcome.error },
      now(),
      from,
      { by: via.by, reason: reasonOf(outcome, via.source) },
    );
    return settled.record;
  }

  const outcomeOf = (record: LedgerRecord, result: PayQueryResult | undefined): CallOutcome => {
    const outcome = outcomeOfQuery(record, result, { at: now(), notFoundGraceMs });
    if (outcome.kind === 'UNKNOWN' && outcome.differences) {
      onMismatch?.({ orderNo: record.orderNo, source: 'pay.query', differences: outcome.differences });
    }
    return outcome;
  };

  /** Resolves PENDING records with one pay.query call (≤ PAY_QUERY_BATCH); returns what is stored afterwards. */
  async function resolveBatch(records: readonly LedgerRecord[], by: string): Promise<{ records: LedgerRecord[]; queryFailed: boolean }> {
    const pending = records.filter((record) => record.status === OrderStatus.PENDING);
    if (pending.length === 0) return { records: [...records], queryFailed: false };
    let answers: ReadonlyMap<string, PayQueryResult> | undefined;
    let queryError: LedgerError | undefined;
    try {
      const results = await platform.payQuery(
        pending.map((record) => ({ account: record.account, acctype: record.acctype, orderNo: record.orderNo })),
      );
      answers = new Map(results.map((result) => [result.orderNo, result]));
    } catch (error) {
      queryError = describeError(error);
    }
    const resolved = await Promise.all(
      records.map((record) => {
        if (record.status !== OrderStatus.PENDING) return record;
        const outcome: CallOutcome = answers
          ? outcomeOf(record, answers.get(record.orderNo))
          : queryError
            ? { kind: 'UNKNOWN', error: queryError }
            : { kind: 'UNKNOWN' };
        return applyOutcome(record, outcome, undefined, { by, source: 'pay.query' });
      }),
    );
    return { records: resolved, queryFailed: answers === undefined };
  }

  return {
    applyOutcome,
    outcomeOf,

    async resolveOne(record, by = StatusSetter.GATEWAY) {
      if (record.status !== OrderStatus.PENDING) return record;
      const { records } = await resolveBatch([record], by);
      return records[0] ?? record;
    },

    async resolveAll(records, by = StatusSetter.GATEWAY) {
      let total = NOTHING_SETTLED;
      const pending = filter(records, (record) => record.status === OrderStatus.PENDING);
      for await (const batch of batches(pending, PAY_QUERY_BATCH)) {
        const { records: after, queryFailed } = await resolveBatch(batch, by);
        total = addSettleSummaries(total, summarize(batch, after, queryFailed ? 1 : 0));
      }
      return total;
    },

    async settleFromBill(entries, stored) {
      const before: LedgerRecord[] = [];
      const after: LedgerRecord[] = [];
      for (const entry of entries) {
        const record = stored.get(entry.orderNo);
        if (!record || record.status !== OrderStatus.PENDING) continue;
        before.push(record);
        after.push(await applyOutcome(record, { kind: OrderStatus.SUCCESS, outId: entry.outId }, undefined, { by: StatusSetter.BILL, source: 'bill' }));
      }
      return summarize(before, after, 0);
    },
  };
}

function summarize(before: readonly LedgerRecord[], after: readonly LedgerRecord[], queryErrors: number): SettleSummary {
  let succeeded = 0;
  let failed = 0;
  let stillPending = 0;
  after.forEach((record, index) => {
    if (before[index]?.status !== OrderStatus.PENDING) return;
    if (record.status === OrderStatus.SUCCESS) succeeded++;
    else if (record.status === OrderStatus.FAILED) failed++;
    else stillPending++;
  });
  const examined = before.filter((record) => record.status === OrderStatus.PENDING).length;
  return { examined, succeeded, failed, stillPending, queryErrors };
}

async function* filter<T>(source: AsyncIterable<T> | Iterable<T>, keep: (item: T) => boolean): AsyncIterable<T> {
  for await (const item of source) if (keep(item)) yield item;
}
