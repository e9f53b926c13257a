// The scheduled settlement sweep: resolves PENDING orders past the in-flight window (lib/timings.ts) with pay.query (50 per
// call, oldest first, inside the invocation's time budget), then gauges what is still PENDING after 15 min.
//
// Decisions:
// - Orders come from the sparse `pending` index (listPending, created_at ascending) and are resolved through
//   PaymentService.resolvePending in batches of PAY_QUERY_BATCH (settlement.ts `batches`, the one batching):
//   it re-reads them consistently (the index lags), so an order another request settled meanwhile is
//   skipped, and its settle writes are conditional.
// - No new batch starts when less than `reserveMs` of the invocation is left: the run ends cleanly (the
//   next one continues) instead of being killed mid-way without its metric.
// - The gauge counts orders created more than `overdueAfterMs` ago that a consistent read still shows
//   PENDING, and is published even when the sweep failed (then the failure is rethrown).
import type { PaymentService } from './payments.js';
import { addSettleSummaries, batches, NOTHING_SETTLED, PAY_QUERY_BATCH, type SettleSummary } from './settlement.js';
import { OrderStatus } from './records.js';
import type { LedgerStore } from './store.js';
import { DEFAULT_TIMINGS, OVERDUE_AFTER_MS } from '../timings.js';
import { CUSTOM_METRICS, type CustomMetricName } from '../observability/names.js';

/** CloudWatch metric name of the gauge (an alarm in infra/ watches it). */
export const PENDING_OLDER_THAN_15M_METRIC = CUSTOM_METRICS.pendingOlderThan15m;

/** Publishes one metric value (wired to the service-level EMF publisher by the handler). */
export type PublishMetric = (name: CustomMetricName, value: number) => void;

export interface SettlementOptions {
  readonly payments: Pick<PaymentService, 'resolvePending'>;
  readonly ledger: Pick<LedgerStore, 'listPending' | 'getMany'>;
  readonly now?: () => Date;
  /** Only orders created at least this long ago are queried (younger ones may still be in flight). Default: lib/timings.ts. */
  readonly olderThanMs?: number;
  /** Age from which a PENDING order counts in the gauge. Default 15 minutes. */
  readonly overdueAfterMs?: number;
  /** Milliseconds left in the invocation (Lambda context.getRemainingTimeInMillis); absent = no budget. */
  readonly remainingMs?: () => number;
  /** No batch is started with less than this left. Default: lib/timings.ts settleReserveMs. */
  readonly reserveMs?: number;
  readonly publishMetric?: PublishMetric;
}

export interface SettlementReport extends SettleSummary {
  /** False when the run stopped early to stay inside its time budget (the next run picks up the rest). */
  readonly complete: boolean;
  /** Orders still PENDING after the run whose created_at is more than overdueAfterMs ago (the gauge). */
  readonly overdue: number;
  /** Up to OVERDUE_SAMPLE of them, oldest first, for the log. */
  readonly overdueOrderNos: readonly string[];
}

export const DEFAULT_SETTLE_OLDER_THAN_MS = DEFAULT_TIMINGS.settleOlderThanMs;
export const DEFAULT_OVERDUE_AFTER_MS = OVERDUE_AFTER_MS;
const DEFAULT_RESERVE_MS = DEFAULT_TIMINGS.settleReserveMs;
const OVERDUE_SAMPLE = 10;

/** One settlement run: sweep, gauge, publish. */
export async function settlePendingOrders(options: SettlementOptions): Promise<SettlementReport> {
  const now = options.now ?? (() => new Date());
  let sweep: { summary: SettleSummary; complete: boolean } | undefined;
  let sweepError: unknown;
  try {
    sweep = await sweepPending(options, now);
  } catch (error) {
    sweepError = error;
  }
  let overdue: { count: number; sample: string[] };
  try {
    overdue = await countOverdue(options, now);
  } catch (error) {
    throw sweep ? error : sweepError;
  }
  options.publishMetric?.(PENDING_OLDER_THAN_15M_METRIC, overdue.count);
  if (!sweep) throw sweepError;
  return { ...sweep.summary, complete: sweep.complete, overdue: overdue.count, overdueOrderNos: overdue.sample };
}

async function sweepPending(options: SettlementOptions, now: () => Date): Promise<{ summary: SettleSummary; complete: boolean }> {
  const cutoff = new Date(now().getTime() - (options.olderThanMs ?? DEFAULT_SETTLE_OLDER_THAN_MS));
  const orderNos = async function* (): AsyncIterable<string> {
    for await (const record of options.ledger.listPending(cutoff)) yield record.orderNo;
  };
  return resolveWhileTimeLeft(options.payments, orderNos(), {
    reserveMs: options.reserveMs ?? DEFAULT_RESERVE_MS,
    ...(options.remainingMs ? { remainingMs: options.remainingMs } : {}),
  });
}

/**
 * Resolves PENDING orders with pay.query, PAY_QUERY_BATCH a call, starting no batch with less than `reserveMs` of
 * `remainingMs` left (no bound without it): the sweep here, and a bill download's settlement (lib/bills). `complete`
 * is false when it stopped for time; the orders not asked stay PENDING for the next run.
 */
export async function resolveWhileTimeLeft(
  payments: Pick<PaymentService, 'resolvePending'>,
  orderNos: AsyncIterable<string> | Iterable<string>,
  options: { readonly reserveMs: number; readonly remainingMs?: () => number; readonly by?: string },
): Promise<{ summary: SettleSummary; complete: boolean }> {
  const { remainingMs, reserveMs, by } = options;
  let total = NOTHING_SETTLED;
  for await (const batch of batches(orderNos, PAY_QUERY_BATCH)) {
    if (remainingMs !== undefined && remainingMs() < reserveMs) return { summary: total, complete: false };
    total = addSettleSummaries(total, await payments.resolvePending(batch, by));
  }
  return { summary: total, complete: true };
}

async function countOverdue(options: SettlementOptions, now: () => Date): Promise<{ count: number; sample: string[] }> {
  const cutoff = new Date(now().getTime() - (options.overdueAfterMs ?? DEFAULT_OVERDUE_AFTER_MS));
  const candidates: string[] = [];
  for await (const record of options.ledger.listPending(cutoff)) candidates.push(record.orderNo);
  if (candidates.length === 0) return { count: 0, sample: [] };
  // The index is eventually consistent: count only what a consistent read still shows PENDING.
  const current = await options.ledger.getMany(candidates);
  const still = candidates.filter((orderNo) => current.get(orderNo)?.status === OrderStatus.PENDING);
  return { count: still.length, sample: still.slice(0, OVERDUE_SAMPLE) };
}
