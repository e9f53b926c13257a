// The bill archive stores the typed report and reads back only what it wrote in its current format.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive, reportKey, type StoredBillReport } from '../../lib/bills/archive.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const stored: StoredBillReport = {
  final: true,
  fetchedAt: '2026-01-02T08:00:00+08:00',
  report: {
    billDate: '20260101',
    billType: 'ALL',
    count: 1,
    totalFen: 150,
    rows: [
      {
        tradeTime: '2026-01-01T10:00:00+08:00',
        account: '32718',
        acctype: '###',
        mercacc: '1001',
        outId: 'O1',
        orderNo: 'P1',
        tradeType: '01',
        orderStatus: '60',
        amountFen: 150,
        attach: '',
      },
    ],
    reconciliation: { matched: 1, missingLocal: [], missingRemote: [], mismatched: [] },
  },
};

describe('directory archive', () => {
  it('round-trips a report', async () => {
    const root = await mkdtemp(join(tmpdir(), 'archive-'));
    dirs.push(root);
    const archive = createDirectoryArchive(root);
    expect(await archive.getReport('20260101', 'ALL')).toBeUndefined();
    await archive.put('20260101', 'ALL', 'raw text', stored);
    expect(await archive.getReport('20260101', 'ALL')).toEqual(stored);
  });

  it('reads a report written in the earlier API-JSON format as absent (fetched again)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'archive-'));
    dirs.push(root);
    const path = join(root, reportKey('20260101', 'ALL'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ final: true, fetchedAt: stored.fetchedAt, report: { bill_date: '20260101', total: '1.50' } }));
    expect(await createDirectoryArchive(root).getReport('20260101', 'ALL')).toBeUndefined();
  });
});
