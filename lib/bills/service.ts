// The bills use case (API.md "Bills"): a day's bill downloaded unless the stored download is final, streamed
// through one pass (pipeline.ts: raw archive, row pages, the merge against the ledger, the report), PENDING orders
// it proves settled, and served a page at a time; the per-merchant view, the report CSV and the daily run.
import { StatusSetter } from '../ledger/records.js';
import type { BillRequest, BillRow, PlatformClient } from '../platform/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { PaymentService } from '../ledger/payments.js';
import type { MismatchReporter, TermDifference, TermField } from '../ledger/settlement-terms.js';
import { BillEncodingRestart, BusinessError } from '../protocol/errors.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import { CUSTOM_METRICS, type CustomMetricName } from '../observability/names.js';
import type { BillArchive } from './archive.js';
import { billRowBatches, type BillEncoding } from './bill-stream.js';
import { downloadReportKey, rawKey } from './keys.js';
import { BOUNDARY_WINDOW_MS } from './held-orders.js';
import type { ReconcileMismatch, ReportSink, StreamReconcileResult, UnresolvedOrder } from './reconcile.js';
import { cursorNotOurs, decodeCursor, encodeCursor } from './cursor.js';
import { CursorStaleError } from './errors.js';
import { chinaDayStart, isFinalDownload } from './finality.js';
import {
  DOWNLOAD_FORMAT, newCursorKey, newDownloadId, PAGE_ROWS, publishHeader, readCurrent, readHeader, readRows, reportKeyOf,
  type DownloadHeader,
} from './downloads.js';
import { PendingLines, type PendingOutcome } from './pending-lines.js';
import { ArchiveGuard, fanOut, ReportWriterSink, runBillPass, type PassResult } from './pipeline.js';
import { RECONCILIATION_LIST_CAP, type BillMerchants, type BillPage, type BillReconciliation, type BillType } from './report.js';
import { isScoped, scopedBillPage, scopedMerchants, scopedReport, type MerchantScope, type ScopedViewsContext } from './scoped-views.js';

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
   * `reportSinks` below, the one place the sinks of a pass are composed.
   */
  readonly reportConsumers?: (context: ReportContext) => readonly ReportConsumer[];
}

/** The download a report consumer is given entries of. */
export interface ReportContext {
  readonly billDate: string;
  readonly billType: BillType;
  /** Whether this download is final (API.md Finality): a consumer of final reconciliations ignores the others. */
  readonly final: boolean;
  readonly fetchedAt: string;
}

/**
 * A consumer of a download's report: every ReportEntry in its final category (PENDING orders' lines once they
 * were settled), then `end` with the PENDING orders still unresolved; `abort` when the pass is dropped (a bill
 * read again as GBK, a corrupt bill): what it was given so far does not count.
 */
export interface ReportConsumer extends ReportSink {
  end?(outcome: { readonly unresolved: readonly UnresolvedOrder[]; readonly reconciliation: BillReconciliation }): void | Promise<void>;
  abort?(): void | Promise<void>;
}

/** A fresh download, reconciled and (when the archive allowed) stored. */
interface Processed {
  readonly header: DownloadHeader;
  /** The first rows, for the answer that caused the download. */
  readonly firstRows: BillRow[];
  readonly changed: number;
  readonly archived: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

/** The China day `days` after (or before) a yyyyMMdd day. */
function dayAfter(billDate: string, days: number): string {
  const start = chinaDayStart(billDate);
  if (!start) throw new RangeError(`bill date must be a calendar day yyyyMMdd: ${billDate}`);
  return chinaDate(new Date(start.getTime() + days * DAY_MS + 12 * 3600 * 1000));
}

export function createBillService(options: BillServiceOptions): BillService {
  const now = options.now ?? (() => new Date());
  const finalAfter = options.finalAfterMinutes ?? 180;
  const { archive, ledger, platform } = options;
  const scoped: ScopedViewsContext = { archive, ledgerHolds: async (orderNos) => new Set((await ledger.getMany(orderNos)).keys()) };

  /** Settles PENDING orders the bill proves paid, asks pay.query about the rest; how many changed. */
  const settleWithBill = async (result: StreamReconcileResult): Promise<number> => {
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

  /**
   * The next day's bill so far, read only when reconcileStream asks (a late SUCCESS order is missing): nothing
   * when that day has not begun in China or the platform has no bill for it yet.
   */
  const nextDayRows = (request: BillRequest) =>
    async function* (): AsyncGenerator<readonly BillRow[]> {
      const billDate = dayAfter(request.billDate, 1);
      if (billDate > chinaDate(now())) return;
      for (const encoding of [undefined, 'gbk'] as const) {
        let plain: AsyncIterable<Uint8Array>;
        try {
          plain = (await platform.downloadBillStream({ ...request, billDate })).plain;
        } catch (error) {
          if (error instanceof BusinessError) return; // 60038 no data yet, …
          throw error;
        }
        try {
          yield* billRowBatches(plain, encoding ? { encoding } : {});
          return;
        } catch (error) {
          // Rows given twice are harmless here: only which order_nos the next day holds is used.
          if (error instanceof BillEncodingRestart && encoding === undefined) continue;
          throw error;
        }
      }
    };

  /** One streamed download: passes until one is read in the right encoding, then settled and stored. */
  const download = async (input: DayInput, firstLimit: number, readFailed = false): Promise<Processed> => {
    const billType = input.billType ?? 'ALL';
    const cryptType = input.cryptType ?? options.defaultCryptType;
    const { billDate } = input;
    const request: BillRequest = { billDate, billType, cryptType };
    for (const encoding of [undefined, 'gbk'] as const) {
      try {
        return await processDownload(input, request, firstLimit, readFailed, encoding);
      } catch (error) {
        // The bill looked like UTF-8 and was not: read it again from the start as GBK (a new download).
        if (error instanceof BillEncodingRestart && encoding === undefined) continue;
        throw error;
      }
    }
    throw new Error('unreachable: the GBK pass does not restart');
  };

  const processDownload = async (
    input: DayInput,
    request: BillRequest & { billType: BillType },
    firstLimit: number,
    readFailed: boolean,
    encoding: BillEncoding | undefined,
  ): Promise<Processed> => {
    const { billDate, billType } = request;
    const { plain } = await platform.downloadBillStream(request);
    const fetched = now();
    const id = newDownloadId(fetched);
    const final = isFinalDownload(billDate, fetched, finalAfter);
    const guard = new ArchiveGuard();
    const raw = archive.openWriter(rawKey(billDate, billType), { contentType: 'text/plain; charset=utf-8', keepPrevious: true });
    // This download's own report (named in its header): a concurrent download of the day, or this one failing to
    // publish its header, cannot pair one download's report with another's header.
    const reportAt = downloadReportKey(billDate, billType, id, final);
    const reportOut = archive.openWriter(reportAt, { contentType: 'text/csv; charset=utf-8' });
    const report = new ReportWriterSink((text) => guard.run(() => reportOut.write(text)));
    const consumers = options.reportConsumers?.({ billDate, billType, final, fetchedAt: toChinaIso(fetched) }) ?? [];
    // THE place the report sinks of a pass are composed: the stored report, then every consumer. PendingLines
    // in front holds the PENDING orders' lines until settlement below has decided their category.
    const reportSinks: ReportSink[] = [report, ...consumers];
    const pending = new PendingLines(fanOut(reportSinks));
    const pendingDifferences = new Map<string, readonly ReconcileMismatch[]>();
    const dayStart = chinaDayStart(billDate)!;

    /** The pass is dropped (read again, corrupt, or failed before it was stored): nothing of it is kept. */
    const drop = () => Promise.allSettled([raw.abort(), reportOut.abort(), ...consumers.map(async (consumer) => consumer.abort?.())]);
    let pass: PassResult;
    try {
      pass = await runBillPass({
        plain,
        ...(encoding ? { encoding } : {}),
        orders: ledger.listDayOrders(billDate),
        previousDayWindow: ledger.listDayOrders(dayAfter(billDate, -1), { createdFrom: new Date(dayStart.getTime() - BOUNDARY_WINDOW_MS) }),
        nextDayRows: nextDayRows(request),
        store: { archive, raw, pages: { billDate, billType, id }, guard },
        sink: pending,
        firstRows: firstLimit,
        onPending: (orderNo, differences) => {
          if (differences.length > 0) pendingDifferences.set(orderNo, differences);
        },
      });
    } catch (error) {
      await drop();
      throw error;
    }
    const { result } = pass;
    reportPendingMismatches(pendingDifferences, options.onMismatch);
    let changed: number;
    let outcome: PendingOutcome;
    try {
      // A failure here (the ledger, pay.query) must not leave the writers open: an unfinished multipart upload, a
      // temporary file, consumers never told.
      changed = await settleWithBill(result);
      const held = pending.orderNos();
      outcome = await pending.release(held.length > 0 ? await ledger.getMany(held) : new Map());
      await report.flush();
    } catch (error) {
      await drop();
      throw error;
    }
    const reconciliation = reconciliationOf(result, outcome);
    // The metric first: a failed archive write below must not lose it.
    input.publishMetric?.(
      CUSTOM_METRICS.reconciliationMismatches,
      reconciliation.counts.missingLocal + reconciliation.counts.missingRemote + reconciliation.counts.mismatched,
    );

    const header: DownloadHeader = {
      id,
      billDate,
      billType,
      format: DOWNLOAD_FORMAT,
      fetchedAt: toChinaIso(fetched),
      final,
      count: pass.footer.count,
      totalFen: pass.footer.totalFen,
      rows: result.rows,
      pageRows: PAGE_ROWS,
      summary: pass.totals.summary(),
      reconciliation,
      merchants: pass.totals.merchants(),
      cursorKey: newCursorKey(),
      report: reportAt,
    };
    await guard.run(() => raw.close());
    let reportStored = false;
    await guard.run(async () => {
      await reportOut.close();
      reportStored = true;
    });
    await guard.run(() => publishHeader(archive, header));
    if (!guard.active) {
      // Not published: no header names the report, so it goes (best effort: else the bucket's lifecycle takes it).
      await Promise.allSettled([raw.abort(), reportOut.abort(), ...(reportStored && archive.remove ? [archive.remove(reportAt)] : [])]);
    }
    for (const consumer of consumers) await consumer.end?.({ unresolved: result.unresolved, reconciliation });
    const archived = guard.active;
    if (!archived) input.onArchiveFailure?.(guard.failure, { billDate, billType });
    if (!archived || readFailed) input.publishMetric?.(CUSTOM_METRICS.billArchiveFailures, 1);
    return { header, firstRows: pass.firstRows, changed, archived };
  };

  /** The stored download to serve without a cursor: the final one, else a fresh download. */
  const current = async (input: DayInput, firstLimit: number): Promise<{ header: DownloadHeader; firstRows?: BillRow[]; archived: boolean }> => {
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
        if (isScoped(input.scope)) return scopedBillPage(scoped, header, { offset: 0, limit, archived, ...(firstRows ? { firstRows } : {}) }, input.scope);
        const rows = firstRows ?? (await readRows(archive, header, 0, limit));
        return page(header, rows, 0, archived);
      }
      const cursor = decodeCursor(input.cursor);
      if (cursor.billDate !== input.billDate || cursor.billType !== billType) throw cursorNotOurs();
      const latest = await readCurrent(archive, input.billDate, billType);
      if (latest && latest.id === cursor.downloadId) {
        if (!cursor.verify(latest.cursorKey) || cursor.offset >= latest.rows) throw cursorNotOurs();
        if (isScoped(input.scope)) return scopedBillPage(scoped, latest, { offset: cursor.offset, limit, archived: true }, input.scope);
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
      return { billDate: header.billDate, final: header.final, merchants: isScoped(input.scope) ? scopedMerchants(header.merchants, input.scope) : header.merchants };
    },

    async getReport(input) {
      const billType = input.billType ?? 'ALL';
      const answer = await current(input, 0);
      if (isScoped(input.scope)) return scopedReport(archive, answer.header, answer.archived, input.scope, REPORT_URL_SECONDS);
      // The report of the download this header names, never another download's of the same day.
      const key = reportKeyOf(answer.header);
      if (answer.archived && archive.presignGet) return { kind: 'redirect', url: await archive.presignGet(key, REPORT_URL_SECONDS) };
      // Locally the stored report is read back as it streams from the archive (a day's report is not held twice).
      const stored = answer.archived ? await archive.getStream(key) : undefined;
      if (stored === undefined) throw new Error(`the report of ${input.billDate} ${billType} could not be stored`);
      const decoder = new TextDecoder('utf-8');
      let body = '';
      for await (const chunk of stored) body += decoder.decode(chunk, { stream: true });
      return { kind: 'csv', body: body + decoder.decode() };
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

/** The reconciliation as answers carry it: the pass's lists and counts with what settlement decided. */
function reconciliationOf(result: StreamReconcileResult, outcome: PendingOutcome): BillReconciliation {
  const cap = <T>(list: readonly T[]): T[] => list.slice(0, RECONCILIATION_LIST_CAP);
  return {
    matched: result.matched,
    settled: outcome.settled,
    missingLocal: cap(result.missingLocal),
    missingRemote: cap(result.missingRemote),
    mismatched: cap([...result.mismatched, ...outcome.mismatched]),
    counts: {
      missingLocal: result.counts.missingLocal,
      missingRemote: result.counts.missingRemote,
      mismatched: result.counts.mismatched + outcome.mismatched.length,
    },
  };
}

const TERM_FIELDS: ReadonlySet<string> = new Set<TermField>(['type', 'account', 'acctype', 'mercacc', 'tranamt']);

/** The PENDING orders whose row differs in a term: one report per order (they are not settled from the bill). */
function reportPendingMismatches(differing: ReadonlyMap<string, readonly ReconcileMismatch[]>, report: MismatchReporter | undefined): void {
  if (!report) return;
  for (const [orderNo, entries] of differing) {
    const differences: TermDifference[] = entries
      .filter((entry) => TERM_FIELDS.has(entry.field))
      .map((entry) => ({ field: entry.field as TermField, ledger: entry.ledger, source: entry.bill }));
    if (differences.length > 0) report({ orderNo, source: 'bill', differences });
  }
}
