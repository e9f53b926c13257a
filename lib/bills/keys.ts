// Where each object of the bill archive lives (same keys in S3 and in the local directory). No SDK
// here: the bill service imports these names, and every handler's bundle imports the service's types.
export function datePath(billDate: string): string {
  if (!/^[0-9]{8}$/.test(billDate)) throw new Error(`bill date must be yyyyMMdd: ${billDate}`);
  return `${billDate.slice(0, 4)}/${billDate.slice(4, 6)}/${billDate.slice(6, 8)}`;
}

/** raw/yyyy/MM/dd/<type>.txt: the platform's text of the current download. */
export function rawKey(billDate: string, billType: string): string {
  return `raw/${datePath(billDate)}/${billType}.txt`;
}

/** reports/yyyy/MM/dd/<type>.csv: the reconciliation report of the current download (API.md report.csv). */
export function reportKey(billDate: string, billType: string): string {
  return `reports/${datePath(billDate)}/${billType}.csv`;
}
