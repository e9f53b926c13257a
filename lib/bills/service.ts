// The bills use case (API.md "Bills"): a day's bill downloaded unless the stored download is final,
// reconciled against the ledger (PENDING orders it proves settled), stored in pages with its report,
// and served a page at a time; the per-merchant view, the report CSV and the daily run.
import { StatusSetter } from '../ledger/records.js';
import type { BillRequest, PlatformClient } from '../platform/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { PaymentService } from '../ledger/payments.js';
import type { MismatchReporter, TermDifference, TermField } from '../ledger/settlement-terms.js';
import { OrderStatus } from '../ledger/records.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import { CUSTOM_METRICS, type CustomMetricName } from '../observability/names.js';
import type { BillArchive } from './archive.js';
import { rawKey, reportKey } from './keys.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import { cursorNotOurs, decodeCursor, encodeCursor } from './cursor.js';
import { CursorStaleError } from './errors.js';
import { isFinalDownload } from './finality.js';
import { downloadBill, type BillDownload } from './source.js';
import {
  DOWNLOAD_FORMAT, newCursorKey, newDownloadId, PAGE_ROWS, publishHeader, readCurrent, readHeader, readRows, writePages,
  type DownloadHeader,
} from './downloads.js';
import { missingRemoteLine, ReportClassifier, reportHeader } from './report-csv.js';
import type { BillRow } from '../platform/types.js';
import { billReconciliation, BillTotals, MONEY_MOVED, type BillMerchants, type BillPage, type BillType } from './report.js';

export type CryptType = BillRequest['cryptType'];

/** CloudWatch metric name of a bill's differences (CUSTOM_METRICS.reconciliationMismatches, alarmed in infra). */
export const RECONCILIATION_MISMATCHES_METRIC = CUSTOM_METRICS.reconciliationMismatches;
export const DEFAULT_PAGE_LIMIT = 1000;
export const MAX_PAGE_LIMIT = 5000;
/** How long the pre-signed URL of a stored report is valid (API.md: 15 minutes). */
export const REPORT_URL_SECONDS = 15 * 60;

/** Receives a metric value (the handler wires the service-level EMF publisher). */
export type MetricPublisher = (name: CustomMetricName, value: number) => void;

export interface BillHooks {
  readonly publishMetric?: MetricPublisher;
  /** Told of a failed archive write (the answer goes on without it). */
  readonly onArchiveFailure?: (error: unknown, context: { billDate: string; billType: string }) => void;
}

export interface GetBillInput extends BillHooks {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
  /** 1..5000, default 1000 (validated at the edge). */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface DayInput extends BillHooks {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
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
}

/** A fresh download, reconciled and (when the archive allowed) stored. */
interface Processed {
  readonly header: DownloadHeader;
  /** The first rows, for the answer that caused the download. */
  readonly firstRows: BillRow[];
  readonly changed: number;
  readonly archived: boolean;
  readonly report: string;
}

export function createBillService(options: BillServiceOptions): BillService {
  const now = options.now ?? (() => new Date());
  const finalAfter = options.finalAfterMinutes ?? 180;
  const { archive, ledger } = options;

  /** Settles PENDING orders the bill proves paid, asks pay.query about the rest; how many changed. */
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

  /** `readFailed`: the stored download could not be read (already reported); counted once with the writes. */
  const download = async (input: DayInput, firstLimit: number, readFailed = false): Promise<Processed> => {
    const billType = input.billType ?? 'ALL';
    const cryptType = input.cryptType ?? options.defaultCryptType;
    const { billDate } = input;
    const bill: BillDownload = await downloadBill(options.platform, { billDate, billType, cryptType });
    const fetched = now();

    let result = withoutUnmovedRows(await reconcile(bill.rows(), ledger.listByDay(billDate)), bill);
    reportPendingMismatches(result, options.onMismatch);
    const changed = await settleWithBill(result);
    let settled = new Set<string>();
    if (changed > 0) {
      const first = result;
      result = withoutUnmovedRows(await reconcile(bill.rows(), ledger.listByDay(billDate)), bill);
      settled = settledBy(first, result);
    }
    const reconciliation = billReconciliation(result, settled);
    // The metric first: a failed archive write below must not lose it.
    input.publishMetric?.(
      CUSTOM_METRICS.reconciliationMismatches,
      reconciliation.counts.missingLocal + reconciliation.counts.missingRemote + reconciliation.counts.mismatched,
    );

    const id = newDownloadId(fetched);
    let totals = new BillTotals();
    const firstRows: BillRow[] = [];
    const rowsSeen = function* (): Generator<BillRow> {
      for (const row of bill.rows()) {
        totals.add(row);
        if (firstRows.length < firstLimit) firstRows.push(row);
        yield row;
      }
    };
    const report = await reportCsv(billDate, bill, result, settled);
    let archived = true;
    let stored = 0;
    try {
      stored = await writePages(archive, { billDate, billType, id }, rowsSeen());
    } catch (error) {
      archived = false;
      input.onArchiveFailure?.(error, { billDate, billType });
    }
    if (!archived) {
      // The answer still needs the totals and first rows: count them again from the first row.
      totals = new BillTotals();
      firstRows.length = 0;
      stored = 0;
      for (const _ of rowsSeen()) stored++;
    }
    const header: DownloadHeader = {
      id,
      billDate,
      billType,
      format: DOWNLOAD_FORMAT,
      fetchedAt: toChinaIso(fetched),
      final: isFinalDownload(billDate, fetched, finalAfter),
      count: bill.count,
      totalFen: bill.totalFen,
      rows: stored,
      pageRows: PAGE_ROWS,
      summary: totals.summary(),
      reconciliation,
      merchants: totals.merchants(),
      cursorKey: newCursorKey(),
    };
    if (archived) {
      try {
        await archive.putText(rawKey(billDate, billType), bill.rawText, { contentType: 'text/plain; charset=utf-8', keepPrevious: true });
        await archive.putText(reportKey(billDate, billType), report, { contentType: 'text/csv; charset=utf-8', keepPrevious: true });
        await publishHeader(archive, header);
      } catch (error) {
        archived = false;
        input.onArchiveFailure?.(error, { billDate, billType });
      }
    }
    if (!archived || readFailed) input.publishMetric?.(CUSTOM_METRICS.billArchiveFailures, 1);
    return { header, firstRows, changed, archived, report };
  };

  /** The report CSV: every bill row in bill order, then the SUCCESS ledger orders the bill lacks. */
  const reportCsv = async (billDate: string, bill: BillDownload, result: ReconcileResult, settled: ReadonlySet<string>): Promise<string> => {
    const classifier = new ReportClassifier(result, settled);
    const parts: string[] = [reportHeader()];
    for (const row of bill.rows()) parts.push(classifier.linesOf(row));
    if (result.missingRemote.length > 0) {
      const missing = new Set(result.missingRemote);
      for await (const record of ledger.listByDay(billDate)) {
        if (missing.has(record.orderNo) && record.status === OrderStatus.SUCCESS) parts.push(missingRemoteLine(record));
      }
    }
    return parts.join('');
  };

  /** The stored download to serve without a cursor: the final one, else a fresh download. */
  const current = async (input: DayInput, firstLimit: number): Promise<{ header: DownloadHeader; firstRows?: BillRow[]; report?: string; archived: boolean }> => {
    const billType = input.billType ?? 'ALL';
    let stored: DownloadHeader | undefined;
    let readFailed = false;
    try {
      stored = await readCurrent(archive, input.billDate, billType);
    } catch (error) {
      // The archive is not needed to answer: download afresh (counted in BillArchiveFailures).
      readFailed = true;
      input.onArchiveFailure?.(error, { billDate: input.billDate, billType });
    }
    if (stored?.final) return { header: stored, archived: true };
    return download(input, firstLimit, readFailed);
  };

  const page = (header: DownloadHeader, rows: BillRow[], offset: number, archived: boolean): BillPage => {
    const next = offset + rows.length;
    return {
      billDate: header.billDate,
      billType: header.billType,
      count: header.count,
      totalFen: header.totalFen,
      final: header.final,
      fetchedAt: header.fetchedAt,
      summary: header.summary,
      rows,
      nextCursor:
        next < header.rows && archived
          ? encodeCursor({ billDate: header.billDate, billType: header.billType, downloadId: header.id, offset: next }, header.cursorKey)
          : null,
      reconciliation: header.reconciliation,
    };
  };

  return {
    async getBill(input) {
      const billType = input.billType ?? 'ALL';
      const limit = input.limit ?? DEFAULT_PAGE_LIMIT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) throw new RangeError('limit must be 1..5000');
      if (input.cursor === undefined) {
        const { header, firstRows, archived } = await current(input, limit);
        const rows = firstRows ?? (await readRows(archive, header, 0, limit));
        return page(header, rows, 0, archived);
      }
      const cursor = decodeCursor(input.cursor);
      if (cursor.billDate !== input.billDate || cursor.billType !== billType) throw cursorNotOurs();
      const latest = await readCurrent(archive, input.billDate, billType);
      if (latest && latest.id === cursor.downloadId) {
        if (!cursor.verify(latest.cursorKey) || cursor.offset >= latest.rows) throw cursorNotOurs();
        return page(latest, await readRows(archive, latest, cursor.offset, limit), cursor.offset, true);
      }
      const origin = await readHeader(archive, input.billDate, billType, cursor.downloadId);
      if (!origin || !cursor.verify(origin.cursorKey)) throw cursorNotOurs();
      throw new CursorStaleError('the download this cursor came from has been replaced: start again without a cursor', {
        bill_date: input.billDate,
        bill_type: billType,
      });
    },

    async getMerchants(input) {
      const { header } = await current(input, 0);
      return { billDate: header.billDate, final: header.final, merchants: header.merchants };
    },

    async getReport(input) {
      const billType = input.billType ?? 'ALL';
      const answer = await current(input, 0);
      if (answer.archived && archive.presignGet) {
        return { kind: 'redirect', url: await archive.presignGet(reportKey(input.billDate, billType), REPORT_URL_SECONDS) };
      }
      const body = answer.report ?? (await archive.getText(reportKey(input.billDate, billType)));
      if (body === undefined) throw new Error(`the stored report of ${input.billDate} ${billType} is missing`);
      return { kind: 'csv', body };
    },

    async runDaily(runOptions = {}) {
      const billDate = runOptions.billDate ?? chinaDate(new Date(now().getTime() - 24 * 3600 * 1000));
      const { header, changed, archived } = await download({ ...runOptions, billDate, billType: 'ALL' }, 0);
      const { reconciliation } = header;
      return {
        billDate,
        count: header.count,
        matched: reconciliation.matched + reconciliation.settled,
        mismatched: reconciliation.counts.mismatched,
        missingLocal: reconciliation.counts.missingLocal,
        missingRemote: reconciliation.counts.missingRemote,
        settled: changed,
        archived,
      };
    },
  };
}

/**
 * API.md: a row that moved no money (e.g. 77) with no ledger order is not a difference. reconcile()
 * lists every row without a ledger order; drop those rows here (the streaming reconcile does it itself).
 */
function withoutUnmovedRows(result: ReconcileResult, bill: BillDownload): ReconcileResult {
  if (result.missingLocal.length === 0) return result;
  const missing = new Set(result.missingLocal);
  const moved = new Set<string>();
  for (const row of bill.rows()) if (missing.has(row.orderNo) && MONEY_MOVED.has(row.orderStatus)) moved.add(row.orderNo);
  if (moved.size === missing.size) return result;
  return { ...result, missingLocal: result.missingLocal.filter((orderNo) => moved.has(orderNo)) };
}

/** Orders the first pass left PENDING (settleable or unresolved) that the second pass finds matched. */
function settledBy(first: ReconcileResult, second: ReconcileResult): Set<string> {
  const differing = new Set(second.mismatched.map((m) => m.orderNo));
  const stillPending = new Set([...second.settleable, ...second.unresolved].map((order) => order.orderNo));
  const settled = new Set<string>();
  for (const order of [...first.settleable, ...first.unresolved]) {
    if (!differing.has(order.orderNo) && !stillPending.has(order.orderNo)) settled.add(order.orderNo);
  }
  return settled;
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
