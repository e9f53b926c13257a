// The whole-list view of reconcileStream the older reconcile tests assert on: every difference, sorted by
// order_no, and the rule they were written for (a row without a ledger order is missing_local whatever its
// status; reconcileStream reports an unpaid one as a `matched` line with ledger "(none)", read back here).
import { reconcileStream, type ReconcileMismatch, type ReportEntry, type SettleableOrder, type UnresolvedOrder } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';

export interface ReconcileResult {
  matched: number;
  missingLocal: string[];
  missingRemote: string[];
  mismatched: ReconcileMismatch[];
  settleable: SettleableOrder[];
  unresolved: UnresolvedOrder[];
}

const byOrderNo = <T extends { orderNo: string }>(a: T, b: T): number => (a.orderNo < b.orderNo ? -1 : a.orderNo > b.orderNo ? 1 : 0);

export async function reconcile(
  billRows: Iterable<BillRow> | AsyncIterable<BillRow | readonly BillRow[]>,
  ledgerRecords: AsyncIterable<LedgerRecord> | Iterable<LedgerRecord>,
): Promise<ReconcileResult> {
  const withoutOrder: string[] = [];
  const sink = {
    write(entry: ReportEntry) {
      if ((entry.category === 'missing_local' || entry.category === 'matched') && entry.ledger === '(none)') withoutOrder.push(entry.orderNo);
    },
  };
  const result = await reconcileStream(billRows, ledgerRecords, { listCap: Number.MAX_SAFE_INTEGER, sink });
  return {
    matched: result.matched,
    missingLocal: withoutOrder.sort(),
    missingRemote: [...result.missingRemote].sort(),
    mismatched: [...result.mismatched].sort(byOrderNo),
    settleable: [...result.settleable].sort(byOrderNo),
    unresolved: [...result.unresolved].sort(byOrderNo),
  };
}
