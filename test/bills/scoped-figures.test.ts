// A caller whose merchant accounts hold every row of the day sees, from its scoped figures (rebuilt from the stored
// report.csv, scoped-views.ts), the unscoped reconciliation exactly (API.md "Callers": counts and lists alike).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { BillRow } from '../../lib/platform/types.js';
import { billBody, billRow, paymentsSettlingNothing, platformAnswering } from '../support/bill-fakes.js';

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

/** The bill service on a directory archive, a bill of `rows` and a ledger of `records` (any day's). */
async function service(rows: readonly BillRow[], records: readonly LedgerRecord[]) {
  const root = await mkdtemp(join(tmpdir(), 'onecard-scoped-figures-'));
  roots.push(root);
  const ledger = {
    async *listDayOrders(day: string) {
      yield* records.filter((r) => r.tradeDay === day).sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
  return createBillService({
    platform: platformAnswering([billBody(rows)], 64), ledger, payments: paymentsSettlingNothing(), archive: createDirectoryArchive(root),
    defaultCryptType: '0', now: () => new Date('2026-11-27T01:00:00+08:00'),
  });
}

/** The unscoped answer's reconciliation, then that of a caller of `mercacc` (read from the stored download). */
async function bothAnswers(rows: readonly BillRow[], records: readonly LedgerRecord[], mercacc: readonly string[] = ['1001']) {
  const bills = await service(rows, records);
  const all = await bills.getBill({ billDate: DAY });
  const scoped = await bills.getBill({ billDate: DAY, scope: scope(...mercacc) });
  expect(scoped.rows).toHaveLength(all.rows.length);
  return { all: all.reconciliation, scoped: scoped.reconciliation };
}

describe('scoped figures of a scope holding every merchant', () => {
  it('a PENDING order with an unpaid row on equal terms, still PENDING after settlement: no mismatch either way', async () => {
    const { all, scoped } = await bothAnswers([billRow('P1', { orderStatus: '77' }), billRow('M1')], [order('P1', { status: 'PENDING' }), order('M1')]);
    expect(all.counts.mismatched).toBe(0);
    expect(scoped).toEqual(all);
  });
});
