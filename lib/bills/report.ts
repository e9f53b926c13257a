// The results of the bills use case in domain terms (fen, camelCase): one page of a stored download
// with its header, the per-merchant totals, and the totals kept while rows stream past.
// lib/presenters/bill.ts turns them into the API JSON.
import type { BillRequest, BillRow } from '../platform/types.js';
import type { ReconcileMismatch } from './reconcile.js';

export type BillType = BillRequest['billType'];

export interface MoneyTotal {
  readonly count: number;
  readonly amountFen: number;
}

/** Rows whose status moved money (60, 80): trade type 01 payments, 02 refunds; net = payments − refunds. */
export interface BillSummary {
  readonly payments: MoneyTotal;
  readonly refunds: MoneyTotal;
  readonly netFen: number;
}

export interface MerchantTotals extends BillSummary {
  readonly mercacc: string;
}

/** What the reconciliation found: lists capped at RECONCILIATION_LIST_CAP, counts complete. */
export interface BillReconciliation {
  /** Orders present in both whose fields and status agree (excluding those this download settled). */
  readonly matched: number;
  /** PENDING orders this download settled (from the bill or pay.query), now agreeing. */
  readonly settled: number;
  readonly missingLocal: readonly string[];
  readonly missingRemote: readonly string[];
  readonly mismatched: readonly ReconcileMismatch[];
  /**
   * PENDING orders still PENDING after this download with no difference to show: a row on equal terms did not
   * settle them, or the bill has none (report.csv: a mismatched status line, ledger PENDING; no difference). One
   * whose row differs in a term is in `mismatched`. Absent in downloads stored before it was kept (read as none,
   * scoped too).
   */
  readonly pending?: readonly string[];
  readonly counts: { readonly missingLocal: number; readonly missingRemote: number; readonly mismatched: number; readonly pending?: number };
}

/** The fields every page of one download carries. */
export interface BillHeader {
  readonly billDate: string;
  readonly billType: BillType;
  readonly count: number;
  readonly totalFen: number;
  readonly final: boolean;
  /** ISO 8601 +08:00. */
  readonly fetchedAt: string;
  readonly summary: BillSummary;
  readonly reconciliation: BillReconciliation;
}

/** One page of GET /v1/bills/{bill_date}. */
export interface BillPage extends BillHeader {
  readonly rows: readonly BillRow[];
  /** null on the last page. */
  readonly nextCursor: string | null;
}

/** GET /v1/bills/{bill_date}/merchants, sorted by mercacc. */
export interface BillMerchants {
  readonly billDate: string;
  readonly final: boolean;
  readonly merchants: readonly MerchantTotals[];
}

/** Most entries of each reconciliation list in an answer (API.md). */
export const RECONCILIATION_LIST_CAP = 1000;

/** Bill statuses meaning money moved: 60 paid, 80 paid and later refunded. */
export const MONEY_MOVED: ReadonlySet<string> = new Set(['60', '80']);

class Totals {
  paymentsCount = 0;
  paymentsFen = 0;
  refundsCount = 0;
  refundsFen = 0;
  add(row: BillRow): void {
    if (row.tradeType === '01') {
      this.paymentsCount++;
      this.paymentsFen += row.amountFen;
    } else if (row.tradeType === '02') {
      this.refundsCount++;
      this.refundsFen += row.amountFen;
    }
  }
  summary(): BillSummary {
    return {
      payments: { count: this.paymentsCount, amountFen: this.paymentsFen },
      refunds: { count: this.refundsCount, amountFen: this.refundsFen },
      netFen: this.paymentsFen - this.refundsFen,
    };
  }
}

/** The summary and per-merchant totals of a bill, fed one row at a time. */
export class BillTotals {
  private readonly all = new Totals();
  private readonly byMerchant = new Map<string, Totals>();
  add(row: BillRow): void {
    if (!MONEY_MOVED.has(row.orderStatus)) return;
    this.all.add(row);
    let merchant = this.byMerchant.get(row.mercacc);
    if (!merchant) this.byMerchant.set(row.mercacc, (merchant = new Totals()));
    merchant.add(row);
  }
  summary(): BillSummary {
    return this.all.summary();
  }
  /** Sorted by mercacc (as the strings compare). */
  merchants(): MerchantTotals[] {
    return [...this.byMerchant.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([mercacc, totals]) => ({ mercacc, ...totals.summary() }));
  }
}
