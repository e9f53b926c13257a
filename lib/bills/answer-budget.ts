// Every bill page far below API Gateway's and Lambda's 6 MB whatever the rows hold (API.md "Bills"): a page's rows
// stop at ANSWER_ROWS_BYTES of JSON, so a bill of rows far longer than the spec allows pages on instead of failing.
import type { BillRow } from '../platform/types.js';
import { formatYuan } from '../protocol/money.js';

/** The most bytes of rows one page carries (as their JSON), besides its header fields and reconciliation. */
export const ANSWER_ROWS_BYTES = 1 << 20;

/**
 * The row's size in a page as it goes on the wire, a comma included: the UTF-8 bytes of its JSON in the answer's
 * form (lib/presenters/bill.ts billRowJson: snake_case names, tranamt in yuan; a property test holds the two equal).
 */
export function rowBytes(row: BillRow): number {
  const wire = {
    trade_time: row.tradeTime, account: row.account, acctype: row.acctype, mercacc: row.mercacc, out_id: row.outId,
    order_no: row.orderNo, trade_type: row.tradeType, order_status: row.orderStatus, tranamt: formatYuan(row.amountFen), attach: row.attach,
  };
  return Buffer.byteLength(JSON.stringify(wire), 'utf8') + 1;
}

/** Counts rows into a page: false once the next one would take it past ANSWER_ROWS_BYTES (never for the first). */
export class RowBudget {
  private used = 0;
  private taken = 0;

  fits(row: BillRow): boolean {
    const bytes = rowBytes(row);
    if (this.taken > 0 && this.used + bytes > ANSWER_ROWS_BYTES) return false;
    this.used += bytes;
    this.taken += 1;
    return true;
  }
}

/** The longest start of `rows` within the budget (at least one row). */
export function withinBudget(rows: BillRow[]): BillRow[] {
  const budget = new RowBudget();
  for (let index = 0; index < rows.length; index++) if (!budget.fits(rows[index]!)) return rows.slice(0, index);
  return rows;
}
