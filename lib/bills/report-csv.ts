// report.csv of API.md "Bills": one line per report entry of the streaming reconciliation (reconcile.ts): per bill
// row with its category (one per difference for a mismatched row), per ledger order of the day the bill lacks.
import { formatYuan } from '../protocol/money.js';
import type { BillRow } from '../platform/types.js';
import type { ReportCategory, ReportEntry } from './reconcile.js';

export const REPORT_COLUMNS = [
  'order_no', 'trade_type', 'category', 'field', 'ledger', 'bill',
  'account', 'mercacc', 'tranamt', 'out_id', 'trade_time',
] as const;

export type { ReportCategory };

/** The ledger or bill column of a line whose order has no record on that side (a row without order, an order without row). */
export const NONE = '(none)';

/** report.csv's header line (API.md "Bills"), from the one column list. */
export const REPORT_CSV_HEADER = REPORT_COLUMNS.join(',');

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One report entry as a CSV line (no line end), columns in REPORT_CSV_HEADER order; with `differenceOnly` the
 * field/ledger/bill columns are filled on `mismatched` lines only (report.csv's form, pipeline.ts). It runs once
 * per bill row and ledger order (a million times a day): concatenated, then one scan of the line decides.
 */
export function reportCsvLine(entry: ReportEntry, differenceOnly = false): string {
  const blank = differenceOnly && entry.category !== 'mismatched';
  const amount = Number.isSafeInteger(entry.amountFen) ? formatYuan(entry.amountFen) : String(entry.amountFen);
  const middle = blank ? ',,' : `${entry.field},${entry.ledger},${entry.bill}`;
  const plain = `${entry.orderNo},${entry.tradeType},${entry.category},${middle},${entry.account},${entry.mercacc},${amount},${entry.outId},${entry.tradeTime}`;
  // The usual line needs no quotes: no quote or line break anywhere, and no comma but the ten separators.
  let commas = 0;
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i);
    if (c === 44 /* , */) commas += 1;
    else if (c === 34 /* " */ || c === 13 || c === 10) return quoted(entry, blank, amount);
  }
  return commas === REPORT_COLUMNS.length - 1 ? plain : quoted(entry, blank, amount);
}

/** The report entry of a bill row that matched its order (what ReportSink.matched stands for). */
export function matchedEntry(row: BillRow): ReportEntry {
  return {
    orderNo: row.orderNo, tradeType: row.tradeType, category: 'matched', field: '', ledger: '', bill: '',
    account: row.account, mercacc: row.mercacc, amountFen: row.amountFen, outId: row.outId, tradeTime: row.tradeTime,
  };
}

function quoted(entry: ReportEntry, blank: boolean, amount: string): string {
  return [
    entry.orderNo, entry.tradeType, entry.category,
    blank ? '' : entry.field, blank ? '' : entry.ledger, blank ? '' : entry.bill,
    entry.account, entry.mercacc, amount, entry.outId, entry.tradeTime,
  ].map(csvField).join(',');
}
