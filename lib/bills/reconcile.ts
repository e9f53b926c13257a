// Reconciles one day's bill against the ledger in one merge-join pass: bill rows sorted by order_no in
// memory, ledger records streamed in ascending order_no (LedgerStore.listByDay). O(n log n), no per-row I/O.
//
// Per order_no:
//   bill row, no ledger record                      → missingLocal
//   ledger SUCCESS, no bill row                     → missingRemote (PENDING/FAILED without a row are expected)
//   both: type (01/02 ↔ PAYMENT/REFUND), account, acctype, mercacc, tranamt compared → mismatched per field
//     (lib/ledger/settlement-terms.ts compareTerms, the one rule for every settlement source);
//     bill paid (60, or 80 = paid then refunded) ↔ ledger SUCCESS: out_id compared too; ↔ ledger FAILED: status mismatch
//     bill not paid ↔ ledger SUCCESS: status mismatch; ↔ ledger FAILED: agree
//     ledger PENDING: bill paid → settleable (with the bill's out_id) when no field differs; else unresolved
//   a second row for one order_no                   → mismatched, field order_no
// matched counts the order_nos present in both whose status agrees and whose fields all agree.
import type { BillRow } from '../platform/types.js';
import { OrderStatus, OrderType, type LedgerRecord } from '../ledger/records.js';
import { BILL_TERMS, compareTerms, type SourceTerms } from '../ledger/settlement-terms.js';

export interface ReconcileMismatch {
  readonly orderNo: string;
  /** Wire name: type, account, acctype, mercacc, tranamt (yuan), out_id, status, order_no (duplicate row). */
  readonly field: string;
  readonly ledger: string;
  readonly bill: string;
}

/** A PENDING ledger order the bill shows as paid: settle it SUCCESS with this out_id. */
export interface SettleableOrder {
  readonly orderNo: string;
  readonly outId: string;
}

/** A PENDING ledger order whose bill row is not a paid one: resolve it with pay.query. */
export interface UnresolvedOrder {
  readonly orderNo: string;
  readonly billStatus: string;
}

export interface ReconcileResult {
  matched: number;
  /** In the bill, not in the ledger (ascending order_no). */
  missingLocal: string[];
  /** SUCCESS in the ledger, not in the bill (ascending order_no). */
  missingRemote: string[];
  mismatched: ReconcileMismatch[];
  settleable: SettleableOrder[];
  unresolved: UnresolvedOrder[];
}

/** Bill statuses meaning the money moved: 60 paid, 80 paid and later refunded. */
const PAID_STATUSES: ReadonlySet<string> = new Set(['60', '80']);
const TRADE_TYPES: Readonly<Record<string, LedgerRecord['type']>> = { '01': OrderType.PAYMENT, '02': OrderType.REFUND };

function byOrderNo(a: BillRow, b: BillRow): number {
  return a.orderNo < b.orderNo ? -1 : a.orderNo > b.orderNo ? 1 : 0;
}

/** What a bill row says about its order (every term: a row always carries them all). */
export function billRowTerms(row: BillRow): SourceTerms {
  return {
    orderNo: row.orderNo,
    type: TRADE_TYPES[row.tradeType] ?? row.tradeType,
    account: row.account,
    acctype: row.acctype,
    mercacc: row.mercacc,
    amountFen: row.amountFen,
  };
}

/** Field-by-field differences other than status and out_id. */
function fieldMismatches(record: LedgerRecord, row: BillRow): ReconcileMismatch[] {
  return compareTerms(record, billRowTerms(row), BILL_TERMS).map((difference) => ({
    orderNo: record.orderNo,
    field: difference.field,
    ledger: difference.ledger,
    bill: difference.source,
  }));
}

export async function reconcile(
  billRows: Iterable<BillRow>,
  ledgerRecords: AsyncIterable<LedgerRecord> | Iterable<LedgerRecord>,
): Promise<ReconcileResult> {
  const rows = Array.from(billRows).sort(byOrderNo);
  const result: ReconcileResult = {
    matched: 0,
    missingLocal: [],
    missingRemote: [],
    mismatched: [],
    settleable: [],
    unresolved: [],
  };
  let next = 0;

  const compare = (record: LedgerRecord, row: BillRow): void => {
    const differences = fieldMismatches(record, row);
    const paid = PAID_STATUSES.has(row.orderStatus);
    if (record.status === OrderStatus.PENDING) {
      result.mismatched.push(...differences);
      if (paid && differences.length === 0) result.settleable.push({ orderNo: record.orderNo, outId: row.outId });
      else result.unresolved.push({ orderNo: record.orderNo, billStatus: row.orderStatus });
      return;
    }
    if ((record.status === OrderStatus.SUCCESS) !== paid) {
      differences.push({ orderNo: record.orderNo, field: 'status', ledger: record.status, bill: row.orderStatus });
    } else if (paid && (record.outId ?? '') !== row.outId) {
      differences.push({ orderNo: record.orderNo, field: 'out_id', ledger: record.outId ?? '', bill: row.outId });
    }
    if (differences.length === 0) result.matched++;
    else result.mismatched.push(...differences);
  };

  /** Reports the rows after `index` that repeat its order_no; returns the index past them. */
  const skipDuplicates = (index: number, orderNo: string): number => {
    let at = index;
    while (at < rows.length && rows[at]!.orderNo === orderNo) {
      result.mismatched.push({ orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' });
      at++;
    }
    return at;
  };

  let previous: string | undefined;
  for await (const record of ledgerRecords) {
    if (previous !== undefined && record.orderNo <= previous) {
      throw new Error(`ledger records must come in strictly ascending order_no (${record.orderNo} after ${previous})`);
    }
    previous = record.orderNo;
    while (next < rows.length && rows[next]!.orderNo < record.orderNo) {
      const row = rows[next]!;
      result.missingLocal.push(row.orderNo);
      next = skipDuplicates(next + 1, row.orderNo);
    }
    const row = rows[next];
    if (row !== undefined && row.orderNo === record.orderNo) {
      compare(record, row);
      next = skipDuplicates(next + 1, row.orderNo);
    } else if (record.status === OrderStatus.SUCCESS) {
      result.missingRemote.push(record.orderNo);
    }
  }
  while (next < rows.length) {
    const row = rows[next]!;
    result.missingLocal.push(row.orderNo);
    next = skipDuplicates(next + 1, row.orderNo);
  }
  return result;
}
