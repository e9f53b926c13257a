// The shapes of the streaming reconciliation (reconcile.ts): what it is given, what it finds, and the report lines it
// writes as it goes, apart from the merge itself so that its consumers (download-pass, the exception feed) read them here.
import type { DayOrder } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';

export interface ReconcileMismatch {
  readonly orderNo: string;
  /** Wire name: type, account, acctype, mercacc, tranamt (yuan), out_id, status, order_no (duplicate row). */
  readonly field: string;
  readonly ledger: string;
  readonly bill: string;
}

/** A PENDING ledger order the bill shows as paid on equal terms: settle it SUCCESS with this out_id. */
export interface SettleableOrder {
  readonly orderNo: string;
  readonly outId: string;
}

/** A PENDING ledger order whose bill row is not a paid one on equal terms: resolve it with pay.query. */
export interface UnresolvedOrder {
  readonly orderNo: string;
  readonly billStatus: string;
}

/**
 * A PENDING ledger order of the day (not of the previous day's boundary window) that the bill lacks altogether: no
 * settling work (no row to settle from, and a bill of today or of a day not final must not pay.query in-flight
 * orders), but after a final bill an unresolved_pending exception (lib/reconciliation/feed.ts), scoped by `mercacc`.
 */
export interface PendingWithoutRow {
  readonly orderNo: string;
  /** The ledger order's merchant account (its report line's; the feed may be given no line, e.g. read back). */
  readonly mercacc: string;
}

export type ReportCategory = 'matched' | 'settled' | 'missing_local' | 'missing_remote' | 'mismatched' | 'next_day';

/** One line of the day's report (API.md report.csv): per bill row, per difference, per ledger order the bill lacks. */
export interface ReportEntry {
  readonly orderNo: string;
  readonly tradeType: string;
  readonly category: ReportCategory;
  readonly field: string;
  readonly ledger: string;
  readonly bill: string;
  readonly account: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly outId: string;
  /** ISO 8601 +08:00: the row's trade time, or the ledger order's creation (to the second). */
  readonly tradeTime: string;
  /** Set on the line of a ledger order the bill lacks (no row): told apart by this, never by a column's text. */
  readonly withoutRow?: true;
}

/** Where report lines go as they are found (a file, an S3 upload, a counter). */
export interface ReportSink {
  write(entry: ReportEntry): void | Promise<void>;
  /**
   * A bill row that matched its order (category `matched`, no field/ledger/bill): the line `write` would be given
   * matchedEntry(row) for, without the entry object (most rows of a day are this). Optional: without it, `write`.
   */
  matched?(row: BillRow): void | Promise<void>;
}

export interface StreamReconcileOptions {
  /** The day before's orders (only those created in its last BOUNDARY_WINDOW_MS are used). */
  readonly previousDayWindow?: AsyncIterable<DayOrder> | Iterable<DayOrder>;
  /** The next day's bill so far; read only when a late SUCCESS or PENDING order of this day is missing from this bill. */
  readonly nextDayRows?: () => AsyncIterable<BillRow | readonly BillRow[]>;
  readonly sink?: ReportSink;
  /** The most entries each list keeps (counts stay complete); default 1000 (API.md). */
  readonly listCap?: number;
  /** Told of each PENDING order judged against a row, with the row's differing terms (none: equal terms). */
  readonly onPending?: (orderNo: string, differences: readonly ReconcileMismatch[]) => void;
  /** Of the previous day's window, the order_nos its own bill held (its download's lateBilled; absent: not known). */
  readonly previousDayBilled?: { readonly billDate: string; readonly orderNos: ReadonlySet<string> };
}

export interface StreamReconcileResult {
  /** Ledger orders the bill agrees with: rows that matched (the day before's window too), the day's FAILED ones it lacks. */
  matched: number;
  settled: number;
  /** `unresolved` counts the `unresolved` work list only (PENDING orders with a row), not `pendingWithoutRow`. */
  counts: { missingLocal: number; missingRemote: number; mismatched: number; nextDay: number; unresolved: number };
  /** At most listCap entries each, in the order found (bill order, then ascending order_no). */
  missingLocal: string[];
  missingRemote: string[];
  mismatched: ReconcileMismatch[];
  nextDay: string[];
  /** Complete (PENDING orders are few): the settling work lists. */
  settleable: SettleableOrder[];
  unresolved: UnresolvedOrder[];
  /**
   * Complete, in ascending order_no: the day's PENDING orders the bill has no row for. Not a settling work list
   * (download-pass.ts settles `settleable` and `unresolved` only); the exception feed opens unresolved_pending for them.
   */
  pendingWithoutRow: PendingWithoutRow[];
  /** Complete: the day's orders created in its last BOUNDARY_WINDOW_MS that this bill holds (DownloadHeader.lateBilled). */
  lateBilled: string[];
  /** Bill rows seen, and the ledger orders of the day held. */
  rows: number;
  orders: number;
}
