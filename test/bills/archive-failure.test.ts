// Issue 10: a failed archive write neither fails the bill's answer nor drops ReconciliationMismatches
// (published first); the failure is counted in BillArchiveFailures and reported to the handler.
import { describe, expect, it } from 'vitest';
import type { BillArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { BillRow } from '../../lib/platform/types.js';
import { billBody, billRow, platformAnswering } from '../support/bill-fakes.js';

const row = (orderNo: string, amountFen: number): BillRow =>
  billRow(orderNo, { tradeTime: '2026-01-01T10:00:00+08:00', outId: `O-${orderNo}`, amountFen });

function service(archive: BillArchive) {
  const rows = Array.from({ length: 1500 }, (_, index) => row(`P${String(index).padStart(5, '0')}`, 100));
  const platform = platformAnswering([billBody(rows)], 4096);
  const ledger = { listDayOrders: async function* () {} } as unknown as LedgerStore;
  const payments = {} as PaymentService;
  return createBillService({ platform, ledger, payments, archive, defaultCryptType: '1', now: () => new Date('2026-01-05T00:00:00Z') });
}

const slowDown = () => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
const failing = (failOn: (key: string) => boolean): BillArchive => ({
  getText: async () => undefined,
  putText: async (key) => {
    if (failOn(key)) throw slowDown();
  },
  getStream: async () => undefined,
  openWriter: (key) => ({
    write: async () => {
      if (failOn(key)) throw slowDown();
    },
    close: async () => undefined,
    abort: async () => undefined,
  }),
});

describe('a failed archive write', () => {
  it.each([
    ['a page', (key: string) => key.includes('/rows/')],
    ['the raw bill', (key: string) => key.startsWith('raw/')],
    ['the header', (key: string) => key.startsWith('reports/') && key.endsWith('.json')],
  ])('of %s: the page is answered, ReconciliationMismatches published before BillArchiveFailures', async (_name, failOn) => {
    const events: string[] = [];
    const bills = service(failing(failOn));
    const page = await bills.getBill({
      billDate: '20260101',
      publishMetric: (name, value) => events.push(`${name}=${value}`),
      onArchiveFailure: (error) => events.push(`failure:${(error as Error).name}`),
    });
    expect(page.rows).toHaveLength(1000);
    expect(page.count).toBe(1500);
    expect(page.summary).toEqual({ payments: { count: 1500, amountFen: 150_000 }, refunds: { count: 0, amountFen: 0 }, netFen: 150_000 });
    expect(page.rows[0]?.orderNo).toBe('P00000');
    expect(page.reconciliation.counts.missingLocal).toBe(1500);
    // Nothing stored, so no cursor that could not be followed.
    expect(page.nextCursor).toBeNull();
    expect(events).toEqual(['ReconciliationMismatches=1500', 'failure:SlowDown', 'BillArchiveFailures=1']);
  });

  it('of the daily run: the run completes with its counts and says it was not archived', async () => {
    const metrics: string[] = [];
    const result = await service(failing(() => true)).runDaily({
      billDate: '20260101',
      publishMetric: (name, value) => metrics.push(`${name}=${value}`),
    });
    expect(result).toMatchObject({ billDate: '20260101', count: 1500, missingLocal: 1500, archived: false });
    expect(metrics).toEqual(['ReconciliationMismatches=1500', 'BillArchiveFailures=1']);
  });
});
