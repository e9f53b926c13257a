// A final download stored before reconciliation.pending was kept reads as none, unscoped and scoped alike: a caller
// covering every merchant, whose figures are rebuilt from the stored report (which names the pending orders), too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import { currentKey } from '../../lib/bills/downloads.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import { billBody, billRow, paymentsSettlingNothing } from '../support/bill-fakes.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});
const DAY = '20261126';
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });
function order(orderNo: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  const createdAt = '2026-11-26T09:00:00.000+08:00';
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt, updatedAt: createdAt, tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

describe('a final download stored before the pending list (old header)', () => {
  it('unscoped and a scope of every merchant agree on pending', async () => {
    const rows: BillRow[] = [billRow('P1', { orderStatus: '77' }), billRow('M1')];
    const records = [order('P1', { status: 'PENDING' }), order('M1'), order('P0', { status: 'PENDING' })];
    const root = await mkdtemp(join(tmpdir(), 'onecard-pending-old-header-'));
    roots.push(root);
    const archive = createDirectoryArchive(root);
    const ledger = {
      async *listDayOrders(day: string) {
        yield* records.filter((r) => r.tradeDay === day).sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
      },
      async getMany(orderNos: readonly string[]) {
        return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
      },
    } as unknown as LedgerStore;
    const platform = {
      async downloadBillStream(request: { billDate: string }) {
        return { plain: chunksOf(billBody(request.billDate === DAY ? rows : []), 64) };
      },
    } as unknown as PlatformClient;
    const bills = createBillService({
      platform, ledger, payments: paymentsSettlingNothing(), archive, defaultCryptType: '0',
      now: () => new Date('2026-11-27T05:00:00+08:00'), // past BILL_FINAL_AFTER: final, then served from the archive
    });
    const first = await bills.getBill({ billDate: DAY });
    expect(first.final).toBe(true);
    expect(first.reconciliation.counts.pending).toBe(2);

    // The header as a download before the pending list stored it: no pending list, no counts.pending.
    const headerFiles: string[] = [currentKey(DAY, 'ALL')];
    const { readdir } = await import('node:fs/promises');
    const all = (await readdir(root, { recursive: true })) as string[];
    for (const file of all) if (file.endsWith('header.json')) headerFiles.push(file);
    for (const key of new Set(headerFiles)) {
      const text = await archive.getText(key);
      if (text === undefined) continue;
      const header = JSON.parse(text);
      delete header.reconciliation.pending;
      delete header.reconciliation.counts.pending;
      await archive.putText(key, JSON.stringify(header), { contentType: 'application/json' });
    }

    const unscoped = await bills.getBill({ billDate: DAY });
    const scoped = await bills.getBill({ billDate: DAY, scope: scope('1001') });
    expect(unscoped.reconciliation.pending ?? []).toEqual([]); // "downloads stored before it read as none"
    expect(scoped.rows).toHaveLength(unscoped.rows.length);
    // API.md "Callers": a caller of every merchant sees the unscoped counts and lists.
    expect({ pending: scoped.reconciliation.pending, count: scoped.reconciliation.counts.pending })
      .toEqual({ pending: unscoped.reconciliation.pending ?? [], count: unscoped.reconciliation.counts.pending ?? 0 });
  });
});
