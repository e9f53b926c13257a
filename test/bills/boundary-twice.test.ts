// A boundary order (created in its China day's last 5 minutes) is excused on the next day's bill only when its own
// day's bill lacks it (API.md "Boundary orders"). One its own bill already held and the next day's bill books again
// moved money twice: the next day shows a second booking (mismatched, field order_no), while an order its own bill
// lacked is still matched there. The day's download keeps which late orders its bill held (lateBilled).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive, type BillArchive } from '../../lib/bills/archive.js';
import { readCurrent } from '../../lib/bills/downloads.js';
import { createBillService } from '../../lib/bills/service.js';
import { withLogSink } from '../../lib/observability/logger.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRequest, PlatformClient } from '../../lib/platform/types.js';
import { billBody, billRow, paymentsSettlingNothing } from '../support/bill-fakes.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const lateOrder = (orderNo: string, createdAt: string): LedgerRecord =>
  ({
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150, outId: `OUT-${orderNo}`,
    createdAt, updatedAt: createdAt, tradeDay: '20261126', requestHash: 'h', version: 1, attempts: 1,
  }) as LedgerRecord;

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'boundary-twice-'));
  roots.push(root);
  return root;
}

/** A service whose platform has only the next day's bill (LATE1 again) and whose ledger holds LATE1 on the day before. */
function nextDayOnly(archive: BillArchive) {
  const twice = lateOrder('LATE1', '2026-11-26T23:57:00.000+08:00');
  const bills: Record<string, Buffer> = { '20261127': billBody([billRow('LATE1', { tradeTime: '2026-11-27T00:01:00+08:00', outId: 'OUT-LATE1' })]) };
  const platform = { async downloadBillStream(request: BillRequest) { return { plain: chunksOf(bills[request.billDate] ?? billBody([]), 64) }; } } as unknown as PlatformClient;
  const ledger = {
    async *listDayOrders(day: string) { if (day === '20261126') yield twice; },
    async getMany() { return new Map(); },
  } as unknown as LedgerStore;
  return createBillService({ platform, ledger, payments: paymentsSettlingNothing(), archive, defaultCryptType: '0', now: () => new Date('2026-11-28T04:00:00+08:00') });
}

describe('a boundary order on its own day\'s bill and again on the next day\'s', () => {
  it('is a second booking on the next day; a boundary order its own bill lacked is matched there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'boundary-twice-'));
    roots.push(root);
    const twice = lateOrder('LATE1', '2026-11-26T23:57:00.000+08:00');
    const once = lateOrder('LATE2', '2026-11-26T23:58:00.000+08:00');
    const rowOf = (order: LedgerRecord, tradeTime: string) => billRow(order.orderNo, { tradeTime, outId: order.outId! });
    const bills: Record<string, Buffer> = {
      '20261126': billBody([rowOf(twice, '2026-11-26T23:57:01+08:00')]),
      '20261127': billBody([rowOf(twice, '2026-11-27T00:01:00+08:00'), rowOf(once, '2026-11-27T00:01:30+08:00')]),
    };
    const platform = {
      async downloadBillStream(request: BillRequest) {
        return { plain: chunksOf(bills[request.billDate] ?? billBody([]), 64) };
      },
    } as unknown as PlatformClient;
    const orders = [twice, once];
    const ledger = {
      async *listDayOrders(day: string, options?: { createdFrom?: Date }) {
        for (const order of orders) if (day === order.tradeDay && (!options?.createdFrom || Date.parse(order.createdAt) >= options.createdFrom.getTime())) yield order;
      },
      async getMany(orderNos: readonly string[]) {
        return new Map(orders.filter((order) => orderNos.includes(order.orderNo)).map((order) => [order.orderNo, order]));
      },
    } as unknown as LedgerStore;
    const archive = createDirectoryArchive(root);
    const service = createBillService({ platform, ledger, payments: paymentsSettlingNothing(), archive, defaultCryptType: '0', now: () => new Date('2026-11-28T04:00:00+08:00') });

    const first = await service.getBill({ billDate: '20261126' });
    expect(first.reconciliation).toMatchObject({ matched: 1, missingRemote: [] });
    expect((await readCurrent(archive, '20261126', 'ALL'))?.lateBilled).toEqual(['LATE1']);

    const second = await service.getBill({ billDate: '20261127' });
    expect(second.reconciliation.matched).toBe(1); // LATE2: a boundary order, never a difference
    expect(second.reconciliation.missingLocal).toEqual([]);
    expect(second.reconciliation.mismatched).toEqual([{ orderNo: 'LATE1', field: 'order_no', ledger: 'one row (bill of 20261126)', bill: 'duplicate row' }]);
  });

  it('a day before whose header cannot be read (S3 failing) leaves the check undone and the bill answered', async () => {
    const directory = createDirectoryArchive(await freshRoot());
    const read: string[] = [];
    const archive = {
      ...directory,
      async getText(key: string) {
        read.push(key);
        if (key.includes('2026/11/26')) throw new Error('S3 is down');
        return directory.getText(key);
      },
    };
    const logs: string[] = [];
    const second = await withLogSink((line) => logs.push(line), () => nextDayOnly(archive).getBill({ billDate: '20261127' }));
    expect(read.some((key) => key.includes('2026/11/26'))).toBe(true);
    expect(logs.join('\n')).toContain("the day before's download not read");
    expect(second.reconciliation).toMatchObject({ matched: 1, mismatched: [], missingLocal: [] });
  });

  it('a day before whose download did not keep lateBilled (stored before it was) changes nothing', async () => {
    const second = await nextDayOnly(createDirectoryArchive(await freshRoot())).getBill({ billDate: '20261127' });
    expect(second.reconciliation).toMatchObject({ matched: 1, mismatched: [], missingLocal: [] });
  });
});
