// The consumer of one final bill's reconciliation (a ReportSink of lib/bills/reconcile.ts): each difference opens
// or refreshes its exception as found; at the end the day's exceptions whose order was found matched are resolved.
import type { ReportEntry, UnresolvedOrder } from '../bills/reconcile.js';
import { OrderStatus } from '../ledger/records.js';
import { ExceptionKind, exceptionId, type Difference, type ReconciliationException } from './exceptions.js';
import type { ExceptionStore, RecordOutcome } from './store.js';

/** What one final reconciliation did to the day's exceptions. */
export interface FeedSummary {
  readonly opened: number;
  /** Found again: last_seen updated. */
  readonly seen: number;
  /** Resolved before, found again: open again. */
  readonly reopened: number;
  readonly resolved: number;
  /** Differences past maxDifferences that were not kept (the bill's own counts stay complete). */
  readonly notKept: number;
}

/** A ReportSink (write) with the end of the run (finish, given the reconciliation's result). */
export interface ExceptionFeed {
  write(entry: ReportEntry): void | Promise<void>;
  /** Waits for the writes, records the unresolved PENDING orders and resolves what this run found matched. */
  finish(result: { readonly unresolved: readonly UnresolvedOrder[] }): Promise<FeedSummary>;
}

export interface ExceptionFeedOptions {
  readonly store: ExceptionStore;
  readonly billDate: string;
  readonly now?: () => Date;
  /**
   * The most new differences one reconciliation keeps (default 1000, as many as a bill answer lists). A day with
   * more has a systemic cause (the ReconciliationMismatches alarm says so): its first ones are kept, in bill order.
   */
  readonly maxDifferences?: number;
  /** Conditional writes in flight at once (default 8). */
  readonly concurrency?: number;
  /**
   * Which of these orders are PENDING now (the ledger as stored). Given, an `unresolved` order that the run's
   * settlement has decided since the bill was read opens no unresolved_pending. Absent: `unresolved` is taken as is.
   */
  readonly pendingNow?: (orderNos: readonly string[]) => Promise<ReadonlySet<string>>;
}

/** Report categories that say the order is accounted for (next_day: it is on the next day's bill, never a mismatch). */
export const SETTLED_CATEGORIES: ReadonlySet<string> = new Set(['matched', 'settled', 'next_day']);

/**
 * Starts the feed of one final reconciliation of `billDate`: loads the day's open and acknowledged exceptions
 * (a day has few), so a matched row costs no DynamoDB call unless it resolves one of them.
 */
export async function startExceptionFeed(options: ExceptionFeedOptions): Promise<ExceptionFeed> {
  const { store, billDate } = options;
  const now = options.now ?? (() => new Date());
  const concurrency = options.concurrency ?? 8;
  const known = new Map<string, ReconciliationException>();
  const knownOrders = new Set<string>();
  for (const exception of await store.listUnresolved(billDate)) {
    known.set(exception.id, exception);
    knownOrders.add(exception.orderNo);
  }
  const maxDifferences = options.maxDifferences ?? 1000;
  const counts = { opened: 0, seen: 0, reopened: 0, resolved: 0, notKept: 0 };
  let fresh = 0;
  /** ids recorded by this run (a difference found twice in one run is written once). */
  const found = new Set<string>();
  /** Orders of known exceptions this run found accounted for. */
  const accountedFor = new Set<string>();
  /** Orders with a difference in this run, and the merchant accounts of their rows (for unresolved PENDING ones). */
  const differing = new Map<string, string[]>();
  /** Orders any line of this run named among the known exceptions' orders (an unresolved_pending is judged only then). */
  const named = new Set<string>();

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const record = (difference: Difference): Promise<void> | undefined => {
    const id = exceptionId(difference);
    if (found.has(id)) return undefined;
    if (!known.has(id)) {
      if (fresh >= maxDifferences) {
        counts.notKept += 1;
        return undefined;
      }
      fresh += 1;
    }
    found.add(id);
    const write = store
      .record(difference, now(), known.get(id))
      .then((outcome: RecordOutcome) => {
        counts[outcome] += 1;
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
    // Backpressure: the reconciliation awaits this before its next batch of rows.
    return inFlight.size >= concurrency ? Promise.race(inFlight) : undefined;
  };

  return {
    write(entry) {
      if (knownOrders.has(entry.orderNo)) named.add(entry.orderNo);
      if (SETTLED_CATEGORIES.has(entry.category)) {
        if (knownOrders.has(entry.orderNo)) accountedFor.add(entry.orderNo);
        return undefined;
      }
      const mercacc = merchantAccounts(entry);
      const before = differing.get(entry.orderNo);
      differing.set(entry.orderNo, before ? [...new Set([...before, ...mercacc])] : mercacc);
      if (entry.category === 'mismatched' && entry.field === 'status' && entry.ledger === OrderStatus.PENDING) {
        // A PENDING order with an unpaid row on equal terms: not a difference of its own, the order is in
        // `unresolved` (an unresolved_pending exception, recorded by finish).
        return undefined;
      }
      const kind =
        entry.category === 'missing_local'
          ? ExceptionKind.MISSING_LOCAL
          : entry.category === 'missing_remote'
            ? ExceptionKind.MISSING_REMOTE
            : ExceptionKind.MISMATCHED;
      return record({
        billDate,
        orderNo: own(entry.orderNo),
        kind,
        ...(kind === ExceptionKind.MISMATCHED ? { field: entry.field } : {}),
        ledger: own(entry.ledger),
        bill: own(entry.bill),
        mercacc,
      });
    },

    async finish(result) {
      const unresolved = new Set<string>();
      const stillPending = options.pendingNow && result.unresolved.length > 0
        ? await options.pendingNow(result.unresolved.map((order) => order.orderNo))
        : undefined;
      for (const order of result.unresolved) {
        if (stillPending && !stillPending.has(order.orderNo)) continue;
        unresolved.add(order.orderNo);
        await record({
          billDate,
          orderNo: order.orderNo,
          kind: ExceptionKind.UNRESOLVED_PENDING,
          ledger: OrderStatus.PENDING,
          bill: order.billStatus,
          mercacc: differing.get(order.orderNo) ?? [],
        });
      }
      while (inFlight.size > 0) await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      for (const exception of known.values()) {
        if (found.has(exception.id)) continue;
        const settled =
          accountedFor.has(exception.orderNo) ||
          // No longer PENDING-and-unresolved on this bill: the premise of the exception is gone.
          (exception.kind === ExceptionKind.UNRESOLVED_PENDING && named.has(exception.orderNo) && !unresolved.has(exception.orderNo));
        if (settled && (await store.resolve(exception.id, now()))) counts.resolved += 1;
      }
      return { ...counts };
    },
  };
}

/** The order's merchant account; for a mercacc mismatch both sides' (the ledger's and the bill's). */
function merchantAccounts(entry: ReportEntry): string[] {
  if (entry.category === 'mismatched' && entry.field === 'mercacc' && entry.ledger !== entry.mercacc) {
    return [own(entry.ledger), own(entry.mercacc)];
  }
  return [own(entry.mercacc)];
}

/** A copy that does not pin the 64 KB chunk a bill row's fields are slices of. */
function own(text: string): string {
  return (' ' + text).slice(1);
}
