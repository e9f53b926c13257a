// The bills use case (API.md "Bills"), its entry points: a day's bill served a page at a time from the stored
// download, or downloaded afresh (download-pass.ts) unless the stored one is final; the per-merchant view, the
// report CSV of the download the header names, and the daily run. Its types are in service-types.ts.
import type { BillRow } from '../platform/types.js';
import { chinaDate } from '../protocol/timestamp.js';
import { CUSTOM_METRICS } from '../observability/names.js';
import { withinBudget } from './answer-budget.js';
import { isHeldOn } from './boundary.js';
import { cursorNotOurs, decodeCursor, encodeCursor } from './cursor.js';
import { CursorStaleError } from './errors.js';
import { readCurrent, readHeader, readRows, reportKeyOf, type DownloadHeader } from './downloads.js';
import { createDownloader } from './download-pass.js';
import type { BillPage } from './report.js';
import { isScoped, scopedBillPage, scopedMerchants, scopedReport, type ScopedViewsContext } from './scoped-views.js';
import type { BillService, BillServiceOptions, DayInput } from './service-types.js';

// The use case's types, also importable from here (service-types.ts is where they are written).
export type {
  BillHooks, BillService, BillServiceOptions, CryptType, DailyRunOptions, DailyRunResult, DayInput, GetBillInput, MetricPublisher,
  ReportAnswer, ReportConsumer, ReportContext,
} from './service-types.js';

/** CloudWatch metric name of a bill's differences (CUSTOM_METRICS.reconciliationMismatches, alarmed in infra). */
export const RECONCILIATION_MISMATCHES_METRIC = CUSTOM_METRICS.reconciliationMismatches;
export const DEFAULT_PAGE_LIMIT = 1000;
export const MAX_PAGE_LIMIT = 5000;
/** How long the pre-signed URL of a stored report is valid (API.md: 15 minutes). */
export const REPORT_URL_SECONDS = 15 * 60;

export function createBillService(options: BillServiceOptions): BillService {
  const now = options.now ?? (() => new Date());
  const { archive, ledger } = options;
  const download = createDownloader({ ...options, now });
  const scoped: ScopedViewsContext = {
    archive,
    ledgerHolds: async (orderNos, billDate) =>
      new Set([...(await ledger.getMany(orderNos))].filter(([, record]) => isHeldOn(record, billDate)).map(([orderNo]) => orderNo)),
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

  const page = (header: DownloadHeader, all: BillRow[], offset: number, archived: boolean): BillPage => {
    // The rows past the byte budget come on the next page (a cursor needs the stored download: archived).
    const rows = withinBudget(all);
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
