// The bills views of a caller limited to some merchant accounts (API.md "Callers": rows, summary, counts
// and lists alike), read from a stored download: rows scanned from its pages, the summary and statement
// from its per-merchant figures, the reconciliation and report.csv from its stored report (report-filter.ts).
import { createHash } from 'node:crypto';
import type { BillRow } from '../platform/types.js';
import type { BillArchive } from './archive.js';
import { RowBudget, withinBudget } from './answer-budget.js';
import { encodeCursor } from './cursor.js';
import { readCurrent, readRows, reportKeyOf, type DownloadHeader } from './downloads.js';
import { datePath } from './keys.js';
import { MONEY_MOVED, RECONCILIATION_LIST_CAP, type BillPage, type BillReconciliation, type BillSummary, type MerchantTotals } from './report.js';
import { filterReport, reportReconciliation } from './report-filter.js';

/** Which merchant accounts a view shows (lib/callers/access.ts callerScope gives one per caller). */
export interface MerchantScope {
  /** True: everything (mercacc "*"): the views are served unfiltered. */
  readonly all: boolean;
  readonly mercacc: ReadonlySet<string>;
  includes(mercacc: string): boolean;
}

/** Rows one scoped page request reads at most (stored pages of PAGE_ROWS): the page then ends early. */
export const SCOPED_SCAN_ROWS = 20_000;

/**
 * A stored scoped view's layout and rule; another reads as absent (computed again). 2: a PENDING order's status
 * line still PENDING after settlement is no mismatch (format 1 views counted it). 3: an unmoved row's matched
 * line counts only when the day's reconciliation held its order (format 2 took any ledger order). 4: the pending
 * list and count.
 */
const VIEW_FORMAT = 4;

/** True when `scope` filters (a caller with a list of merchant accounts). */
export function isScoped(scope: MerchantScope | undefined): scope is MerchantScope {
  return scope !== undefined && !scope.all;
}

/** A short stable name of a set of merchant accounts, for the keys of its stored views. */
export function scopeKey(scope: MerchantScope): string {
  return createHash('sha256').update([...scope.mercacc].sort().join('\n')).digest('hex').slice(0, 20);
}

/** downloads/yyyy/MM/dd/<type>/<id>/scoped/<scope>.<ext>, beside the download's pages (downloads.ts). */
function viewKey(header: DownloadHeader, scope: MerchantScope, ext: 'json' | 'csv'): string {
  return `downloads/${datePath(header.billDate)}/${header.billType}/${header.id}/scoped/${scopeKey(scope)}.${ext}`;
}

/** The statement: the scope's merchants only. */
export function scopedMerchants(merchants: readonly MerchantTotals[], scope: MerchantScope): MerchantTotals[] {
  return merchants.filter((merchant) => scope.includes(merchant.mercacc));
}

/** The summary: the sum of the scope's per-merchant figures. */
export function scopedSummary(merchants: readonly MerchantTotals[], scope: MerchantScope): BillSummary {
  let payments = { count: 0, amountFen: 0 };
  let refunds = { count: 0, amountFen: 0 };
  for (const merchant of scopedMerchants(merchants, scope)) {
    payments = { count: payments.count + merchant.payments.count, amountFen: payments.amountFen + merchant.payments.amountFen };
    refunds = { count: refunds.count + merchant.refunds.count, amountFen: refunds.amountFen + merchant.refunds.amountFen };
  }
  return { payments, refunds, netFen: payments.amountFen - refunds.amountFen };
}

/**
 * The scope's rows from `offset` on: at most `limit`, reading at most SCOPED_SCAN_ROWS stored rows, so
 * a page may hold fewer than `limit` (even none) and still have a next one. `next`: the stored offset
 * the next page starts at, null after the last row.
 */
export async function readScopedRows(
  archive: BillArchive,
  header: DownloadHeader,
  offset: number,
  limit: number,
  scope: MerchantScope,
): Promise<{ rows: BillRow[]; next: number | null }> {
  const rows: BillRow[] = [];
  const budget = new RowBudget();
  const end = Math.min(header.rows, offset + Math.max(SCOPED_SCAN_ROWS, limit));
  let position = offset;
  while (position < end) {
    // One stored page at a time (aligned), so no page object is read twice.
    const chunk = Math.min(end, (Math.floor(position / header.pageRows) + 1) * header.pageRows) - position;
    const read = await readRows(archive, header, position, chunk);
    for (let index = 0; index < read.length; index++) {
      const row = read[index] as BillRow;
      if (!scope.includes(row.mercacc)) continue;
      // Past the byte budget: this row starts the next page.
      if (!budget.fits(row)) return { rows, next: position + index };
      rows.push(row);
      if (rows.length === limit) {
        const next = position + index + 1;
        return { rows, next: next < header.rows ? next : null };
      }
    }
    position += chunk;
  }
  return { rows, next: position < header.rows ? position : null };
}

/** What a scoped page carries besides its rows: the footer figures and reconciliation of the scope's rows. */
export interface ScopedFigures {
  /** The scope's rows and their amounts (the footer's figures for these merchants). */
  readonly count: number;
  readonly totalFen: number;
  readonly reconciliation: BillReconciliation;
}

interface StoredView extends ScopedFigures {
  readonly format: typeof VIEW_FORMAT;
  readonly downloadId: string;
}

/** What the scoped views read: the archive, and which order_nos the day's reconciliation held an order of. */
export interface ScopedViewsContext {
  readonly archive: BillArchive;
  /**
   * The order_nos among `orderNos` whose ledger order the reconciliation of `billDate` held: the day's, and the
   * day before's boundary window (boundary.ts isHeldOn; the service reads them with ledger.getMany).
   */
  readonly ledgerHolds: (orderNos: readonly string[], billDate: string) => Promise<ReadonlySet<string>>;
}

const EMPTY_RECONCILIATION: BillReconciliation = {
  matched: 0, settled: 0, missingLocal: [], missingRemote: [], mismatched: [], pending: [], counts: { missingLocal: 0, missingRemote: 0, mismatched: 0, pending: 0 },
};

/**
 * The scope's figures of a stored download: from its stored view if there is one, else computed (every
 * stored page, the stored report) and stored for the next request of this download and scope.
 * `matched` counts, as unscoped, orders in both the bill and the ledger that agree: the report writes a
 * row that moved no money and has no ledger order as `matched` too (it is no difference), so the report's
 * matched lines of such rows are looked up among the orders the day's reconciliation held (not any order of
 * the ledger: another day's order is not the day's; rows of status 60/80 need no look-up: without an order
 * they are missing_local).
 */
export async function scopedFigures(context: ScopedViewsContext, header: DownloadHeader, scope: MerchantScope): Promise<ScopedFigures> {
  const { archive } = context;
  const key = viewKey(header, scope, 'json');
  const stored = await archive.getText(key).catch(() => undefined);
  if (stored !== undefined) {
    const view = JSON.parse(stored) as Partial<StoredView>;
    if (view.format === VIEW_FORMAT && view.downloadId === header.id) {
      const { count, totalFen, reconciliation } = view as StoredView;
      return { count, totalFen, reconciliation };
    }
  }
  let count = 0;
  let totalFen = 0;
  const unmoved = new Set<string>();
  for (let offset = 0; offset < header.rows; offset += header.pageRows) {
    for (const row of await readRows(archive, header, offset, header.pageRows)) {
      if (!scope.includes(row.mercacc)) continue;
      count++;
      totalFen += row.amountFen;
      if (!MONEY_MOVED.has(row.orderStatus)) unmoved.add(row.orderNo);
    }
  }
  const report = await archive.getStream(reportKeyOf(header));
  if (report === undefined) throw new Error(`the stored report of ${header.billDate} ${header.billType} is missing`);
  const unmovedMatched: string[] = [];
  const reconciliation = await reportReconciliation(report, scope, (orderNo) => {
    if (unmoved.has(orderNo)) unmovedMatched.push(orderNo);
  });
  const withOrder = unmovedMatched.length > 0 ? await context.ledgerHolds(unmovedMatched, header.billDate) : new Set<string>();
  const withoutOrder = unmovedMatched.filter((orderNo) => !withOrder.has(orderNo)).length;
  // A download stored before the pending list was kept (its header has none) reads as none scoped too, as unscoped.
  const noPending = header.reconciliation.pending === undefined ? { pending: [], counts: { ...reconciliation.counts, pending: 0 } } : {};
  const figures: ScopedFigures = { count, totalFen, reconciliation: { ...reconciliation, matched: reconciliation.matched - withoutOrder, ...noPending } };
  // Stored only when the report read is still this download's (a header stored before reports were per
  // download reads the day's report, which a newer download replaced).
  const current = await readCurrent(archive, header.billDate, header.billType).catch(() => undefined);
  if (current?.id === header.id) {
    const view: StoredView = { format: VIEW_FORMAT, downloadId: header.id, ...figures };
    await archive.putText(key, JSON.stringify(view), { contentType: 'application/json' }).catch(() => undefined);
  }
  return figures;
}

/** Where a scoped page's rows and figures come from. */
export interface ScopedPageSource {
  readonly offset: number;
  readonly limit: number;
  /** False: the download could not be stored (alarmed as BillArchiveFailures). */
  readonly archived: boolean;
  /** Without the archive: the first rows of the download (as the unscoped answer has them). */
  readonly firstRows?: readonly BillRow[];
}

/**
 * One page of GET /v1/bills/{bill_date} for a scoped caller. Cursors are the unscoped ones' (signed with
 * the download's key, offsets in stored rows), so CURSOR_STALE and "not ours" hold as they do unscoped.
 * Without the archive (a failed write) the page holds the scope's rows among the first rows, its figures
 * are those rows', its reconciliation is empty (the report was not stored) and it has no next page.
 */
export async function scopedBillPage(context: ScopedViewsContext, header: DownloadHeader, source: ScopedPageSource, scope: MerchantScope): Promise<BillPage> {
  let rows: BillRow[];
  let next: number | null;
  let figures: ScopedFigures;
  if (source.archived) {
    ({ rows, next } = await readScopedRows(context.archive, header, source.offset, source.limit, scope));
    figures = await scopedFigures(context, header, scope);
  } else {
    rows = withinBudget((source.firstRows ?? []).filter((row) => scope.includes(row.mercacc)).slice(0, source.limit));
    next = null;
    figures = { count: rows.length, totalFen: rows.reduce((sum, row) => sum + row.amountFen, 0), reconciliation: EMPTY_RECONCILIATION };
  }
  return {
    billDate: header.billDate,
    billType: header.billType,
    count: figures.count,
    totalFen: figures.totalFen,
    final: header.final,
    fetchedAt: header.fetchedAt,
    summary: scopedSummary(header.merchants, scope),
    rows,
    nextCursor:
      next === null ? null : encodeCursor({ billDate: header.billDate, billType: header.billType, downloadId: header.id, offset: next }, header.cursorKey),
    reconciliation: figures.reconciliation,
  };
}

/** report.csv for a scoped caller: a pre-signed URL of a stored filtered copy (deployed), or the filtered text. */
export async function scopedReport(
  archive: BillArchive,
  header: DownloadHeader,
  archived: boolean,
  scope: MerchantScope,
  urlSeconds: number,
): Promise<{ readonly kind: 'redirect'; readonly url: string } | { readonly kind: 'csv'; readonly body: string }> {
  const report = archived ? await archive.getStream(reportKeyOf(header)) : undefined;
  if (report === undefined) throw new Error(`the report of ${header.billDate} ${header.billType} could not be stored`);
  if (archive.presignGet) {
    // Deployed: the filtered copy streams into its own object beside the download, never held whole.
    const key = viewKey(header, scope, 'csv');
    const writer = archive.openWriter(key, { contentType: 'text/csv; charset=utf-8' });
    try {
      await filterReport(report, scope, (text) => writer.write(text));
      await writer.close();
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
    return { kind: 'redirect', url: await archive.presignGet(key, urlSeconds) };
  }
  const parts: string[] = [];
  await filterReport(report, scope, (text) => void parts.push(text));
  return { kind: 'csv', body: parts.join('') };
}
