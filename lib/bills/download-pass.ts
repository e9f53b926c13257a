// One fresh download of a day's bill (API.md "Bills"): downloaded, streamed through one pass (pipeline.ts: raw
// archive, row pages, the merge against the ledger, the report and its consumers), PENDING orders it proves settled,
// then stored: its own report first, its header last (what makes it the day's current download).
import { StatusSetter } from '../ledger/records.js';
import { resolveWhileTimeLeft } from '../ledger/settler.js';
import { BILL_BODY_RESERVE_MS, DEFAULT_TIMINGS } from '../timings.js';
import type { BillRequest, BillRow, BillStreamOptions } from '../platform/types.js';
import type { MismatchReporter, TermDifference, TermField } from '../ledger/settlement-terms.js';
import { BillEncodingRestart, BusinessError } from '../protocol/errors.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import { getLogger } from '../observability/logger.js';
import { CUSTOM_METRICS } from '../observability/names.js';
import { billRowBatches, type BillEncoding } from './bill-stream.js';
import { downloadReportKey, rawKey } from './keys.js';
import { dayAfter, previousDayWindow } from './boundary.js';
import type { ReconcileMismatch, ReportSink, StreamReconcileResult } from './reconcile.js';
import { isFinalDownload } from './finality.js';
import { DOWNLOAD_FORMAT, newCursorKey, newDownloadId, PAGE_ROWS, publishHeader, readCurrent, reportKeyOf, type DownloadHeader } from './downloads.js';
import { PendingLines, type PendingOutcome } from './pending-lines.js';
import { ArchiveGuard, fanOut, ReportWriterSink, runBillPass, type PassResult } from './pipeline.js';
import { RECONCILIATION_LIST_CAP, type BillReconciliation, type BillType } from './report.js';
import type { BillServiceOptions, DayInput } from './service-types.js';

/** A fresh download, reconciled and (when the archive allowed) stored. */
export interface Processed {
  readonly header: DownloadHeader;
  /** The first rows, for the answer that caused the download. */
  readonly firstRows: BillRow[];
  readonly changed: number;
  readonly archived: boolean;
}

/** Downloads `input`'s day afresh: `firstLimit` first rows kept for the answer; `readFailed` when the stored one could not be read. */
export type Downloader = (input: DayInput, firstLimit: number, readFailed?: boolean) => Promise<Processed>;

/** The service's download step, over its options (`now` already defaulted by the service). */
export function createDownloader(options: BillServiceOptions & { readonly now: () => Date }): Downloader {
  const { now } = options;
  const finalAfter = options.finalAfterMinutes ?? 180;
  const { archive, ledger, platform } = options;
  const settleReserveMs = options.settleReserveMs ?? DEFAULT_TIMINGS.billSettleReserveMs;

  /**
   * Settles PENDING orders the bill proves paid, then asks pay.query about the rest (resolveWhileTimeLeft) while
   * the function has settleReserveMs left (one whole call and the time to store the download); those not asked stay PENDING
   * for the settler's next run, so this step never outlasts the function. How many orders changed.
   */
  const settleWithBill = async (result: StreamReconcileResult, remainingMs: (() => number) | undefined): Promise<number> => {
    let changed = 0;
    if (result.settleable.length > 0) {
      const summary = await options.payments.settleFromBill(result.settleable);
      changed += summary.succeeded + summary.failed;
    }
    if (result.unresolved.length > 0) {
      const { summary } = await resolveWhileTimeLeft(
        options.payments,
        result.unresolved.map((order) => order.orderNo),
        { reserveMs: settleReserveMs, by: StatusSetter.BILL, ...(remainingMs ? { remainingMs } : {}) },
      );
      changed += summary.succeeded + summary.failed;
    }
    return changed;
  };

  /**
   * The next day's bill so far, read only when reconcileStream asks (a late SUCCESS or PENDING order is missing): nothing
   * when that day has not begun in China or the platform has no bill for it yet.
   */
  const nextDayRows = (request: BillRequest, stream: BillStreamOptions) =>
    async function* (): AsyncGenerator<readonly BillRow[]> {
      const billDate = dayAfter(request.billDate, 1);
      if (billDate > chinaDate(now())) return;
      for (const encoding of [undefined, 'gbk'] as const) {
        let plain: AsyncIterable<Uint8Array>;
        try {
          plain = (await platform.downloadBillStream({ ...request, billDate }, stream)).plain;
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
    // A body that trickles in is cut while the function can still drop this pass's writers (lib/timings.ts).
    const left = input.functionRemainingMs;
    const stream: BillStreamOptions = left ? { bodyTimeLeftMs: () => left() - BILL_BODY_RESERVE_MS } : {};
    const window = previousDayWindow(billDate);
    // The day before's late orders its own bill held (its current download): a row here for one is booked twice.
    // Read before the bill is asked for, so that no body waits on it.
    // Best effort, like the archive's writes: an unreadable header (S3 down) only leaves that check undone.
    const before = await readCurrent(archive, window.day, billType).catch((error: unknown) => {
      getLogger().warn('bill: the day before\'s download not read; its late orders are taken as boundary orders', {
        bill_date: billDate,
        day_before: window.day,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return undefined;
    });
    // Taken before the bill is asked for: the bill holds the platform's state as of the request, so a slow answer
    // that arrives after BILL_FINAL_AFTER to a request sent before it is not final (API.md "Bills", Finality).
    const fetched = now();
    const { plain } = await platform.downloadBillStream(request, stream);
    const id = newDownloadId(fetched);
    const final = isFinalDownload(billDate, fetched, finalAfter);
    const guard = new ArchiveGuard();
    const raw = archive.openWriter(rawKey(billDate, billType), { contentType: 'text/plain; charset=utf-8', keepPrevious: true });
    // This download's own report (named in its header): a concurrent download of the day, or this one failing to
    // publish its header, cannot pair one download's report with another's header.
    const reportAt = downloadReportKey(billDate, billType, id, final);
    const reportOut = archive.openWriter(reportAt, { contentType: 'text/csv; charset=utf-8' });
    const report = new ReportWriterSink((text) => guard.run(() => reportOut.write(text)));
    const consumers =
      options.reportConsumers?.({ billDate, billType, final, fetchedAt: toChinaIso(fetched), ...(input.remainingMs ? { remainingMs: input.remainingMs } : {}) }) ?? [];
    // THE place the report sinks of a pass are composed: the stored report, then every consumer. PendingLines
    // in front holds the PENDING orders' lines until settlement below has decided their category.
    const reportSinks: ReportSink[] = [report, ...consumers];
    const pending = new PendingLines(fanOut(reportSinks));
    const pendingDifferences = new Map<string, readonly ReconcileMismatch[]>();
    const previousDayBilled = before?.lateBilled ? { previousDayBilled: { billDate: window.day, orderNos: new Set(before.lateBilled) } } : {};

    /** The pass is dropped (read again, corrupt, or failed before it was stored): nothing of it is kept. */
    const drop = () => Promise.allSettled([raw.abort(), reportOut.abort(), ...consumers.map(async (consumer) => consumer.abort?.())]);
    let pass: PassResult;
    try {
      pass = await runBillPass({
        plain,
        ...(encoding ? { encoding } : {}),
        orders: ledger.listDayOrders(billDate),
        previousDayWindow: ledger.listDayOrders(window.day, { createdFrom: window.from }),
        ...previousDayBilled,
        nextDayRows: nextDayRows(request, stream),
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
      changed = await settleWithBill(result, input.functionRemainingMs);
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
      lateBilled: result.lateBilled,
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
    // This download's report read back (only once its header is published), not lines held through the pass: a
    // consumer's memory does not grow with the day.
    const storedReport = guard.active ? { storedReport: () => archive.getStream(reportKeyOf(header)) } : {};
    for (const consumer of consumers) await consumer.end?.({ unresolved: result.unresolved, pendingWithoutRow: result.pendingWithoutRow, reconciliation, ...storedReport });
    const archived = guard.active;
    if (!archived) input.onArchiveFailure?.(guard.failure, { billDate, billType });
    if (!archived || readFailed) input.publishMetric?.(CUSTOM_METRICS.billArchiveFailures, 1);
    return { header, firstRows: pass.firstRows, changed, archived };
  };

  return download;
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
    // In report.csv's order: the lines of orders the bill lacks are written in the pass, the held ones after it.
    pending: cap([...result.pendingWithoutRow.map((order) => order.orderNo), ...outcome.stillPending]),
    counts: {
      missingLocal: result.counts.missingLocal,
      missingRemote: result.counts.missingRemote,
      mismatched: result.counts.mismatched + outcome.mismatched.length,
      pending: result.pendingWithoutRow.length + outcome.stillPending.length,
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
