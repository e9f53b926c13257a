// The stored report.csv read back record by record as it streams from the archive (RFC 4180), kept to a
// set of merchant accounts, and the reconciliation those lines make (lib/bills/scoped-views.ts uses both).
import { isStillPendingLine } from './pending-lines.js';
import { REPORT_COLUMNS } from './report-csv.js';
import { RECONCILIATION_LIST_CAP, type BillReconciliation } from './report.js';
import type { ReconcileMismatch } from './reconcile.js';

/** Which merchant accounts a report is kept to. */
export interface ReportScope {
  includes(mercacc: string): boolean;
}

const COLUMN = Object.fromEntries(REPORT_COLUMNS.map((name, index) => [name, index])) as Record<(typeof REPORT_COLUMNS)[number], number>;

/** One CSV record: its fields and its text as stored (line end included). */
export interface CsvRecord {
  readonly fields: readonly string[];
  readonly raw: string;
}

/** Reads records from text given in pieces: a record (even a quoted field) may span pieces. */
export class CsvRecordReader {
  private raw = '';
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  /** A quote inside a quoted field, not yet known to be doubled or closing. */
  private quote = false;
  /** A `\r` outside quotes, not yet known to start `\r\n`. */
  private carriage = false;

  /** The records completed by `text`. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (const c of text) {
      if (this.carriage) {
        this.carriage = false;
        if (c === '\n') {
          this.raw += c;
          out.push(this.take());
          continue;
        }
        this.field += '\r';
      }
      this.raw += c;
      if (this.quote) {
        this.quote = false;
        if (c === '"') {
          this.field += '"';
          continue;
        }
        this.quoted = false;
      }
      if (this.quoted) {
        if (c === '"') this.quote = true;
        else this.field += c;
      } else if (c === '"') {
        this.quoted = true;
      } else if (c === ',') {
        this.fields.push(this.field);
        this.field = '';
      } else if (c === '\n') {
        out.push(this.take());
      } else if (c === '\r') {
        this.carriage = true;
      } else {
        this.field += c;
      }
    }
    return out;
  }

  /** The last record, when the text does not end with a line break. */
  end(): CsvRecord[] {
    if (this.carriage) {
      this.carriage = false;
      this.field += '\r';
    }
    return this.raw === '' ? [] : [this.take()];
  }

  private take(): CsvRecord {
    this.fields.push(this.field);
    const record = { fields: this.fields, raw: this.raw };
    this.fields = [];
    this.field = '';
    this.raw = '';
    this.quoted = false;
    this.quote = false;
    return record;
  }
}

/** The records of a whole text. */
export function csvRecords(text: string): CsvRecord[] {
  const reader = new CsvRecordReader();
  return [...reader.push(text), ...reader.end()];
}

/** The records of UTF-8 bytes as they stream (the archive's getStream). */
export async function* csvRecordsOf(chunks: AsyncIterable<Uint8Array> | Iterable<string>): AsyncGenerator<CsvRecord> {
  const reader = new CsvRecordReader();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks as AsyncIterable<Uint8Array | string>) {
    yield* reader.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  yield* reader.push(decoder.decode());
  yield* reader.end();
}

/**
 * The header record, then the report's records grouped by order (a bill row's lines, one per difference,
 * are consecutive) where any line of the group is the scope's: its merchant account, or the ledger's side
 * of a `mercacc` difference (the order was made for one of the scope's merchants, booked on another's).
 */
export async function* scopedRecords(records: AsyncIterable<CsvRecord>, scope: ReportScope): AsyncGenerator<CsvRecord> {
  let group: CsvRecord[] = [];
  let keep = false;
  let first = true;
  const ours = (fields: readonly string[]): boolean =>
    scope.includes(fields[COLUMN.mercacc] ?? '') || (fields[COLUMN.field] === 'mercacc' && scope.includes(fields[COLUMN.ledger] ?? ''));
  for await (const record of records) {
    if (first) {
      first = false;
      yield record;
      continue;
    }
    if (group.length > 0 && record.fields[COLUMN.order_no] !== group[0]?.fields[COLUMN.order_no]) {
      if (keep) yield* group;
      group = [];
      keep = false;
    }
    group.push(record);
    keep ||= ours(record.fields);
  }
  if (keep) yield* group;
}

/** The report kept to the scope (header line first), byte for byte as stored. */
export async function filterReport(source: AsyncIterable<Uint8Array> | Iterable<string>, scope: ReportScope, write: (text: string) => void | Promise<void>): Promise<void> {
  for await (const record of scopedRecords(csvRecordsOf(source), scope)) await write(record.raw);
}

/**
 * The reconciliation of the scope's report lines: counts complete, lists capped as unscoped. `matched`
 * counts every matched line; `onMatched` is told each one's order_no (see scopedFigures). A PENDING order's
 * status line still PENDING after settlement is no mismatch (isStillPendingLine) but a pending order, as unscoped.
 */
export async function reportReconciliation(
  source: AsyncIterable<Uint8Array> | Iterable<string>,
  scope: ReportScope,
  onMatched?: (orderNo: string) => void,
): Promise<BillReconciliation> {
  let matched = 0;
  let settled = 0;
  const missingLocal: string[] = [];
  const missingRemote: string[] = [];
  const mismatched: ReconcileMismatch[] = [];
  const pending: string[] = [];
  const counts = { missingLocal: 0, missingRemote: 0, mismatched: 0, pending: 0 };
  let header = true;
  for await (const { fields } of scopedRecords(csvRecordsOf(source), scope)) {
    if (header) {
      header = false;
      continue;
    }
    const orderNo = fields[COLUMN.order_no] ?? '';
    switch (fields[COLUMN.category]) {
      case 'matched':
        matched++;
        onMatched?.(orderNo);
        break;
      case 'settled':
        settled++;
        break;
      case 'missing_local':
        if (counts.missingLocal++ < RECONCILIATION_LIST_CAP) missingLocal.push(orderNo);
        break;
      case 'missing_remote':
        if (counts.missingRemote++ < RECONCILIATION_LIST_CAP) missingRemote.push(orderNo);
        break;
      case 'mismatched': {
        const field = fields[COLUMN.field] ?? '';
        const ledger = fields[COLUMN.ledger] ?? '';
        if (isStillPendingLine('mismatched', field, ledger)) {
          if (counts.pending++ < RECONCILIATION_LIST_CAP) pending.push(orderNo);
          break;
        }
        if (counts.mismatched++ < RECONCILIATION_LIST_CAP) mismatched.push({ orderNo, field, ledger, bill: fields[COLUMN.bill] ?? '' });
        break;
      }
      default:
        break;
    }
  }
  return { matched, settled, missingLocal, missingRemote, mismatched, pending, counts };
}
