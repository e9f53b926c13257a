// The bill service's report consumer for exceptions: for a final ALL download only. Once the download is accepted
// its stored report is read back and fed to an exception feed (nothing of the pass is held but a small fallback).
import type { PendingWithoutRow, ReportCategory, ReportEntry, UnresolvedOrder } from '../bills/reconcile.js';
import { csvRecordsOf, type CsvRecord } from '../bills/report-filter.js';
import { NONE, REPORT_COLUMNS } from '../bills/report-csv.js';
import type { LedgerRecord } from '../ledger/records.js';
import { OrderStatus } from '../ledger/records.js';
import { getLogger } from '../observability/logger.js';
import { publishServiceMetric } from '../observability/metrics.js';
import { CUSTOM_METRICS } from '../observability/names.js';
import { OrderDigests } from './digests.js';
import { own, SETTLED_CATEGORIES, type ExceptionFeed, type FeedLine, type FeedRunOptions, type FeedSummary } from './feed.js';
import { BILL_FUNCTION_TIMEOUT_SECONDS } from '../function-timeouts.js';

/** The download a consumer is made for (lib/bills/service.ts ReportContext). */
export interface DownloadContext {
  readonly billDate: string;
  readonly billType: string;
  readonly final: boolean;
  /** Milliseconds the invocation has left: writing stops EXCEPTIONS_RESERVE_MS before its end. */
  readonly remainingMs?: () => number;
}

/** How the bill service ends a consumer (lib/bills/service.ts ReportConsumer.end). */
export interface ConsumerOutcome {
  readonly unresolved: readonly UnresolvedOrder[];
  /** The day's PENDING orders the bill lacks (feed.ts FeedResult); absent, only orders named by a line resolve. */
  readonly pendingWithoutRow?: readonly PendingWithoutRow[];
  /** The stored report of this download once it is accepted (absent when it could not be stored). */
  readonly storedReport?: () => Promise<AsyncIterable<Uint8Array> | undefined>;
}

/** A report consumer as lib/bills/service.ts takes them (ReportConsumer). */
export interface ExceptionConsumer {
  write(entry: ReportEntry): void | Promise<void>;
  end(outcome: ConsumerOutcome): Promise<void>;
  abort(): void;
}

export interface ExceptionConsumerOptions {
  readonly startFeed: (
    billDate: string,
    pendingNow: (orderNos: readonly string[]) => Promise<ReadonlySet<string>>,
    run: FeedRunOptions,
  ) => Promise<ExceptionFeed>;
  /** The ledger's current records (after the download's settlement). */
  readonly getMany: (orderNos: readonly string[]) => Promise<ReadonlyMap<string, LedgerRecord>>;
  /** Told what the feed did (a log line by default). */
  readonly onSummary?: (billDate: string, summary: FeedSummary) => void;
  /**
   * Without a stored report to read back (the archive failed): the most report lines held from the pass
   * (default 1000). Past it lines are dropped, counted in notKept, and nothing is resolved by this run.
   */
  readonly maxHeld?: number;
  /**
   * Milliseconds from the download's start after which no more exceptions are written (default EXCEPTIONS_BUDGET_MS),
   * and sooner when the invocation's time (DownloadContext.remainingMs) runs out: what is left is counted in notKept,
   * logged and published (CUSTOM_METRICS.exceptionsNotKept), and the next final run of the day records it.
   */
  readonly budgetMs?: number;
  /** The clock of the budget (default Date.now). */
  readonly clock?: () => number;
}

/** Kept of down-bill's timeout after the feed stops: its last batches, the day's resolution, the open gauge, the answer. */
export const EXCEPTIONS_FINISH_MS = 60_000;
/**
 * From the download's start, down-bill's timeout (lib/function-timeouts.ts, which infra sets) less
 * EXCEPTIONS_FINISH_MS: the download, the pass and settlement come first, then the feed (240 s at 300 s).
 */
export const EXCEPTIONS_BUDGET_MS = BILL_FUNCTION_TIMEOUT_SECONDS * 1000 - EXCEPTIONS_FINISH_MS;
/** Kept of the invocation's time for the last batches in flight, the open gauge and the answer. */
export const EXCEPTIONS_RESERVE_MS = 5_000;

/**
 * `reportConsumers` for createBillService: API.md keeps exceptions from the reconciliation of a final bill only, and
 * of the ALL bill (the SUCCESS bill lacks unpaid rows, so its differences would restate the ALL bill's as others).
 */
export function exceptionConsumers(options: ExceptionConsumerOptions): (context: DownloadContext) => ExceptionConsumer[] {
  return (context) => {
    if (!context.final || context.billType !== 'ALL') return [];
    const { billDate } = context;
    const clock = options.clock ?? Date.now;
    const deadline = clock() + (options.budgetMs ?? EXCEPTIONS_BUDGET_MS);
    const { remainingMs } = context;
    const outOfTime = (): boolean => clock() >= deadline || (remainingMs !== undefined && remainingMs() < EXCEPTIONS_RESERVE_MS);
    const pendingNow = async (orderNos: readonly string[]): Promise<ReadonlySet<string>> => {
      const records = await options.getMany(orderNos);
      return new Set(orderNos.filter((orderNo) => records.get(orderNo)?.status === OrderStatus.PENDING));
    };
    let aborted = false;
    // Lines are held (a few) only for a download whose report cannot be read back; a bill rejected later in the
    // pass (cut, bad footer) must open nothing, so nothing is written before end.
    const held: FeedLine[] = [];
    const maxHeld = options.maxHeld ?? 1000;
    let dropped = 0;
    // report.csv leaves ledger and bill empty on missing_* lines: missing_remote is always SUCCESS / (none) and
    // missing_local (none) / the row's status, 60 unless kept here (80, turned into a refund: 8 bytes an order).
    const otherStatuses = new Map<string, OrderDigests>();
    return [
      {
        write(entry) {
          if (aborted) return undefined;
          if (entry.category === 'missing_local' && entry.bill !== PAID) {
            let digests = otherStatuses.get(entry.bill);
            if (!digests) otherStatuses.set(entry.bill, (digests = new OrderDigests()));
            digests.add(entry.orderNo);
          }
          if (held.length < maxHeld) held.push(copied(entry));
          else dropped += 1;
          return undefined;
        },
        async end({ unresolved, pendingWithoutRow, storedReport }) {
          if (aborted) return;
          const report = await readBack(storedReport, billDate);
          const feed = await options.startFeed(billDate, pendingNow, {
            outOfTime,
            ...(report ? { unresolved } : { resolve: dropped === 0 }),
          });
          if (report) {
            held.length = 0;
            for (const digests of otherStatuses.values()) digests.seal();
            for await (const record of report) {
              const line = feedLine(record, otherStatuses);
              const wait = line && feed.write(line);
              if (wait) await wait;
            }
          } else {
            for (const line of held.splice(0)) {
              const wait = feed.write(line);
              if (wait) await wait;
            }
          }
          const finished = await feed.finish({ unresolved, ...(pendingWithoutRow ? { pendingWithoutRow } : {}) });
          const summary = dropped > 0 && !report ? { ...finished, notKept: finished.notKept + dropped } : finished;
          // Alarmed (infra/constructs/alarms.ts): the day resolves nothing until a re-run keeps the rest.
          if (summary.notKept > 0) publishServiceMetric(CUSTOM_METRICS.exceptionsNotKept, summary.notKept);
          (options.onSummary ?? logSummary)(billDate, summary);
        },
        abort() {
          // The pass is dropped (a rejected bill, or read again as GBK): its held lines are never written.
          aborted = true;
          held.length = 0;
        },
      },
    ];
  };
}

/** The stored report's records, or undefined (logged) when it cannot be read. */
async function readBack(storedReport: ConsumerOutcome['storedReport'], billDate: string): Promise<AsyncIterable<CsvRecord> | undefined> {
  if (!storedReport) return undefined;
  try {
    const chunks = await storedReport();
    if (chunks) return csvRecordsOf(chunks);
  } catch (error) {
    getLogger().warn('exceptions: report not read back', { bill_date: billDate, error: String(error) });
  }
  return undefined;
}

const COLUMN = Object.fromEntries(REPORT_COLUMNS.map((name, index) => [name, index])) as Record<(typeof REPORT_COLUMNS)[number], number>;
const CATEGORIES: ReadonlySet<string> = new Set([...SETTLED_CATEGORIES, 'missing_local', 'missing_remote', 'mismatched']);

const PAID = '60';

/** A record of the stored report.csv as the feed reads it, with the sides report.csv leaves out; undefined for the header. */
function feedLine(record: CsvRecord, otherStatuses: ReadonlyMap<string, OrderDigests>): FeedLine | undefined {
  const { fields } = record;
  const category = fields[COLUMN.category] ?? '';
  if (fields.length !== REPORT_COLUMNS.length || !CATEGORIES.has(category)) return undefined;
  const orderNo = fields[COLUMN.order_no] as string;
  let ledger = fields[COLUMN.ledger] as string;
  let bill = fields[COLUMN.bill] as string;
  if (category === 'missing_remote') {
    ledger = OrderStatus.SUCCESS;
    bill = NONE;
  } else if (category === 'missing_local') {
    ledger = NONE;
    bill = PAID;
    for (const [status, digests] of otherStatuses) if (digests.indexOf(orderNo) >= 0) bill = status;
  }
  return { orderNo, category: category as ReportCategory, field: fields[COLUMN.field] as string, ledger, bill, mercacc: fields[COLUMN.mercacc] as string };
}

/** The fields the feed reads, copied: a held line must not pin the 64 KB chunk a bill row's fields are slices of. */
function copied(entry: FeedLine): FeedLine {
  return { orderNo: own(entry.orderNo), category: entry.category, field: own(entry.field), ledger: own(entry.ledger), bill: own(entry.bill), mercacc: own(entry.mercacc) };
}

function logSummary(billDate: string, summary: FeedSummary): void {
  if (summary.notKept > 0) {
    getLogger().warn('exceptions: out of time', {
      bill_date: billDate,
      ...summary,
    });
  } else {
    getLogger().info('exceptions recorded', { bill_date: billDate, ...summary });
  }
}
