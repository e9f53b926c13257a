// A hostile review of the bills use case: a re-download cut mid-stream or with a bad footer, a failure after
// the pass (settlement), a bill with no rows, a cursor replayed by a caller of another merchant scope, and
// a scoped caller's figures against the rows it can see. Directory archive, in-memory ledger and platform.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { readCurrent, reportKeyOf } from '../../lib/bills/downloads.js';
import { createBillService } from '../../lib/bills/service.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { BillRow } from '../../lib/platform/types.js';
import { billBody as bill, billRow, billWithBadFooter, paymentsSettlingNothing, platformAnswering } from '../support/bill-fakes.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const DAY = '20261126';
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });

function order(orderNo: string, mercacc: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  const createdAt = '2026-11-26T09:00:00.000+08:00';
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc, amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt, updatedAt: createdAt, tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

const row = (orderNo: string, mercacc: string, overrides: Partial<BillRow> = {}): BillRow => billRow(orderNo, { mercacc, ...overrides });

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

/** `bodies` are what the platform answers, one per download in turn (the last one repeated). */
async function setup(bodies: Buffer[], records: LedgerRecord[], settle?: () => Promise<void>) {
  const root = await mkdtemp(join(tmpdir(), 'bill-review-'));
  roots.push(root);
  const platform = platformAnswering(bodies, 5);
  const ledger = {
    async *listDayOrders(day: string) {
      yield* records.filter((r) => r.tradeDay === day).sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
  const payments = paymentsSettlingNothing(settle);
  const bills = createBillService({
    platform, ledger, payments, archive: createDirectoryArchive(root), defaultCryptType: '0',
    // Not final: every request without a cursor downloads afresh.
    now: () => new Date('2026-11-27T01:00:00+08:00'),
  });
  return { bills, root };
}

const rowsAB = Array.from({ length: 6 }, (_, i) => row(`N${i}`, i % 2 === 0 ? '1001' : '2001'));
const recordsAB = rowsAB.map((r) => order(r.orderNo, r.mercacc));

describe('a re-download that fails', () => {
  for (const [what, body] of [
    ['cut mid-stream', bill(rowsAB).subarray(0, Math.floor(bill(rowsAB).length / 2))],
    ['with a bad footer', billWithBadFooter(rowsAB)],
  ] as const) {
    it(`${what}: nothing of it becomes current, the old cursor still pages the old download, no temporary file is left`, async () => {
      const { bills, root } = await setup([bill(rowsAB), body], recordsAB);
      const first = await bills.getBill({ billDate: DAY, limit: 2 });
      expect(first.nextCursor).not.toBeNull();
      // The report of the current download (its header names it).
      const currentReport = async () => readFile(join(root, reportKeyOf((await readCurrent(createDirectoryArchive(root), DAY, 'ALL'))!)), 'utf8');
      const reportBefore = await currentReport();
      await expect(bills.getBill({ billDate: DAY, limit: 2 })).rejects.toThrow();
      const next = await bills.getBill({ billDate: DAY, limit: 10, cursor: first.nextCursor! });
      expect(next.rows.map((r) => r.orderNo)).toEqual(['N2', 'N3', 'N4', 'N5']);
      expect(next.fetchedAt).toBe(first.fetchedAt);
      expect(await currentReport()).toBe(reportBefore);
      expect((await files(root)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('in settlement, after the pass: the raw bill and report writers are dropped (no temporary file left behind)', async () => {
    const pending = [order('N0', '1001', { status: 'PENDING' }), ...recordsAB.slice(1)];
    const { bills, root } = await setup([bill(rowsAB)], pending, async () => {
      throw new Error('DynamoDB unavailable');
    });
    await expect(bills.getBill({ billDate: DAY })).rejects.toThrow('DynamoDB unavailable');
    expect((await files(root)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a bill with no rows', () => {
  it('is one empty page with no cursor, an empty statement and a report of its header line only, scoped or not', async () => {
    const { bills } = await setup([bill([])], []);
    const page = await bills.getBill({ billDate: DAY });
    expect(page).toMatchObject({ count: 0, totalFen: 0, rows: [], nextCursor: null });
    expect(page.reconciliation.counts).toEqual({ missingLocal: 0, missingRemote: 0, mismatched: 0, pending: 0 });
    const scoped = await bills.getBill({ billDate: DAY, scope: scope('1001') });
    expect(scoped).toMatchObject({ count: 0, totalFen: 0, rows: [], nextCursor: null });
    expect((await bills.getMerchants({ billDate: DAY })).merchants).toEqual([]);
    const report = await bills.getReport({ billDate: DAY, scope: scope('1001') });
    expect(report.kind === 'csv' && report.body.split('\r\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('cursors and merchant scopes', () => {
  it("a cursor of one caller's scope replayed by a caller of another merchant gives only that caller's rows", async () => {
    const { bills } = await setup([bill(rowsAB)], recordsAB);
    const a = await bills.getBill({ billDate: DAY, limit: 1, scope: scope('1001') });
    expect(a.rows.map((r) => r.mercacc)).toEqual(['1001']);
    const replay = await bills.getBill({ billDate: DAY, limit: 100, cursor: a.nextCursor!, scope: scope('2001') });
    expect(replay.rows.map((r) => r.orderNo)).toEqual(['N1', 'N3', 'N5']);
    expect(replay.count).toBe(3);
    // The unscoped cursor replayed by a scoped caller: still only its rows.
    const all = await bills.getBill({ billDate: DAY, limit: 1 });
    const scoped = await bills.getBill({ billDate: DAY, limit: 100, cursor: all.nextCursor!, scope: scope('1001') });
    expect(scoped.rows.every((r) => r.mercacc === '1001')).toBe(true);
  });

  it("a scoped caller's summary, count and reconciliation agree with the rows it can see", async () => {
    const missing = [...recordsAB.filter((r) => r.orderNo !== 'N2'), order('R1', '2001')];
    const { bills } = await setup([bill(rowsAB)], missing);
    const page = await bills.getBill({ billDate: DAY, limit: 100, scope: scope('1001') });
    expect(page.rows.map((r) => r.orderNo)).toEqual(['N0', 'N2', 'N4']);
    expect(page.count).toBe(3);
    expect(page.totalFen).toBe(450);
    expect(page.summary).toEqual({ payments: { count: 3, amountFen: 450 }, refunds: { count: 0, amountFen: 0 }, netFen: 450 });
    expect(page.reconciliation).toMatchObject({ matched: 2, missingLocal: ['N2'], missingRemote: [], counts: { missingLocal: 1, missingRemote: 0, mismatched: 0 } });
    const other = await bills.getBill({ billDate: DAY, limit: 100, scope: scope('2001') });
    expect(other.reconciliation).toMatchObject({ matched: 3, missingLocal: [], missingRemote: ['R1'] });
  });
});
