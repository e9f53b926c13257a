// The bill service's report consumer for exceptions: for a final ALL download only, every report line goes to an
// exception feed (started on the first line), the pass's end records the unresolved PENDING orders and resolves.
import type { ReportEntry, UnresolvedOrder } from '../bills/reconcile.js';
import type { LedgerRecord } from '../ledger/records.js';
import { OrderStatus } from '../ledger/records.js';
import { getLogger } from '../observability/logger.js';
import type { ExceptionFeed, FeedSummary } from './feed.js';

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
    const started = (): Promise<ExceptionFeed> => (starting ??= options.startFeed(billDate, pendingNow).then((made) => (feed = made)));
    return [
      {
        write(entry) {
          if (aborted) return undefined;
          if (feed) return feed.write(entry);
          return started().then((made) => made.write(entry));
        },
        async end({ unresolved }) {
          if (aborted) return;
          const summary = await (await started()).finish({ unresolved });
          (options.onSummary ?? logSummary)(billDate, summary);
        },
        abort() {
          // The pass is dropped (read again as GBK): what it recorded is found again by the next pass, same ids.
          aborted = true;
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
