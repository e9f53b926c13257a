// report.csv of API.md "Bills": one line per report entry of the streaming reconciliation (reconcile.ts): per bill
// row with its category (one per difference for a mismatched row), per ledger order of the day the bill lacks.
import { formatYuan } from '../protocol/money.js';
import type { ReportCategory, ReportEntry } from './reconcile.js';

export const REPORT_COLUMNS = [
  'order_no', 'trade_type', 'category', 'field', 'ledger', 'bill',
  'account', 'mercacc', 'tranamt', 'out_id', 'trade_time',
] as const;

export type { ReportCategory };

/** report.csv's header line (API.md "Bills"), from the one column list. */
export const REPORT_CSV_HEADER = REPORT_COLUMNS.join(',');

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const QUOTE_OR_BREAK = /["\r\n]/;

/**
 * One report entry as a CSV line (no line end), columns in REPORT_CSV_HEADER order; with `differenceOnly` the
 * field/ledger/bill columns are filled on `mismatched` lines only (report.csv's form, pipeline.ts).
 */
export function reportCsvLine(entry: ReportEntry, differenceOnly = false): string {
  const blank = differenceOnly && entry.category !== 'mismatched';
  const fields = [
    entry.orderNo,
    entry.tradeType,
    entry.category,
    blank ? '' : entry.field,
    blank ? '' : entry.ledger,
    blank ? '' : entry.bill,
    entry.account,
    entry.mercacc,
    Number.isSafeInteger(entry.amountFen) ? formatYuan(entry.amountFen) : String(entry.amountFen),
    entry.outId,
    entry.tradeTime,
  ];
  const plain = fields.join(',');
  // The usual line needs no quotes: no quote or line break anywhere, and no comma but the separators.
  let commas = 0;
  for (let at = plain.indexOf(','); at >= 0; at = plain.indexOf(',', at + 1)) commas += 1;
  return commas === fields.length - 1 && !QUOTE_OR_BREAK.test(plain) ? plain : fields.map(csvField).join(',');
}
