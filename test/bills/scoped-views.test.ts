// The bills views of a caller with a list of merchant accounts, on a stored download in a directory
// archive: pages that scan a bounded number of stored rows (and may end early), the scoped figures stored
// once per download and scope, and the report filtered by order (a mercacc difference seen by both sides).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive, type BillArchive } from '../../lib/bills/archive.js';
import { decodeCursor } from '../../lib/bills/cursor.js';
import { DOWNLOAD_FORMAT, newCursorKey, PAGE_ROWS, PageWriter, publishHeader, type DownloadHeader } from '../../lib/bills/downloads.js';
import { reportKey } from '../../lib/bills/keys.js';
import { BillTotals } from '../../lib/bills/report.js';
import { REPORT_CSV_HEADER } from '../../lib/bills/report-csv.js';
import { csvRecords, csvRecordsOf, filterReport, reportReconciliation } from '../../lib/bills/report-filter.js';
import { readScopedRows, SCOPED_SCAN_ROWS, scopedBillPage, scopedFigures, scopedSummary, type MerchantScope, type ScopedViewsContext } from '../../lib/bills/scoped-views.js';
import type { BillRow } from '../../lib/platform/types.js';

const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });
const row = (index: number, mercacc: string, amountFen = 100 + index, tradeType = '01', orderStatus = '60'): BillRow =>
  ({
    tradeTime: '2026-05-12T10:00:00+08:00', account: '32718', acctype: '###', mercacc, outId: `o${index}`, orderNo: `N${index}`,
    tradeType, orderStatus, amountFen, attach: '',
  }) as BillRow;

let dir: string;
let archive: BillArchive;
let header: DownloadHeader;
/** 45,000 rows: merchant A on rows 0–9 and from 40,000 on (every 7th), B everywhere else. */
const ROWS = 45_000;
/** Row 5 moved no money (77) and has no ledger order: a `matched` line of the report, not a matched order. */
const rows: BillRow[] = Array.from({ length: ROWS }, (_, index) =>
  row(index, index < 10 || (index >= 40_000 && index % 7 === 0) ? 'A' : 'B', 100 + index, '01', index === 5 ? '77' : '60'),
);
const lookedUp: string[][] = [];
let context: ScopedViewsContext;

async function storePages(list: readonly BillRow[]): Promise<number> {
  const writer = new PageWriter(archive, { billDate: '20260512', billType: 'ALL', id: 'd1' });
  for (const r of list) await writer.add(r);
  return writer.finish();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onecard-scoped-views-'));
  archive = createDirectoryArchive(dir);
  context = { archive, ledgerHolds: async (orderNos) => (lookedUp.push([...orderNos]), new Set()) };
  const totals = new BillTotals();
  for (const r of rows) totals.add(r);
  header = {
    id: 'd1', billDate: '20260512', billType: 'ALL', format: DOWNLOAD_FORMAT, fetchedAt: '2026-05-13T04:00:00+08:00', final: true,
    count: ROWS, totalFen: rows.reduce((sum, r) => sum + r.amountFen, 0), rows: await storePages(rows),
    pageRows: PAGE_ROWS, summary: totals.summary(), merchants: totals.merchants(), cursorKey: newCursorKey(),
    reconciliation: { matched: 0, settled: 0, missingLocal: [], missingRemote: [], mismatched: [], counts: { missingLocal: 0, missingRemote: 0, mismatched: 0 } },
  };
  const report = [REPORT_CSV_HEADER, ...rows.slice(0, 12).map((r) => `${r.orderNo},01,matched,,,,32718,${r.mercacc},1.00,${r.outId},${r.tradeTime}`)].join('\r\n') + '\r\n';
  await archive.putText(reportKey('20260512', 'ALL'), report, { contentType: 'text/csv' });
  await publishHeader(archive, header);
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scoped pages', () => {
  it('a page reads at most SCOPED_SCAN_ROWS stored rows: past them it ends early (even empty) with a cursor to go on', async () => {
    const first = await readScopedRows(archive, header, 0, 100, scope('A'));
    expect(first.rows.map((r) => r.orderNo)).toEqual(Array.from({ length: 10 }, (_, i) => `N${i}`));
    expect(first.next).toBe(SCOPED_SCAN_ROWS);
    const empty = await readScopedRows(archive, header, first.next!, 100, scope('A'));
    expect(empty.rows).toEqual([]);
    expect(empty.next).toBe(2 * SCOPED_SCAN_ROWS);
  });

  it('paging with the cursors returns each of the scope\'s rows exactly once, in bill order, and ends with null', async () => {
    const seen: string[] = [];
    let offset = 0;
    let page = await scopedBillPage(context, header, { offset, limit: 500, archived: true }, scope('A'));
    seen.push(...page.rows.map((r) => r.orderNo));
    while (page.nextCursor) {
      const cursor = decodeCursor(page.nextCursor);
      expect(cursor.verify(header.cursorKey)).toBe(true);
      expect(cursor.offset).toBeGreaterThan(offset);
      offset = cursor.offset;
      page = await scopedBillPage(context, header, { offset, limit: 500, archived: true }, scope('A'));
      expect(page.rows.length).toBeLessThanOrEqual(500);
      seen.push(...page.rows.map((r) => r.orderNo));
    }
    expect(seen).toEqual(rows.filter((r) => r.mercacc === 'A').map((r) => r.orderNo));
  });

  it('count, total and summary are the scope\'s rows\'; the figures are stored once per download and scope', async () => {
    const mine = rows.filter((r) => r.mercacc === 'A');
    const page = await scopedBillPage(context, header, { offset: 0, limit: 1, archived: true }, scope('A'));
    expect(page.count).toBe(mine.length);
    expect(page.totalFen).toBe(mine.reduce((sum, r) => sum + r.amountFen, 0));
    const paid = mine.filter((r) => r.orderStatus === '60').reduce((sum, r) => sum + r.amountFen, 0);
    expect(page.summary).toEqual({ payments: { count: mine.length - 1, amountFen: paid }, refunds: { count: 0, amountFen: 0 }, netFen: paid });
    // Ten matched lines of A, one of them a 77 row without a ledger order: the only one looked up.
    expect(page.reconciliation.matched).toBe(9);
    expect(lookedUp).toEqual([['N5']]);
    const stored = await readdir(join(dir, 'downloads/2026/05/12/ALL/d1/scoped'));
    expect(stored).toHaveLength(1);
    // A second read answers from the stored view: the same figures even with the pages gone.
    await rm(join(dir, 'downloads/2026/05/12/ALL/d1/rows'), { recursive: true });
    expect(await scopedFigures(context, header, scope('A'))).toEqual({ count: page.count, totalFen: page.totalFen, reconciliation: page.reconciliation });
  });

  it('scopedSummary adds the scope\'s merchants, refunds subtracted', () => {
    const totals = new BillTotals();
    for (const r of [row(1, 'A', 500), row(2, 'A', 200, '02'), row(3, 'B', 999), row(4, 'A', 50, '01', '77')]) totals.add(r);
    expect(scopedSummary(totals.merchants(), scope('A', 'C'))).toEqual({ payments: { count: 1, amountFen: 500 }, refunds: { count: 1, amountFen: 200 }, netFen: 300 });
  });
});

describe('the scoped report', () => {
  const REPORT = [
    REPORT_CSV_HEADER,
    'P1,01,matched,,,,32718,1001,1.00,o1,t',
    'P2,01,mismatched,tranamt,2.00,3.00,32718,2001,3.00,o2,t',
    'P2,01,mismatched,mercacc,1001,2001,32718,2001,3.00,o2,t', // made into 1001, booked on 2001: both see the order
    'P3,01,missing_local,,,,32718,2001,1.00,o3,t',
    'P4,02,missing_remote,,,,32718,1001,4.00,,t',
    'P5,01,mismatched,attach,"a,""b""","a",32718,1001,5.00,o5,t',
    'P6,01,settled,,,,32718,1001,1.00,o6,t',
    '',
  ].join('\r\n');

  /** The report in pieces of 7 characters (records and quoted fields cut anywhere), filtered. */
  const filtered = async (s: MerchantScope): Promise<string> => {
    const pieces = REPORT.match(/[\s\S]{1,7}/g) ?? [];
    let out = '';
    await filterReport(pieces, s, (text) => void (out += text));
    return out;
  };

  it('keeps the header and the scope\'s orders, byte for byte; an order with a mercacc difference goes to both merchants', async () => {
    const lines = (text: string) => text.split('\r\n').filter(Boolean);
    expect(lines(await filtered(scope('1001')))).toEqual([REPORT_CSV_HEADER, ...lines(REPORT).filter((l) => /^P[12456],/.test(l))]);
    expect(lines(await filtered(scope('2001')))).toEqual([REPORT_CSV_HEADER, ...lines(REPORT).filter((l) => /^P[23],/.test(l))]);
    expect(await filtered(scope('9999'))).toBe(`${REPORT_CSV_HEADER}\r\n`);
  });

  it('the reconciliation of the scope\'s lines: counts complete, mismatches one per field', async () => {
    expect(await reportReconciliation([REPORT], scope('1001'))).toEqual({
      matched: 1,
      settled: 1,
      missingLocal: [],
      missingRemote: ['P4'],
      mismatched: [
        { orderNo: 'P2', field: 'tranamt', ledger: '2.00', bill: '3.00' },
        { orderNo: 'P2', field: 'mercacc', ledger: '1001', bill: '2001' },
        { orderNo: 'P5', field: 'attach', ledger: 'a,"b"', bill: 'a' },
      ],
      pending: [],
      counts: { missingLocal: 0, missingRemote: 1, mismatched: 3, pending: 0 },
    });
  });

  it('csvRecords reads quoted commas, quotes and line breaks, and gives each record\'s text as stored', () => {
    const text = 'a,"b,c","d""e"\n"f\r\ng",h\r\nlast';
    const records = [...csvRecords(text)];
    expect(records.map((r) => r.fields)).toEqual([['a', 'b,c', 'd"e'], ['f\r\ng', 'h'], ['last']]);
    expect(records.map((r) => r.raw).join('')).toBe(text);
  });

  it('the streamed reader gives the same records whatever the pieces: bytes cut inside a character, a record, a quote or a CRLF', async () => {
    const text = '名,"a,""\r\nb",c\r\n"x""y",z\nlast\r';
    const bytes = new TextEncoder().encode(text);
    const whole = csvRecords(text);
    for (let size = 1; size <= 5; size++) {
      const pieces = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.slice(i * size, (i + 1) * size));
      async function* stream(): AsyncGenerator<Uint8Array> {
        yield* pieces;
      }
      const got = [];
      for await (const record of csvRecordsOf(stream())) got.push(record);
      expect(got, `pieces of ${size}`).toEqual(whole);
    }
    expect(whole.map((r) => r.fields)).toEqual([['名', 'a,"\r\nb', 'c'], ['x"y', 'z'], ['last\r']]);
  });
});
