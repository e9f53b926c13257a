// The outbox of `Order Settled` events: the ledger write that sets a final status also sets the item's
// `outbox` mark (store.ts settle); publish() sends the event of marked records and clears the marks; sweep()
// (run by the settlement schedule) republishes what a failed or cut-off publish left marked. At least once.
import { OrderStatus, type LedgerRecord } from '../ledger/records.js';
import { batches } from '../ledger/settlement.js';
import type { LedgerStore } from '../ledger/store.js';
import { orderSettledEvent, type OrderSettledEvent } from './event.js';
import type { EventSink } from './sink.js';

/** PutEvents takes at most 10 entries. */
export const PUBLISH_BATCH = 10;
/** The sweeper leaves marks younger than this to the request that set them (it publishes right after). */
export const DEFAULT_SWEEP_GRACE_MS = 60_000;
/** An event still unpublished after this long counts in the EventsOverdue gauge (an alarm watches it). */
export const DEFAULT_EVENT_OVERDUE_MS = 15 * 60_000;

export interface PublishSummary {
  /** Events the sink accepted (their marks are cleared). */
  readonly published: number;
  /** Events refused or not attempted (their marks stay: the sweeper tries again). */
  readonly failed: number;
}

export interface SweepSummary extends PublishSummary {
  /** Marks still set after the sweep whose item was last updated more than overdueMs ago (the gauge). */
  readonly overdue: number;
}

export interface PublishFailure {
  readonly orderNos: readonly string[];
  readonly error?: unknown;
}

export interface OutboxDeps {
  readonly ledger: Pick<LedgerStore, 'clearOutbox' | 'listOutbox' | 'getMany'>;
  /** Absent: nothing is published (marks stay for a runtime that has a sink). */
  readonly sink: EventSink | undefined;
  readonly now: () => Date;
  /** Told of every event the sink refused or could not take (log and count it). */
  readonly onFailure?: (failure: PublishFailure) => void;
}

export interface SweepOptions {
  readonly graceMs?: number;
  readonly overdueMs?: number;
}

export interface Outbox {
  /** Publishes the events of the marked records among `records`, then clears their marks. Never throws. */
  publish(records: readonly LedgerRecord[]): Promise<PublishSummary>;
  /** Publishes every mark older than graceMs (consistent re-read first: the index lags), then gauges what is left. */
  sweep(options?: SweepOptions): Promise<SweepSummary>;
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { ledger, sink, now, onFailure } = deps;

  const publishBatch = async (records: readonly LedgerRecord[]): Promise<PublishSummary> => {
    const due = records
      .filter((record) => record.outboxDue === true && record.status !== OrderStatus.PENDING)
      .map((record) => ({ record, event: orderSettledEvent(record) }))
      .filter((entry): entry is { record: LedgerRecord; event: OrderSettledEvent } => entry.event !== undefined);
    if (due.length === 0 || !sink) return { published: 0, failed: due.length };
    let refused: ReadonlySet<OrderSettledEvent>;
    try {
      refused = new Set(await sink.put(due.map((entry) => entry.event)));
    } catch (error) {
      onFailure?.({ orderNos: due.map((entry) => entry.record.orderNo), error });
      return { published: 0, failed: due.length };
    }
    const failed = due.filter((entry) => refused.has(entry.event));
    if (failed.length > 0) onFailure?.({ orderNos: failed.map((entry) => entry.record.orderNo) });
    const delivered = due.filter((entry) => !refused.has(entry.event));
    // A crash before a mark is cleared only means the event is published again (consumers dedupe by event_id).
    const cleared = await Promise.allSettled(delivered.map((entry) => ledger.clearOutbox(entry.record.orderNo)));
    const uncleared = cleared.flatMap((result, index) => (result.status === 'rejected' ? [delivered[index]?.record.orderNo ?? '?'] : []));
    if (uncleared.length > 0) onFailure?.({ orderNos: uncleared, error: new Error('outbox mark not cleared; the event will be published again') });
    return { published: delivered.length, failed: failed.length };
  };

  const publish = async (records: readonly LedgerRecord[]): Promise<PublishSummary> => {
    let total: PublishSummary = { published: 0, failed: 0 };
    for await (const batch of batches(records, PUBLISH_BATCH)) total = add(total, await publishBatch(batch));
    return total;
  };

  return {
    publish,
    async sweep(options = {}) {
      const { graceMs, overdueMs } = { graceMs: DEFAULT_SWEEP_GRACE_MS, overdueMs: DEFAULT_EVENT_OVERDUE_MS, ...options };
      const cutoff = new Date(now().getTime() - graceMs);
      let total: PublishSummary = { published: 0, failed: 0 };
      const marked = async function* (): AsyncIterable<string> {
        for await (const record of ledger.listOutbox(cutoff)) yield record.orderNo;
      };
      for await (const batch of batches(marked(), PUBLISH_BATCH)) {
        const current = await ledger.getMany(batch);
        total = add(total, await publishBatch([...current.values()]));
      }
      // The index lags: count only what a consistent read still shows marked.
      const late: string[] = [];
      for await (const record of ledger.listOutbox(new Date(now().getTime() - overdueMs))) late.push(record.orderNo);
      const current = late.length > 0 ? await ledger.getMany(late) : new Map<string, LedgerRecord>();
      const overdue = late.filter((orderNo) => current.get(orderNo)?.outboxDue === true).length;
      return { ...total, overdue };
    },
  };
}

/** `ledger` whose settle publishes the event right after the write that set the final status (and its mark). */
export function publishingLedger(ledger: LedgerStore, outbox: Pick<Outbox, 'publish'>): LedgerStore {
  return {
    ...ledger,
    async settle(orderNo, outcome, at, from, mark) {
      const result = await ledger.settle(orderNo, outcome, at, from, mark);
      if (result.settled) await outbox.publish([result.record]);
      return result;
    },
  };
}

function add(a: PublishSummary, b: PublishSummary): PublishSummary {
  return { published: a.published + b.published, failed: a.failed + b.failed };
}
