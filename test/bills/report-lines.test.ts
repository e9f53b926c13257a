// The lines of ledger orders the bill lacks (lib/bills/reconcile.ts, API.md "Bills"): a late one the next day's bill
// holds is next_day whatever its status once that bill is read (it is not read for a late FAILED one alone), and
// such a line is told apart by its flag, not by a column's text: a PENDING order's row whose status reads "(none)"
// is still held and judged after settlement.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { reconcileStream, type ReportEntry } from '../../lib/bills/reconcile.js';
import { createBillService } from '../../lib/bills/service.js';
import type { DayOrder, LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { billBody, billRow, paymentsSettlingNothing } from '../support/bill-fakes.js';

const DAY = '20261126';
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const dayOrder = (orderNo: string, createdAt: string, status: DayOrder['status']): DayOrder =>
  ({ orderNo, type: 'PAYMENT', status, account: '32718', acctype: '###', mercacc: '1001', amountFen: 150, createdAt }) as DayOrder;

describe('a late order the bill lacks', () => {
  const failed = dayOrder('LF', '2026-11-26T23:58:00.000+08:00', 'FAILED');
  const success = dayOrder('LS', '2026-11-26T23:59:00.000+08:00', 'SUCCESS');
  const nextDay = [billRow('LF', { tradeTime: '2026-11-27T00:00:20+08:00', orderStatus: '77', outId: '' }), billRow('LS', { tradeTime: '2026-11-27T00:00:40+08:00' })];

  it.each([
    ['a late FAILED one alone: the next day\'s bill is not read for it, and it is matched', [failed], 0, [['LF', 'matched']]],
    ['beside a late SUCCESS one: the bill read for that one makes both next_day', [failed, success], 1, [['LF', 'next_day'], ['LS', 'next_day']]],
  ] as const)('%s', async (_, orders, reads, lines) => {
    const entries: ReportEntry[] = [];
    let asked = 0;
    const result = await reconcileStream([], orders, {
      sink: { write: (entry) => void entries.push(entry) },
      nextDayRows: async function* () {
        asked += 1;
        yield nextDay;
      },
    });
    expect(asked).toBe(reads);
    expect(entries.map((e) => [e.orderNo, e.category])).toEqual(lines);
    expect(entries.every((e) => e.withoutRow)).toBe(true);
    expect(result.matched).toBe(lines.filter(([, category]) => category === 'matched').length);
  });
});

function record(orderNo: string, status: LedgerRecord['status']): LedgerRecord {
  const createdAt = '2026-11-26T09:00:00.000+08:00';
  return {
    orderNo, type: 'PAYMENT', status, account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    ...(status === 'SUCCESS' ? { outId: `OUT-${orderNo}` } : {}),
    createdAt, updatedAt: createdAt, tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1,
  } as LedgerRecord;
}

/** The bill service: the pass reads `atPass`; after its settling the ledger holds `afterSettling` (what getMany reads). */
async function bills(rows: readonly BillRow[], atPass: readonly LedgerRecord[], afterSettling: readonly LedgerRecord[], given: ReportEntry[]) {
  const root = await mkdtemp(join(tmpdir(), 'onecard-report-lines-'));
  roots.push(root);
  const ledger = {
    async *listDayOrders(day: string, options: { createdFrom?: Date } = {}) {
      if (options.createdFrom || day !== DAY) return;
      yield* [...atPass].sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(afterSettling.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
  const platform = {
    async downloadBillStream(request: { billDate: string }) {
      return { plain: chunksOf(billBody(request.billDate === DAY ? rows : []), 64) };
    },
  } as unknown as PlatformClient;
  return createBillService({
    platform, ledger, payments: paymentsSettlingNothing(), archive: createDirectoryArchive(root),
    defaultCryptType: '0', now: () => new Date('2026-11-27T01:00:00+08:00'),
    reportConsumers: () => [{ write: (entry: ReportEntry) => void given.push(entry) }],
  });
}

describe('a PENDING order with an unpaid row that the settler then made SUCCESS', () => {
  it.each(['77', '(none)'])('row status %s: a status mismatch, in the answer, the report and what consumers are given', async (status) => {
    const given: ReportEntry[] = [];
    const service = await bills([billRow('P1', { orderStatus: status })], [record('P1', 'PENDING')], [record('P1', 'SUCCESS')], given);
    const page = await service.getBill({ billDate: DAY });
    expect(page.reconciliation.counts.mismatched).toBe(1);
    expect(page.reconciliation.mismatched).toEqual([{ orderNo: 'P1', field: 'status', ledger: 'SUCCESS', bill: status }]);
    expect(given.map((e) => `${e.category}:${e.field}:${e.ledger}:${e.bill}`)).toEqual([`mismatched:status:SUCCESS:${status}`]);
  });
});
