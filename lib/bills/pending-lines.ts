// The report lines of PENDING orders, held back while the bill's pass runs and given their final category once
// the orders were settled (from the bill, or by pay.query): a PENDING order the bill proves paid is `settled` once
// the ledger says SUCCESS; one the bill shows unpaid on equal terms is `settled` once pay.query made it FAILED,
// a `mismatched` status once it made it SUCCESS, and stays a PENDING status line while it is PENDING. PENDING
// orders are few, so holding their lines is cheap; term differences are final whatever happens and pass at once.
import { OrderStatus, type LedgerRecord } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';
import type { ReconcileMismatch, ReportEntry, ReportSink } from './reconcile.js';
import { matchedEntry } from './report-csv.js';

/** Bill statuses meaning money moved: 60 paid, 80 paid and later refunded. */
const PAID: ReadonlySet<string> = new Set(['60', '80']);

export interface PendingOutcome {
  /** Lines that ended `settled` (PENDING orders this download settled, now agreeing with the bill). */
  readonly settled: number;
  /** Status differences found once the order was settled against what the bill says. */
  readonly mismatched: readonly ReconcileMismatch[];
  /** The orders whose line stayed a PENDING status line (still PENDING now), in the order written. */
  readonly stillPending: readonly string[];
}

/**
 * A report line that is no difference though its category is `mismatched`: a PENDING order's status line that
 * settlement left PENDING (`release` below; the order is in `unresolved`, an unresolved_pending exception), or
 * that of a PENDING order the bill lacks (bill "(none)", in `pendingWithoutRow`, an unresolved_pending too), so
 * it is not in the reconciliation's mismatched count or list (report-filter.ts reads report.csv by this rule).
 */
export function isStillPendingLine(category: string, field: string, ledger: string): boolean {
  return category === 'mismatched' && field === 'status' && ledger === OrderStatus.PENDING;
}

/** A sink in front of `next` that holds the PENDING orders' status lines until `release`. */
export class PendingLines implements ReportSink {
  private readonly held: ReportEntry[] = [];

  constructor(private readonly next: ReportSink) {}

  write(entry: ReportEntry): void | Promise<void> {
    // A PENDING order the bill lacks has nothing to settle from: its line passes as written.
    const statusLine = entry.field === 'status' && entry.ledger === OrderStatus.PENDING && !entry.withoutRow;
    if (statusLine && (entry.category === 'settled' || entry.category === 'mismatched')) {
      this.held.push(entry);
      return undefined;
    }
    return this.next.write(entry);
  }

  /** A matched row's line is never held (it is no PENDING status line). */
  matched(row: BillRow): void | Promise<void> {
    return this.next.matched ? this.next.matched(row) : this.next.write(matchedEntry(row));
  }

  /** The order_nos whose lines are held (read their records after settling). */
  orderNos(): string[] {
    return this.held.map((entry) => entry.orderNo);
  }

  /** Writes every held line with its category judged against the order as stored now. */
  async release(records: ReadonlyMap<string, LedgerRecord>): Promise<PendingOutcome> {
    let settled = 0;
    const mismatched: ReconcileMismatch[] = [];
    const stillPending: string[] = [];
    for (const entry of this.held) {
      const status = records.get(entry.orderNo)?.status ?? OrderStatus.PENDING;
      const paid = PAID.has(entry.bill);
      let final: ReportEntry;
      if (status === OrderStatus.PENDING) {
        stillPending.push(entry.orderNo);
        final = { ...entry, category: 'mismatched' };
      } else if ((status === OrderStatus.SUCCESS) === paid) {
        settled += 1;
        final = { ...entry, category: 'settled' };
      } else {
        mismatched.push({ orderNo: entry.orderNo, field: 'status', ledger: status, bill: entry.bill });
        final = { ...entry, category: 'mismatched', ledger: status };
      }
      await this.next.write(final);
    }
    this.held.length = 0;
    return { settled, mismatched, stillPending };
  }
}
