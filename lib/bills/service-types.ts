// The bills use case's interface (lib/bills/service.ts): what its entry points take and answer, its options and
// hooks, and the report consumers each download feeds. Types only: every handler's bundle may import them.
import type { BillRequest, PlatformClient } from '../platform/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { PaymentService } from '../ledger/payments.js';
import type { MismatchReporter } from '../ledger/settlement-terms.js';
import type { CustomMetricName } from '../observability/names.js';
import type { BillArchive } from './archive.js';
import type { PendingWithoutRow, ReportSink, UnresolvedOrder } from './reconcile.js';
import type { BillMerchants, BillPage, BillReconciliation, BillType } from './report.js';
import type { MerchantScope } from './scoped-views.js';

export type CryptType = BillRequest['cryptType'];

/** Receives a metric value (the handler wires the service-level EMF publisher). */
export type MetricPublisher = (name: CustomMetricName, value: number) => void;

export interface BillHooks {
  readonly publishMetric?: MetricPublisher;
  /** Told of a failed archive write (the answer goes on without it). */
  readonly onArchiveFailure?: (error: unknown, context: { billDate: string; billType: string }) => void;
  /**
   * Milliseconds this invocation has left (an API route: until API Gateway gives up); report consumers stop in time.
   */
  readonly remainingMs?: () => number;
  /**
   * Milliseconds the function itself has left (on a route it goes on after API Gateway has answered): a download's
   * pay.query settlement starts no batch with less than settleReserveMs of it left. Absent: no bound (locally).
   */
  readonly functionRemainingMs?: () => number;
}

export interface GetBillInput extends BillHooks {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
  /** 1..5000, default 1000 (validated at the edge). */
  readonly limit?: number;
  readonly cursor?: string;
  /** The caller's merchant accounts: rows, summary, counts and lists filtered (lib/bills/scoped-views.ts). */
  readonly scope?: MerchantScope;
}

export interface DayInput extends BillHooks {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
  /** The caller's merchant accounts: the statement and report filtered to them. */
  readonly scope?: MerchantScope;
}

/** report.csv: a pre-signed URL of the stored report (deployed) or its text (local). */
export type ReportAnswer = { readonly kind: 'redirect'; readonly url: string } | { readonly kind: 'csv'; readonly body: string };

export interface DailyRunOptions extends BillHooks {
  /** The day to run for (yyyyMMdd); default yesterday, China date. */
  readonly billDate?: string;
}

export interface DailyRunResult {
  readonly billDate: string;
  readonly count: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly missingLocal: number;
  readonly missingRemote: number;
  /** PENDING orders this run settled (SUCCESS from the bill, or either way by pay.query). */
  readonly settled: number;
  /** False when the download could not be stored (counted in BillArchiveFailures). */
  readonly archived: boolean;
}

export interface BillService {
  getBill(input: GetBillInput): Promise<BillPage>;
  getMerchants(input: DayInput): Promise<BillMerchants>;
  getReport(input: DayInput): Promise<ReportAnswer>;
  /** The scheduled run (and a manual re-run): downloaded afresh, reconciled, settled, stored. */
  runDaily(options?: DailyRunOptions): Promise<DailyRunResult>;
}

export interface BillServiceOptions {
  readonly platform: PlatformClient;
  readonly ledger: LedgerStore;
  readonly payments: PaymentService;
  readonly archive: BillArchive;
  readonly defaultCryptType: CryptType;
  /** Minutes after China midnight of the next day from which a download is final (BILL_FINAL_AFTER); default 180. */
  readonly finalAfterMinutes?: number;
  readonly now?: () => Date;
  /** Told of each PENDING order whose bill row describes another order (it is not settled from the bill). */
  readonly onMismatch?: MismatchReporter;
  /**
   * Who else receives the day's report entries, per download (lib/reconciliation's exceptions, …): see
   * `reportSinks` in download-pass.ts, the one place the sinks of a pass are composed.
   */
  readonly reportConsumers?: (context: ReportContext) => readonly ReportConsumer[];
  /**
   * No pay.query batch of a download's settlement starts with less than this of the function's time left (BillHooks
   * functionRemainingMs); default lib/timings.ts billSettleReserveMs of the default platform timeout.
   */
  readonly settleReserveMs?: number;
}

/** The download a report consumer is given entries of. */
export interface ReportContext {
  readonly billDate: string;
  readonly billType: BillType;
  /** Whether this download is final (API.md Finality): a consumer of final reconciliations ignores the others. */
  readonly final: boolean;
  readonly fetchedAt: string;
  /** Milliseconds the invocation has left (BillHooks.remainingMs), when known. */
  readonly remainingMs?: () => number;
}

/**
 * A consumer of a download's report: every ReportEntry in its final category (PENDING orders' lines once they
 * were settled), then `end` with the PENDING orders still unresolved (with a row, and without one); `abort` when the pass is dropped (a bill
 * read again as GBK, a corrupt bill): what it was given so far does not count.
 */
export interface ReportConsumer extends ReportSink {
  end?(outcome: {
    readonly unresolved: readonly UnresolvedOrder[];
    /** The day's PENDING orders the bill lacks (complete; never settled by the download: no pay.query for them). */
    readonly pendingWithoutRow: readonly PendingWithoutRow[];
    readonly reconciliation: BillReconciliation;
    /** This download's stored report, once the download is accepted (absent when the archive failed). */
    readonly storedReport?: () => Promise<AsyncIterable<Uint8Array> | undefined>;
  }): void | Promise<void>;
  abort?(): void | Promise<void>;
}
