// A download of a day's bill kept in pages, so one page of rows is read without the rest: the header
// (footer figures, summary, reconciliation, merchants) in one object, rows in objects of PAGE_ROWS each (each row
// an array of its fields, ROW_FIELDS; downloads of format 3 stored row objects and are still read).
//   reports/yyyy/MM/dd/<type>.json                the header of the current download (replaced atomically)
//   downloads/yyyy/MM/dd/<type>/<id>/header.json  every download's header, kept so old cursors are recognised
//   downloads/yyyy/MM/dd/<type>/<id>/rows/<n>.json rows n×PAGE_ROWS … (n+1)×PAGE_ROWS−1, in bill order
//   downloads/[provisional/]yyyy/MM/dd/<type>/<id>/report.csv  its report (keys.ts downloadReportKey)
import { randomBytes } from 'node:crypto';
import type { BillArchive } from './archive.js';
import { datePath, dayReportKey } from './keys.js';
import type { BillRow } from '../platform/types.js';
import type { BillHeader, MerchantTotals } from './report.js';

/** Rows per stored page object (a request of up to 5000 rows reads at most 6 of them). */
export const PAGE_ROWS = 1000;
/** Page objects written at once. */
const WRITE_CONCURRENCY = 8;

/** The stored header of one download (reports/…/<type>.json and downloads/…/<id>/header.json). */
export interface DownloadHeader extends BillHeader {
  /** Layout of the stored objects; a header of another format reads as absent (downloaded again). */
  readonly format: typeof DOWNLOAD_FORMAT | typeof OBJECT_ROWS_FORMAT;
  readonly id: string;
  /** Rows stored (the bill's data lines). */
  readonly rows: number;
  readonly pageRows: number;
  readonly merchants: readonly MerchantTotals[];
  /** HMAC key of this download's cursors (base64url); never leaves the archive. */
  readonly cursorKey: string;
  /**
   * Archive key of this download's report (keys.ts downloadReportKey), written before the header is published.
   * Absent in headers stored before reports were per download: read it with reportKeyOf.
   */
  readonly report?: string;
  /**
   * The day's orders created in its last BOUNDARY_WINDOW_MS that this bill holds (boundary.ts): the next day's
   * reconciliation takes a row of its bill for one of them as a second booking, not a boundary order. Absent in
   * headers stored before it was kept (then not known).
   */
  readonly lateBilled?: readonly string[];
}

/** The format written: pages of row arrays (ROW_FIELDS). */
export const DOWNLOAD_FORMAT = 4;
/** The format before, still read: pages of row objects. */
const OBJECT_ROWS_FORMAT = 3;

/**
 * A stored row's fields in the order a page of format 4 holds them. As arrays a page is half the bytes of the same
 * rows as objects (their keys written once per row) and a third quicker to write: a million-row download writes
 * ~110 MB of pages instead of ~220 MB.
 */
const ROW_FIELDS = ['tradeTime', 'account', 'acctype', 'mercacc', 'outId', 'orderNo', 'tradeType', 'orderStatus', 'amountFen', 'attach'] as const;
type RowFields = [string, string, string, string, string, string, string, string, number, string];

const fieldsOf = (row: BillRow): RowFields => [row.tradeTime, row.account, row.acctype, row.mercacc, row.outId, row.orderNo, row.tradeType, row.orderStatus, row.amountFen, row.attach];

/** A page of format 4 read back into rows. @throws Error when a stored row is not an array of ROW_FIELDS. */
function rowsOfPage(parsed: unknown, key: string): BillRow[] {
  if (!Array.isArray(parsed)) throw new Error(`bill page is not an array: ${key}`);
  return parsed.map((fields: unknown) => {
    if (!Array.isArray(fields) || fields.length !== ROW_FIELDS.length || typeof fields[8] !== 'number') throw new Error(`bill page holds a row that is not ${ROW_FIELDS.length} fields: ${key}`);
    const f = fields as RowFields;
    return { tradeTime: f[0], account: f[1], acctype: f[2], mercacc: f[3], outId: f[4], orderNo: f[5], tradeType: f[6], orderStatus: f[7], amountFen: f[8], attach: f[9] };
  });
}

function decodeHeader(text: string | undefined): DownloadHeader | undefined {
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as Partial<DownloadHeader>;
  const report = parsed.report === undefined || typeof parsed.report === 'string';
  const format = parsed.format === DOWNLOAD_FORMAT || parsed.format === OBJECT_ROWS_FORMAT;
  const late = parsed.lateBilled === undefined || (Array.isArray(parsed.lateBilled) && parsed.lateBilled.every((orderNo) => typeof orderNo === 'string'));
  return format && typeof parsed.id === 'string' && report && late ? (parsed as DownloadHeader) : undefined;
}

/**
 * The key of the report of the download `header` names: its own (DownloadHeader.report), or for a header stored
 * before reports were per download the day's report (reports/…/<type>.csv) as that header's readers always read it.
 */
export function reportKeyOf(header: Pick<DownloadHeader, 'billDate' | 'billType' | 'report'>): string {
  return header.report ?? dayReportKey(header.billDate, header.billType);
}

function prefix(billDate: string, billType: string): string {
  return `downloads/${datePath(billDate)}/${billType}`;
}

/** The current download's header, beside its report CSV (reports/ is what a final day is served from). */
export function currentKey(billDate: string, billType: string): string {
  return `reports/${datePath(billDate)}/${billType}.json`;
}

function headerKey(billDate: string, billType: string, id: string): string {
  return `${prefix(billDate, billType)}/${id}/header.json`;
}

function pageKey(billDate: string, billType: string, id: string, page: number): string {
  return `${prefix(billDate, billType)}/${id}/rows/${String(page).padStart(6, '0')}.json`;
}

/** A new download id: time-ordered, unique across instances. */
export function newDownloadId(at: Date): string {
  return `${at.getTime().toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function newCursorKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Rows into page objects as they pass (PAGE_ROWS each, WRITE_CONCURRENCY written at once). */
export class PageWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private page = 0;
  private buffer: BillRow[] = [];
  /** Rows taken so far. */
  written = 0;

  constructor(
    private readonly archive: BillArchive,
    private readonly target: { billDate: string; billType: string; id: string },
  ) {}

  /** Takes a row; a promise when the caller must wait (a page went out and the writes are at their limit). */
  add(row: BillRow): Promise<void> | undefined {
    this.buffer.push(row);
    this.written++;
    return this.buffer.length === PAGE_ROWS ? this.flush() : undefined;
  }

  /** Writes the last page and waits for every write. @throws the first failed write. */
  async finish(): Promise<number> {
    if (this.buffer.length > 0) await this.flush();
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    return this.written;
  }

  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const body = JSON.stringify(this.buffer.map(fieldsOf));
    const key = pageKey(this.target.billDate, this.target.billType, this.target.id, this.page++);
    this.buffer = [];
    const write = this.archive
      .putText(key, body, { contentType: 'application/json' })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
    if (this.inFlight.size >= WRITE_CONCURRENCY) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Stores the header under its id, then makes it the current download of its day and type. */
export async function publishHeader(archive: BillArchive, header: DownloadHeader): Promise<void> {
  const body = JSON.stringify(header);
  await archive.putText(headerKey(header.billDate, header.billType, header.id), body, { contentType: 'application/json' });
  await archive.putText(currentKey(header.billDate, header.billType), body, { contentType: 'application/json' });
}

export async function readCurrent(archive: BillArchive, billDate: string, billType: string): Promise<DownloadHeader | undefined> {
  return decodeHeader(await archive.getText(currentKey(billDate, billType)));
}

export async function readHeader(
  archive: BillArchive,
  billDate: string,
  billType: string,
  id: string,
): Promise<DownloadHeader | undefined> {
  return decodeHeader(await archive.getText(headerKey(billDate, billType, id)));
}

/** Rows [offset, offset + limit) of a stored download. */
export async function readRows(archive: BillArchive, header: DownloadHeader, offset: number, limit: number): Promise<BillRow[]> {
  const end = Math.min(header.rows, offset + limit);
  if (offset >= end) return [];
  const first = Math.floor(offset / header.pageRows);
  const last = Math.floor((end - 1) / header.pageRows);
  const pages = await Promise.all(
    Array.from({ length: last - first + 1 }, async (_, index) => {
      const key = pageKey(header.billDate, header.billType, header.id, first + index);
      const text = await archive.getText(key);
      if (text === undefined) throw new Error(`bill page missing from the archive: ${key}`);
      const parsed: unknown = JSON.parse(text);
      return header.format === OBJECT_ROWS_FORMAT ? (parsed as BillRow[]) : rowsOfPage(parsed, key);
    }),
  );
  const rows = pages.flat();
  const start = offset - first * header.pageRows;
  return rows.slice(start, start + (end - offset));
}
