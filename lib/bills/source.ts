// The one seam between the bills use case and the download pipeline (lib/platform + lib/protocol,
// branch billstream): a downloaded bill as footer figures, raw text and rows that can be iterated.
// Today the parser returns every row at once; when the streaming pipeline lands only this file changes.
import type { BillRequest, BillRow, PlatformClient } from '../platform/types.js';

export interface BillDownload {
  /** The footer's row count and total (checked against the rows by the parser). */
  readonly count: number;
  readonly totalFen: number;
  /** The platform's text of the bill, for the archive. */
  readonly rawText: string;
  /** The rows in bill order; each call starts again from the first row. */
  rows(): Iterable<BillRow>;
}

export async function downloadBill(platform: PlatformClient, request: BillRequest): Promise<BillDownload> {
  const downloaded = await platform.downloadBill(request);
  const { bill } = downloaded;
  return { count: bill.count, totalFen: bill.totalFen, rawText: downloaded.text, rows: () => bill.rows };
}
