// The consumer of one final bill's reconciliation: its lines (a ReportSink during the pass, or the stored report read
// back) open or refresh one exception per difference, in batches; at the end the day's exceptions whose order was
// found matched are resolved. Memory is bounded: a few batches of differences, and 9 bytes per unresolved exception.
import { isStillPendingLine } from '../bills/pending-lines.js';
import { NONE } from '../bills/report-csv.js';
import type { PendingWithoutRow, ReportEntry, UnresolvedOrder } from '../bills/reconcile.js';
import { OrderStatus } from '../ledger/records.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { OrderDigests } from './digests.js';
import { ExceptionKind, exceptionId, type Difference } from './exceptions.js';
import type { ExceptionState, ExceptionStore, RecordOutcome } from './store.js';

/** What one final reconciliation did to the day's exceptions. */
export interface FeedSummary {
  readonly opened: number;
  /** Found again: last_seen, ledger, bill and mercacc updated. */
  readonly seen: number;
  /** Resolved before, found again: open again. */
  readonly reopened: number;
  readonly resolved: number;
  /**
   * Differences this run did not record because its time ran out (outOfTime): the next final run of the day
   * records them (ids are deterministic, so what this run opened is found again, not opened twice). The bill's
   * own counts stay complete; the day's resolution waits for a run that records every difference.
   */
  readonly notKept: number;
}

/** The parts of a report line the feed reads (a ReportEntry, or a line of the stored report.csv). */
export type FeedLine = Pick<ReportEntry, 'orderNo' | 'category' | 'field' | 'ledger' | 'bill' | 'mercacc'>;

/** A ReportSink (write) with the end of the run (finish, given the reconciliation's result). */
export interface ExceptionFeed {
  write(line: FeedLine): void | Promise<void>;
  /** Waits for the writes, records the unresolved PENDING orders and resolves what this run found matched. */
  finish(result: FeedResult): Promise<FeedSummary>;
}

/** What finish is told of the reconciliation (a StreamReconcileResult is one). */
export interface FeedResult {
  /** The PENDING orders with a row that did not settle them. */
  readonly unresolved: readonly UnresolvedOrder[];
  /**
   * The day's PENDING orders the bill lacks (complete): each still PENDING opens an unresolved_pending with bill
   * "(none)". Given, the run knows every PENDING order of the day, so an unresolved_pending exception of the day
   * that is in neither list (nor still PENDING) is resolved even when no line of this bill names its order (the
   * feed may see only some lines: the first ones held). Absent (a caller that does not know them): only named
   * orders resolve.
   */
  readonly pendingWithoutRow?: readonly PendingWithoutRow[];
}

/** What the bill side may add to a feed it starts (lib/reconciliation/bill-consumer.ts). */
export interface FeedRunOptions {
  /**
   * The orders the reconciliation left unresolved, when known before the lines are written (the stored report is
   * read after the pass): only their lines' merchant accounts are kept, for their unresolved_pending exceptions.
   */
  readonly unresolved?: readonly UnresolvedOrder[];
  /** True once this run must stop writing (the Lambda's time): what is left is counted in notKept. */
  readonly outOfTime?: () => boolean;
  /** False: open and refresh only (some differences of the run were lost, so no exception may be judged resolved). */
  readonly resolve?: boolean;
}

export interface ExceptionFeedOptions extends FeedRunOptions {
  readonly store: ExceptionStore;
  readonly billDate: string;
  readonly now?: () => Date;
  /** DynamoDB calls in flight at once (default 16). */
  readonly concurrency?: number;
  /** Distinct differences per batch (default 100: one BatchGetItem, four BatchWriteItem of 25). */
  readonly batchSize?: number;
  /**
   * Which of these orders are PENDING now (the ledger as stored). Given, an `unresolved` order that the run's
   * settlement has decided since the bill was read opens no unresolved_pending. Absent: `unresolved` is taken as is.
   */
  readonly pendingNow?: (orderNos: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Told how many differences are held (batched or being written) each time one is added: the memory bound. */
  readonly onHeld?: (held: number) => void;
}

/** Report categories that say the order is accounted for (next_day: it is on the next day's bill, never a mismatch). */
export const SETTLED_CATEGORIES: ReadonlySet<string> = new Set(['matched', 'settled', 'next_day']);

/** Batches being written at once: the held differences stay below (this + 1) × batchSize. */
const BATCHES_IN_FLIGHT = 4;
/** A batch this small is written with conditional writes (no more calls than BatchGetItem + BatchWriteItem, no race). */
const SMALL_BATCH = 2;
const NAMED = 1;
const SETTLED = 2;

/**
 * Starts the feed of one final reconciliation of `billDate`. It loads the orders of the day's open and acknowledged
 * exceptions as 64-bit digests (a matched row then costs no DynamoDB call unless its order has one of them).
 * Every write of a run carries one instant (last_seen): an exception whose last_seen is it was found by this run,
 * so a difference found twice is written once and this run's exceptions are never resolved by it.
 */
export async function startExceptionFeed(options: ExceptionFeedOptions): Promise<ExceptionFeed> {
  const { store, billDate } = options;
  const runAt = (options.now ?? (() => new Date()))();
  const at = toChinaIso(runAt);
  const batchSize = options.batchSize ?? 100;
  const limit = limiter(options.concurrency ?? 16);
  const known = new OrderDigests();
  /** Whether the day has an unresolved_pending exception (one a run may resolve without a line naming its order). */
  let pendingKnown = false;
  for await (const exception of store.eachUnresolved(billDate)) {
    known.add(exception.orderNo);
    if (exception.kind === ExceptionKind.UNRESOLVED_PENDING) pendingKnown = true;
  }
  known.seal();
  const flags = new Uint8Array(known.length);
  let flagged = false;
  const counts = { opened: 0, seen: 0, reopened: 0, resolved: 0, notKept: 0 };
  const count = (outcome: RecordOutcome): void => {
    if (outcome !== 'repeated') counts[outcome] += 1;
  };

  const expected = options.unresolved ? new Set(options.unresolved.map((order) => order.orderNo)) : undefined;
  /** The merchant accounts of the lines of orders that may be unresolved (for their unresolved_pending). */
  const differing = new Map<string, string[]>();

  let batch = new Map<string, Difference>();
  /** ids of the batches being written: found again meanwhile, they are this run's already. */
  const writing = new Set<string>();
  const batches = new Set<Promise<void>>();
  let stopped = false;
  let failure: unknown;

  const writeBatch = async (taken: ReadonlyMap<string, Difference>): Promise<void> => {
    if (taken.size <= SMALL_BATCH) {
      await Promise.all([...taken.values()].map((difference) => limit(() => store.record(difference, runAt)).then(count)));
      return;
    }
    const states = await limit(() => store.states([...taken.keys()]));
    const fresh: Difference[] = [];
    const writes: Promise<void>[] = [];
    for (const [id, difference] of taken) {
      const state: ExceptionState | undefined = states.get(id);
      if (state === undefined) fresh.push(difference);
      else if (state.lastSeen !== at) writes.push(limit(() => store.record(difference, runAt, state)).then(count));
    }
    for (let start = 0; start < fresh.length; start += 25) {
      const chunk = fresh.slice(start, start + 25);
      writes.push(limit(() => store.openAll(chunk, runAt)).then(() => void (counts.opened += chunk.length)));
    }
    await Promise.all(writes);
  };

  const flush = (): Promise<void> | undefined => {
    if (batch.size === 0) return undefined;
    const taken = batch;
    batch = new Map();
    if (options.outOfTime?.()) {
      stopped = true;
      counts.notKept += taken.size;
      return undefined;
    }
    for (const id of taken.keys()) writing.add(id);
    const work: Promise<void> = writeBatch(taken)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        for (const id of taken.keys()) writing.delete(id);
        batches.delete(work);
      });
    batches.add(work);
    // Backpressure: the reader of the lines awaits this before the next one.
    return batches.size >= BATCHES_IN_FLIGHT ? Promise.race(batches) : undefined;
  };

  const enqueue = (difference: Difference): Promise<void> | undefined => {
    if (stopped) {
      counts.notKept += 1;
      return undefined;
    }
    if (failure !== undefined) return undefined; // finish throws it
    const id = exceptionId(difference);
    if (batch.has(id) || writing.has(id)) return undefined;
    batch.set(id, difference);
    options.onHeld?.(batch.size + writing.size);
    return batch.size >= batchSize ? flush() : undefined;
  };

  /**
   * The differences of the order whose lines are being read (a bill row's lines are consecutive), written once its
   * lines end: each carries the merchant accounts of all of them, so an order booked on another merchant's account
   * shows every one of its differences to both merchants, as the bill views show its report lines (report-filter.ts).
   */
  let group: { orderNo: string; differences: Difference[]; mercacc: Set<string> } | undefined;
  const flushGroup = (): Promise<unknown> | undefined => {
    if (!group) return undefined;
    const { differences, mercacc } = group;
    group = undefined;
    const merchants = [...mercacc];
    const waits = differences.map((difference) => enqueue({ ...difference, mercacc: merchants })).filter((wait) => wait !== undefined);
    return waits.length === 0 ? undefined : Promise.all(waits);
  };

  const flagsOf = (orderNo: string): number => {
    const index = known.indexOf(orderNo);
    return index < 0 ? 0 : (flags[index] as number);
  };

  return {
    write(line) {
      const settled = SETTLED_CATEGORIES.has(line.category);
      if (known.length > 0) {
        const index = known.indexOf(line.orderNo);
        if (index >= 0) {
          flags[index] = (flags[index] as number) | NAMED | (settled ? SETTLED : 0);
          flagged = true;
        }
      }
      if (settled) return undefined;
      const mercacc = merchantAccounts(line);
      if (expected ? expected.has(line.orderNo) : line.category === 'mismatched') {
        const before = differing.get(line.orderNo);
        if (before) differing.set(line.orderNo, [...new Set([...before, ...mercacc])]);
        else differing.set(own(line.orderNo), mercacc);
      }
      if (isStillPendingLine(line.category, line.field, line.ledger)) {
        // A PENDING order with an unpaid row on equal terms: not a difference of its own, the order is in
        // `unresolved` (an unresolved_pending exception, recorded by finish).
        return undefined;
      }
      const kind =
        line.category === 'missing_local'
          ? ExceptionKind.MISSING_LOCAL
          : line.category === 'missing_remote'
            ? ExceptionKind.MISSING_REMOTE
            : ExceptionKind.MISMATCHED;
      const wait = group && group.orderNo !== line.orderNo ? flushGroup() : undefined;
      group ??= { orderNo: own(line.orderNo), differences: [], mercacc: new Set() };
      for (const account of mercacc) group.mercacc.add(account);
      group.differences.push({
        billDate,
        orderNo: group.orderNo,
        kind,
        ...(kind === ExceptionKind.MISMATCHED ? { field: own(line.field) } : {}),
        ledger: own(line.ledger),
        bill: own(line.bill),
        mercacc,
      });
      return wait?.then(() => undefined);
    },

    async finish(result) {
      await flushGroup();
      const unresolved = new Set<string>();
      const rowless = result.pendingWithoutRow;
      const asked = [...result.unresolved, ...(rowless ?? [])].map((order) => order.orderNo);
      const stillPending = options.pendingNow && asked.length > 0 ? await options.pendingNow(asked) : undefined;
      /** An unresolved_pending for an order still PENDING now (and not kept already by this run). */
      const keep = async (orderNo: string, bill: string, mercacc: string[]): Promise<void> => {
        // Settled (or failed) since the bill was read, by the settler or this download: nothing to keep.
        if ((stillPending && !stillPending.has(orderNo)) || unresolved.has(orderNo)) return;
        unresolved.add(orderNo);
        await enqueue({ billDate, orderNo, kind: ExceptionKind.UNRESOLVED_PENDING, ledger: OrderStatus.PENDING, bill, mercacc });
      };
      for (const order of result.unresolved) await keep(order.orderNo, order.billStatus, differing.get(order.orderNo) ?? []);
      // No report line for these: the ledger order's merchant account scopes them.
      for (const order of rowless ?? []) await keep(order.orderNo, NONE, [own(order.mercacc)]);
      await flush();
      while (batches.size > 0) await Promise.all(batches);
      if (failure !== undefined) throw failure;
      const allPendingKnown = rowless !== undefined;
      if ((!flagged && !(allPendingKnown && pendingKnown)) || counts.notKept > 0 || options.resolve === false) return { ...counts };
      // The day's unresolved exceptions, a page at a time: resolved when this run found their order accounted for.
      const resolving = new Set<Promise<void>>();
      for await (const exception of store.eachUnresolved(billDate)) {
        // Out of time: the rest waits for the next run (resolving is idempotent).
        if (options.outOfTime?.()) break;
        if (exception.lastSeen === at) continue;
        const flag = flagsOf(exception.orderNo);
        const settled =
          (flag & SETTLED) !== 0 ||
          // No longer PENDING-and-unresolved on this bill: the premise of the exception is gone. Its order is named
          // by a line, or this run knows every PENDING order of the day (the order is not one, or has been settled).
          (exception.kind === ExceptionKind.UNRESOLVED_PENDING &&
            ((flag & NAMED) !== 0 || allPendingKnown) &&
            !unresolved.has(exception.orderNo));
        if (!settled) continue;
        const work: Promise<void> = limit(() => store.resolve(exception.id, runAt)).then((done) => {
          if (done) counts.resolved += 1;
        }).finally(() => resolving.delete(work));
        resolving.add(work);
        if (resolving.size >= 16) await Promise.race(resolving);
      }
      await Promise.all(resolving);
      return { ...counts };
    },
  };
}

/** Runs at most `slots` of the given calls at once. */
function limiter(slots: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (call) => {
    while (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await call();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** The order's merchant account; for a mercacc mismatch both sides' (the ledger's and the bill's). */
function merchantAccounts(line: FeedLine): string[] {
  if (line.category === 'mismatched' && line.field === 'mercacc' && line.ledger !== line.mercacc) {
    return [own(line.ledger), own(line.mercacc)];
  }
  return [own(line.mercacc)];
}

/** A copy that does not pin the 64 KB chunk a bill row's fields are slices of. */
export function own(text: string): string {
  return (' ' + text).slice(1);
}
