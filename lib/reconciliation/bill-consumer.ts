// The bill service's report consumer for exceptions: for a final ALL download only, every report line goes to an
// exception feed (started on the first line); differences wait until the pass's end (a rejected bill records none).
import type { ReportEntry, UnresolvedOrder } from '../bills/reconcile.js';
import type { LedgerRecord } from '../ledger/records.js';
import { OrderStatus } from '../ledger/records.js';
import { getLogger } from '../observability/logger.js';
import { SETTLED_CATEGORIES, type ExceptionFeed, type FeedSummary } from './feed.js';

/** The download a consumer is made for (lib/bills/service.ts ReportContext). */
export interface DownloadContext {
  readonly billDate: string;
  readonly billType: string;
  readonly final: boolean;
}

/** A report consumer as lib/bills/service.ts takes them (ReportConsumer). */
export interface ExceptionConsumer {
  write(entry: ReportEntry): void | Promise<void>;
  end(outcome: { readonly unresolved: readonly UnresolvedOrder[] }): Promise<void>;
  abort(): void;
}

export interface ExceptionConsumerOptions {
  readonly startFeed: (billDate: string, pendingNow: (orderNos: readonly string[]) => Promise<ReadonlySet<string>>) => Promise<ExceptionFeed>;
  /** The ledger's current records (after the download's settlement). */
  readonly getMany: (orderNos: readonly string[]) => Promise<ReadonlyMap<string, LedgerRecord>>;
  /** Told what the feed did (a log line by default). */
  readonly onSummary?: (billDate: string, summary: FeedSummary) => void;
  /**
   * The most difference lines held until the download is accepted (default 10000, ten times what one
   * reconciliation keeps): past it a line is dropped (logged at the end) — it cannot resolve an exception wrongly.
   */
  readonly maxHeld?: number;
}

/**
 * `reportConsumers` for createBillService: API.md keeps exceptions from the reconciliation of a final bill only, and
 * of the ALL bill (the SUCCESS bill lacks unpaid rows, so its differences would restate the ALL bill's as others).
 */
export function exceptionConsumers(options: ExceptionConsumerOptions): (context: DownloadContext) => ExceptionConsumer[] {
  return (context) => {
    if (!context.final || context.billType !== 'ALL') return [];
    const { billDate } = context;
    const pendingNow = async (orderNos: readonly string[]): Promise<ReadonlySet<string>> => {
      const records = await options.getMany(orderNos);
      return new Set(orderNos.filter((orderNo) => records.get(orderNo)?.status === OrderStatus.PENDING));
    };
    let feed: ExceptionFeed | undefined;
    let starting: Promise<ExceptionFeed> | undefined;
    let aborted = false;
    // Difference lines are held, not written: a bill rejected later in the pass (cut, bad footer) must open nothing.
    const held: ReportEntry[] = [];
    const maxHeld = options.maxHeld ?? 10_000;
    let dropped = 0;
    const started = (): Promise<ExceptionFeed> => (starting ??= options.startFeed(billDate, pendingNow).then((made) => (feed = made)));
    return [
      {
        write(entry) {
          if (aborted) return undefined;
          if (!SETTLED_CATEGORIES.has(entry.category)) {
            if (held.length < maxHeld) held.push(entry);
            else dropped += 1;
            return undefined;
          }
          if (feed) return feed.write(entry);
          return started().then((made) => made.write(entry));
        },
        async end({ unresolved }) {
          if (aborted) return;
          const made = await started();
          for (const entry of held.splice(0)) await made.write(entry);
          if (dropped > 0) {
            getLogger().warn('reconciliation exceptions: more difference lines than are held until the bill is accepted; the first ones are kept', {
              bill_date: billDate,
              dropped,
            });
          }
          const summary = await made.finish({ unresolved });
          (options.onSummary ?? logSummary)(billDate, summary);
        },
        abort() {
          // The pass is dropped (a rejected bill, or read again as GBK): its held differences are never written.
          aborted = true;
          held.length = 0;
        },
      },
    ];
  };
}

function logSummary(billDate: string, summary: FeedSummary): void {
  if (summary.notKept > 0) {
    getLogger().warn('reconciliation exceptions: more differences than one reconciliation keeps; the first ones are kept', { bill_date: billDate, ...summary });
  } else {
    getLogger().info('reconciliation exceptions of a final bill', { bill_date: billDate, ...summary });
  }
}
