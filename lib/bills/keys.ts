// Where each object of the bill archive lives (same keys in S3 and in the local directory). No SDK
// here: the bill service imports these names, and every handler's bundle imports the service's types.
export function datePath(billDate: string): string {
  if (!/^[0-9]{8}$/.test(billDate)) throw new Error(`bill date must be yyyyMMdd: ${billDate}`);
  return `${billDate.slice(0, 4)}/${billDate.slice(4, 6)}/${billDate.slice(6, 8)}`;
}

/**
 * raw/yyyy/MM/dd/<type>.txt: the platform's text, the latest download's (earlier ones: S3 versions, locally
 * side by side). Per day on purpose: nothing reads it back or pairs it with a header (no view answers from it).
 */
export function rawKey(billDate: string, billType: string): string {
  return `raw/${datePath(billDate)}/${billType}.txt`;
}

/** Key prefix of the reports of downloads that were not final (infra: expired by the bucket's lifecycle). */
export const PROVISIONAL_REPORTS_PREFIX = 'downloads/provisional/';

/**
 * The report of one download (API.md report.csv), beside its pages: downloads/yyyy/MM/dd/<type>/<id>/report.csv,
 * or under PROVISIONAL_REPORTS_PREFIX when the download is not final (a later download always replaces it).
 * The header records it (DownloadHeader.report): read a header's report with reportKeyOf (downloads.ts).
 */
export function downloadReportKey(billDate: string, billType: string, id: string, final: boolean): string {
  return `${final ? 'downloads/' : PROVISIONAL_REPORTS_PREFIX}${datePath(billDate)}/${billType}/${id}/report.csv`;
}

/**
 * reports/yyyy/MM/dd/<type>.csv: the per-day report that headers stored before reports were per download
 * point at (no `report` field). Written no more; read only through reportKeyOf for such a header.
 */
export function dayReportKey(billDate: string, billType: string): string {
  return `reports/${datePath(billDate)}/${billType}.csv`;
}

/** @deprecated the per-day key, kept for older stored headers: dayReportKey (read a header's with reportKeyOf). */
export const reportKey = dayReportKey;
