// Stored row pages (lib/bills/downloads.ts): written as arrays of each row's fields, read back as the rows they were;
// a download stored by the version before (format 3, row objects) still reads; a page that is neither is refused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { DOWNLOAD_FORMAT, PAGE_ROWS, PageWriter, readRows, type DownloadHeader } from '../../lib/bills/downloads.js';
import type { BillRow } from '../../lib/platform/types.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function archiveDir() {
  const root = await mkdtemp(join(tmpdir(), 'row-pages-'));
  roots.push(root);
  return { root, archive: createDirectoryArchive(root) };
}

const headerOf = (rows: number, format: number): DownloadHeader =>
  ({ id: 'd1', billDate: '20261126', billType: 'ALL', format, rows, pageRows: PAGE_ROWS }) as unknown as DownloadHeader;
const pagePath = (root: string, page: number) => join(root, 'downloads/2026/11/26/ALL/d1/rows', `${String(page).padStart(6, '0')}.json`);

const text = fc.string({ unit: 'binary', maxLength: 12 });
const billRow = fc.record({
  tradeTime: text, account: text, acctype: text, mercacc: text, outId: text, orderNo: text, tradeType: text, orderStatus: text,
  amountFen: fc.integer({ min: -9_999_999_999, max: 9_999_999_999 }), attach: text,
});

describe('stored row pages', () => {
  it('property: rows written read back equal, in order, across pages, from any offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(billRow, { maxLength: 2_500 }), fc.nat(), fc.integer({ min: 1, max: 3_000 }), async (rows, from, limit) => {
        const { archive } = await archiveDir();
        const writer = new PageWriter(archive, { billDate: '20261126', billType: 'ALL', id: 'd1' });
        for (const row of rows) await writer.add(row);
        expect(await writer.finish()).toBe(rows.length);
        const offset = rows.length === 0 ? 0 : from % rows.length;
        expect(await readRows(archive, headerOf(rows.length, DOWNLOAD_FORMAT), offset, limit)).toEqual(rows.slice(offset, offset + limit));
      }),
      { numRuns: 25 },
    );
  });

  it('a page holds each row as an array of its fields: about half the bytes of the same rows as objects', async () => {
    const { root, archive } = await archiveDir();
    const rows: BillRow[] = Array.from({ length: PAGE_ROWS }, (_, i) => ({
      tradeTime: '2026-11-26T10:00:00+08:00', account: String(100_000 + i), acctype: '###', mercacc: '1001', outId: `2026112600${String(i).padStart(10, '0')}`,
      orderNo: `T${String(i).padStart(12, '0')}`, tradeType: '01', orderStatus: '60', amountFen: 100 + i, attach: i % 3 === 0 ? '食堂, 2 号窗口' : '',
    }));
    const writer = new PageWriter(archive, { billDate: '20261126', billType: 'ALL', id: 'd1' });
    for (const row of rows) await writer.add(row);
    await writer.finish();
    const stored = await readFile(pagePath(root, 0), 'utf8');
    const parsed = JSON.parse(stored) as unknown[][];
    expect(parsed[1]).toEqual(['2026-11-26T10:00:00+08:00', '100001', '###', '1001', '20261126000000000001', 'T000000000001', '01', '60', 101, '']);
    expect(stored.length).toBeLessThan(0.6 * JSON.stringify(rows).length);
  });

  it('a download of format 3 (pages of row objects, the version before) still reads', async () => {
    const { archive } = await archiveDir();
    const rows: BillRow[] = [
      { tradeTime: '2026-11-26T10:00:00+08:00', account: '32718', acctype: '###', mercacc: '1001', outId: 'o1', orderNo: 'N1', tradeType: '01', orderStatus: '60', amountFen: 150, attach: '' },
    ];
    await archive.putText('downloads/2026/11/26/ALL/d1/rows/000000.json', JSON.stringify(rows), { contentType: 'application/json' });
    expect(await readRows(archive, headerOf(1, 3), 0, 10)).toEqual(rows);
  });

  it('a page of format 4 whose rows are not arrays of the ten fields is refused, naming the page', async () => {
    const { archive } = await archiveDir();
    for (const body of ['{"rows":[]}', '[{"orderNo":"N1"}]', '[["a","b"]]', '[["t","a","#","m","o","n","01","60","150",""]]']) {
      await archive.putText('downloads/2026/11/26/ALL/d1/rows/000000.json', body, { contentType: 'application/json' });
      await expect(readRows(archive, headerOf(1, DOWNLOAD_FORMAT), 0, 1), body).rejects.toThrow('rows/000000.json');
    }
  });
});
