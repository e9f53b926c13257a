// The bills use case: a day's bill from the archive when final, else downloaded (down.bill),
// reconciled against the ledger, PENDING orders it proves settled, and archived; a typed report out.
import { StatusSetter } from '../ledger/records.js';
import type { BillRequest, BillRow, PlatformClient } from '../platform/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { PaymentService } from '../ledger/payments.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import type { BillArchive } from './archive.js';
import type { MismatchReporter, TermDifference, TermField } from '../ledger/settlement-terms.js';
import type { BillReport, BillType } from './report.js';
import { CUSTOM_METRICS, type CustomMetricName } from '../observability/names.js';

export type CryptType = BillRequest['cryptType'];

export interface GetBillInput {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
}

/** CloudWatch metric name of a bill's differences (an alarm in infra/ watches it). */
export const RECONCILIATION_MISMATCHES_METRIC = CUSTOM_METRICS.reconciliationMismatches;

export interface DailyRunOptions {
  /** The day to run for (yyyyMMdd); default yesterday, China date. */
  readonly billDate?: string;
  /** Receives ReconciliationMismatches = missing_local + missing_remote + mismatched of the reconciled bill. */
  readonly publishMetric?: (name: CustomMetricName, value: number) => void;
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
}

export interface BillService {
  getBill(input: GetBillInput): Promise<BillReport>;
  /** The scheduled run: yesterday's (China date) bill, fetched, reconciled, PENDING orders it proves settled, archived. */
  runDaily(options?: DailyRunOptions): Promise<DailyRunResult>;
}

export interface BillServiceOptions {
  readonly platform: PlatformClient;
  readonly ledger: LedgerStore;
  readonly payments: PaymentService;
  readonly archive: BillArchive;
  readonly defaultCryptType: CryptType;
  readonly now?: () => Date;
  /** Told of each PENDING order whose bill row describes another order (it is not settled from the bill). */
  readonly onMismatch?: MismatchReporter;
}

export function createBillService(options: BillServiceOptions): BillService {
  const now = options.now ?? (() => new Date());

  /** The report, and how many PENDING orders were settled on the way (0 when served from the archive). */
  const loadBill = async (input: GetBillInput): Promise<{ report: BillReport; settled: number }> => {
    const billType = input.billType ?? 'ALL';
    const cryptType = input.cryptType ?? options.defaultCryptType;
    const final = input.billDate < chinaDate(now());
    if (final) {
      const stored = await options.archive.getReport(input.billDate, billType);
      if (stored?.final) return { report: stored.report, settled: 0 };
    }
    const downloaded = await options.platform.downloadBill({ billDate: input.billDate, billType, cryptType });
    const rows = downloaded.bill.rows;
    let result = await reconcile(rows, options.ledger.listByDay(input.billDate));
    reportPendingMismatches(result, options.onMismatch);
    const settled = await settleWithBill(result);
    if (settled > 0) result = await reconcile(rows, options.ledger.listByDay(input.billDate));
    const report = billReport(input.billDate, billType, downloaded.bill, result);
    // A day still in progress is archived too (for the record) but never served as final.
    await options.archive.put(input.billDate, billType, downloaded.text, {
      final,
      fetchedAt: toChinaIso(now()),
      report,
    });
    return { report, settled };
  };

  /** Settles PENDING orders the bill proves paid, asks pay.query about the rest; how many left PENDING. */
  const settleWithBill = async (result: ReconcileResult): Promise<number> => {
    let changed = 0;
    if (result.settleable.length > 0) {
      const summary = await options.payments.settleFromBill(result.settleable);
      changed += summary.succeeded + summary.failed;
    }
    if (result.unresolved.length > 0) {
      const summary = await options.payments.resolvePending(result.unresolved.map((order) => order.orderNo), StatusSetter.BILL);
      changed += summary.succeeded + summary.failed;
    }
    return changed;
  };

  return {
    getBill: async (input) => (await loadBill(input)).report,
    async runDaily(runOptions = {}) {
      const billDate = runOptions.billDate ?? chinaDate(new Date(now().getTime() - 24 * 3600 * 1000));
      const { report, settled } = await loadBill({ billDate, billType: 'ALL' });
      const { reconciliation } = report;
      runOptions.publishMetric?.(
        RECONCILIATION_MISMATCHES_METRIC,
        reconciliation.missingLocal.length + reconciliation.missingRemote.length + reconciliation.mismatched.length,
      );
      return {
        billDate,
        count: report.count,
        matched: reconciliation.matched,
        mismatched: reconciliation.mismatched.length,
        missingLocal: reconciliation.missingLocal.length,
        missingRemote: reconciliation.missingRemote.length,
        settled,
      };
    },
  };
}

const TERM_FIELDS: ReadonlySet<string> = new Set<TermField>(['type', 'account', 'acctype', 'mercacc', 'tranamt']);

/** The PENDING orders (reconcile's `unresolved`) whose row differs in a term: one report per order. */
function reportPendingMismatches(result: ReconcileResult, report: MismatchReporter | undefined): void {
  if (!report || result.unresolved.length === 0) return;
  const pending = new Set(result.unresolved.map((order) => order.orderNo));
  const byOrder = new Map<string, TermDifference[]>();
  for (const entry of result.mismatched) {
    if (!pending.has(entry.orderNo) || !TERM_FIELDS.has(entry.field)) continue;
    const list = byOrder.get(entry.orderNo) ?? [];
    list.push({ field: entry.field as TermField, ledger: entry.ledger, source: entry.bill });
    byOrder.set(entry.orderNo, list);
  }
  for (const [orderNo, differences] of byOrder) report({ orderNo, source: 'bill', differences });
}

function billReport(
  billDate: string,
  billType: BillType,
  bill: { rows: readonly BillRow[]; count: number; totalFen: number },
  result: ReconcileResult,
): BillReport {
  const { matched, missingLocal, missingRemote, mismatched } = result;
  return {
    billDate,
    billType,
    count: bill.count,
    totalFen: bill.totalFen,
    rows: bill.rows,
    reconciliation: { matched, missingLocal, missingRemote, mismatched },
  };
}
