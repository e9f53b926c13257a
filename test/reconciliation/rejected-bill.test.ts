// Exceptions of a final bill that the bill service rejects (body cut mid-stream, bad footer count) against dynalite:
// none is opened by the rows read before the failure; the same day downloaded whole afterwards opens them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import { callerScope } from '../../lib/callers/access.js';
import type { Caller } from '../../lib/callers/registry.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { exceptionConsumers } from '../../lib/reconciliation/bill-consumer.js';
import { createReconciliationService } from '../../lib/reconciliation/service.js';
import { createExceptionStore } from '../../lib/reconciliation/store.js';
import { ensureTables } from '../../lib/tables.js';
import { billBody, billRow, billWithBadFooter, paymentsSettlingNothing, platformAnswering } from '../support/bill-fakes.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const DAY = '20261126';
const ALL = callerScope({ mercacc: '*' } as unknown as Caller);
let dynamo: TestDynamo;
const roots: string[] = [];
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

// 40 rows the ledger never heard of (missing_local each); the cut keeps roughly the first half of them.
const rows = Array.from({ length: 40 }, (_, i) => billRow(`N${String(i).padStart(2, '0')}`));
const whole = billBody(rows);
const cut = whole.subarray(0, Math.floor(whole.length / 2));
const badFooter = billWithBadFooter(rows);

async function setup(bodies: Buffer[]) {
  tables += 1;
  const tableName = `exceptions-rejected-${tables}`;
  await ensureTables(dynamo.client, { ...dynamo.tables, exceptionsTable: tableName });
  const reconciliation = createReconciliationService({ store: createExceptionStore({ client: dynamo.client, tableName }) });
  const root = await mkdtemp(join(tmpdir(), 'bill-rejected-'));
  roots.push(root);
  const platform = platformAnswering(bodies, 64);
  const records: LedgerRecord[] = [];
  const ledger = {
    async *listDayOrders() {
      yield* records;
    },
    async getMany() {
      return new Map<string, LedgerRecord>();
    },
  } as unknown as LedgerStore;
  const payments = paymentsSettlingNothing();
  const bills = createBillService({
    platform, ledger, payments, archive: createDirectoryArchive(root), defaultCryptType: '0',
    // Two days on: the download is final, its exceptions are kept.
    now: () => new Date('2026-11-28T12:00:00+08:00'),
    reportConsumers: exceptionConsumers({
      startFeed: (billDate, pendingNow) => reconciliation.startFeed(billDate, pendingNow),
      getMany: async () => new Map(),
      onSummary: () => undefined,
    }),
  });
  const open = async (): Promise<string[]> => (await reconciliation.list({ scope: ALL })).exceptions.map((e) => e.orderNo).sort();
  return { bills, open };
}

describe('a final bill that is rejected', () => {
  for (const [what, body] of [['cut mid-stream', cut], ['with a bad footer', badFooter]] as const) {
    it(`${what}: opens no exception; the same day downloaded whole then opens them all`, async () => {
      const { bills, open } = await setup([body, whole]);
      await expect(bills.getBill({ billDate: DAY })).rejects.toThrow();
      expect(await open()).toEqual([]);
      const page = await bills.getBill({ billDate: DAY });
      expect(page.reconciliation.counts.missingLocal).toBe(40);
      expect(await open()).toEqual(rows.map((r) => r.orderNo));
    });
  }
});
