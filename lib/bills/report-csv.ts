// report.csv of API.md "Bills": one line per bill row with its category (one per difference for a
// mismatched row), and one per SUCCESS ledger order of the day that the bill lacks (missing_remote).
import { formatYuan } from '../protocol/money.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { OrderType, type LedgerRecord } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';
import type { ReconcileMismatch, ReconcileResult, ReportCategory, ReportEntry } from './reconcile.js';
import { MONEY_MOVED } from './report.js';

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

function line(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function reportHeader(): string {
  return line(REPORT_COLUMNS);
}

/** Classifies bill rows in bill order, given the day's reconciliation and the orders this download settled. */
export class ReportClassifier {
  private readonly missingLocal: Set<string>;
  /** Field differences per order_no (the first row of the order carries them). */
  private readonly differences = new Map<string, ReconcileMismatch[]>();
  /** Duplicate-row entries per order_no still to place on its later rows. */
  private readonly duplicates = new Map<string, ReconcileMismatch[]>();
  private readonly seen = new Set<string>();

  constructor(result: ReconcileResult, private readonly settled: ReadonlySet<string>) {
    this.missingLocal = new Set(result.missingLocal);
    for (const mismatch of result.mismatched) {
      const target = mismatch.field === 'order_no' ? this.duplicates : this.differences;
      const list = target.get(mismatch.orderNo);
      if (list) list.push(mismatch);
      else target.set(mismatch.orderNo, [mismatch]);
    }
  }

  /** The CSV lines of one bill row. */
  linesOf(row: BillRow): string {
    const tail = [row.account, row.mercacc, formatYuan(row.amountFen), row.outId, row.tradeTime];
    const out = (category: ReportCategory, field = '', ledger = '', bill = ''): string =>
      line([row.orderNo, row.tradeType, category, field, ledger, bill, ...tail]);
    const tracked = this.differences.has(row.orderNo) || this.duplicates.has(row.orderNo) || this.missingLocal.has(row.orderNo);
    if (tracked && this.seen.has(row.orderNo)) {
      const duplicate = this.duplicates.get(row.orderNo)?.shift();
      return out('mismatched', 'order_no', duplicate?.ledger ?? 'one row', duplicate?.bill ?? 'duplicate row');
    }
    if (tracked) this.seen.add(row.orderNo);
    // A row that moved no money with no ledger order is not a difference (API.md).
    if (this.missingLocal.has(row.orderNo) && MONEY_MOVED.has(row.orderStatus)) return out('missing_local');
    const differences = this.differences.get(row.orderNo);
    if (differences && differences.length > 0) return differences.map((d) => out('mismatched', d.field, d.ledger, d.bill)).join('');
    if (this.settled.has(row.orderNo)) return out('settled');
    return out('matched');
  }
}

/** The line of a SUCCESS ledger order the bill lacks. */
export function missingRemoteLine(record: LedgerRecord): string {
  return line([
    record.orderNo,
    record.type === OrderType.REFUND ? '02' : '01',
    'missing_remote',
    '',
    '',
    '',
    record.account,
    record.mercacc,
    formatYuan(record.amountFen),
    record.outId ?? '',
    toChinaIso(new Date(record.createdAt)),
  ]);
}

const QUOTE_OR_BREAK = /["\r\n]/;

/** One report entry as a CSV line (no line end), columns in REPORT_CSV_HEADER order. */
export function reportCsvLine(entry: ReportEntry): string {
  const fields = [
    entry.orderNo,
    entry.tradeType,
    entry.category,
    entry.field,
    entry.ledger,
    entry.bill,
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
