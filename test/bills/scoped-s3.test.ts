// The scoped report deployed: against a real S3 API (s3rver), report.csv of a caller with a list of
// merchant accounts redirects to a pre-signed URL of a filtered copy streamed beside the download, which
// answers exactly the caller's lines; the scoped figures are stored there once and read back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Archive, reportKey, type BillArchive } from '../../lib/bills/archive.js';
import { DOWNLOAD_FORMAT, newCursorKey, PAGE_ROWS, PageWriter, publishHeader, type DownloadHeader } from '../../lib/bills/downloads.js';
import { BillTotals } from '../../lib/bills/report.js';
import { REPORT_CSV_HEADER } from '../../lib/bills/report-csv.js';
import { scopedFigures, scopeKey, scopedReport, type MerchantScope } from '../../lib/bills/scoped-views.js';
import type { BillRow } from '../../lib/platform/types.js';
import { startS3rver, type LocalS3 } from '../support/s3rver.js';

const BUCKET = 'onecard-bills';
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });
const row = (index: number, mercacc: string): BillRow =>
  ({
    tradeTime: '2026-05-12T10:00:00+08:00', account: '32718', acctype: '###', mercacc, outId: `o${index}`, orderNo: `N${index}`,
    tradeType: '01', orderStatus: '60', amountFen: 100 + index, attach: '',
  }) as BillRow;
const ROWS = Array.from({ length: 2500 }, (_, index) => row(index, index % 5 === 0 ? '1001' : '2001'));
const REPORT = `${REPORT_CSV_HEADER}\r\n${ROWS.map((r) => `${r.orderNo},01,${r.mercacc === '1001' ? 'missing_local' : 'matched'},,,,32718,${r.mercacc},1.00,${r.outId},${r.tradeTime}\r\n`).join('')}`;

let s3: LocalS3;
let archive: BillArchive;
let header: DownloadHeader;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  archive = createS3Archive({ client: s3.client(), bucket: BUCKET });
  const writer = new PageWriter(archive, { billDate: '20260512', billType: 'ALL', id: 'd1' });
  const totals = new BillTotals();
  for (const r of ROWS) {
    totals.add(r);
    await writer.add(r);
  }
  header = {
    id: 'd1', billDate: '20260512', billType: 'ALL', format: DOWNLOAD_FORMAT, fetchedAt: '2026-05-13T04:00:00+08:00', final: true,
    count: ROWS.length, totalFen: 0, rows: await writer.finish(), pageRows: PAGE_ROWS, summary: totals.summary(), merchants: totals.merchants(),
    cursorKey: newCursorKey(),
    reconciliation: { matched: 0, settled: 0, missingLocal: [], missingRemote: [], mismatched: [], counts: { missingLocal: 0, missingRemote: 0, mismatched: 0 } },
  };
  await archive.putText(reportKey('20260512', 'ALL'), REPORT, { contentType: 'text/csv; charset=utf-8' });
  await publishHeader(archive, header);
}, 60_000);
afterAll(async () => {
  await s3?.stop();
});

describe('scoped views on S3', () => {
  it('report.csv: a 303 target that answers the header and exactly the caller\'s lines', async () => {
    const answer = await scopedReport(archive, header, true, scope('1001'), 900);
    expect(answer.kind).toBe('redirect');
    const url = answer.kind === 'redirect' ? answer.url : '';
    expect(url).toContain('/downloads/2026/05/12/ALL/d1/scoped/');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const lines = (await response.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(REPORT_CSV_HEADER);
    expect(lines.slice(1)).toEqual(REPORT.split('\r\n').filter((line) => line.includes(',1001,')));
    expect(lines).toHaveLength(1 + 500);
  });

  it('the scoped figures are computed from the pages and the report, stored beside the download and read back', async () => {
    const context = { archive, ledgerHolds: async () => new Set<string>() };
    const figures = await scopedFigures(context, header, scope('1001'));
    const mine = ROWS.filter((r) => r.mercacc === '1001');
    expect(figures.count).toBe(500);
    expect(figures.totalFen).toBe(mine.reduce((sum, r) => sum + r.amountFen, 0));
    expect(figures.reconciliation.counts.missingLocal).toBe(500);
    expect(figures.reconciliation.missingLocal).toHaveLength(500);
    expect(figures.reconciliation.matched).toBe(0);
    const stored = await archive.getText(`downloads/2026/05/12/ALL/d1/scoped/${scopeKey(scope('1001'))}.json`);
    expect(JSON.parse(stored!)).toMatchObject({ downloadId: 'd1', count: 500 });
    expect(await scopedFigures({ archive, ledgerHolds: () => Promise.reject(new Error('not asked again')) }, header, scope('1001'))).toEqual(figures);
  });
});
