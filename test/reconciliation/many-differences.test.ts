// One exception per difference at a scale past the old caps (1000 kept, 10,000 held), through the bill service and
// a directory archive against dynalite: the stored report is read back in batches with a bounded number held;
// a re-run opens none twice; a matching run resolves them; a run out of time says so and the next one goes on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { formatBill } from '../../lib/protocol/bill.js';
import { exceptionConsumers } from '../../lib/reconciliation/bill-consumer.js';
import { ExceptionStatus } from '../../lib/reconciliation/exceptions.js';
import type { FeedSummary } from '../../lib/reconciliation/feed.js';
import { startExceptionFeed } from '../../lib/reconciliation/feed.js';
import { createExceptionStore, type ExceptionStore } from '../../lib/reconciliation/store.js';
import { ensureTables } from '../../lib/tables.js';
import { setMetricsOutput } from '../../lib/observability/metrics.js';
import { CUSTOM_METRICS, METRICS_NAMESPACE } from '../../lib/observability/names.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const DAY = '20261126';
const DIFFERENCES = 2_500;
let dynamo: TestDynamo;
let calls: DynamoCallLog;
const roots: string[] = [];
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  calls = countDynamoCalls(dynamo.client);
});
afterAll(async () => {
  await dynamo?.close();
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

function row(orderNo: string): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:00+08:00', account: '32718', acctype: '###', mercacc: '1001', outId: `OUT-${orderNo}`, orderNo,
    tradeType: '01', orderStatus: '60', amountFen: 150, attach: '',
  };
}

function order(orderNo: string): LedgerRecord {
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt: '2026-11-26T09:59:59.000+08:00', updatedAt: '2026-11-26T09:59:59.000+08:00',
    tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1,
  } as LedgerRecord;
}

const rows = Array.from({ length: DIFFERENCES }, (_, i) => row(`N${String(i).padStart(5, '0')}`));

interface Day {
  /** What the platform's bill holds and the ledger knows on the next download. */
  bill: BillRow[];
  ledger: LedgerRecord[];
  /** The reconciliation's clock (each run's instant) and the budget's. */
  at: number;
  budgetClock?: () => number;
  /** The feed's budget (default 1000 ms on budgetClock, EXCEPTIONS_BUDGET_MS without it). */
  budgetMs?: number;
}

async function setup() {
  tables += 1;
  const tableName = `exceptions-many-${tables}`;
  await ensureTables(dynamo.client, { ...dynamo.tables, exceptionsTable: tableName });
  const store = createExceptionStore({ client: dynamo.client, tableName });
  const root = await mkdtemp(join(tmpdir(), 'bill-many-'));
  roots.push(root);
  const day: Day = { bill: rows, ledger: [], at: Date.parse('2026-11-28T12:00:00+08:00') };
  const summaries: FeedSummary[] = [];
  let maxHeld = 0;
  const platform = {
    async downloadBillStream() {
      return { plain: chunksOf(Buffer.from(formatBill(day.bill), 'utf8'), 4096) };
    },
  } as unknown as PlatformClient;
  const ledger = {
    async *listDayOrders(billDate: string) {
      if (billDate === DAY) yield* day.ledger;
    },
    async getMany() {
      return new Map<string, LedgerRecord>();
    },
  } as unknown as LedgerStore;
  const payments = {
    async settleFromBill(entries: readonly unknown[]) {
      return { examined: entries.length, succeeded: 0, failed: 0, stillPending: 0, queryErrors: 0 };
    },
    async resolvePending(orderNos: readonly string[]) {
      return { examined: orderNos.length, succeeded: 0, failed: 0, stillPending: 0, queryErrors: 0 };
    },
  } as unknown as PaymentService;
  const bills = () =>
    createBillService({
      platform, ledger, payments, archive: createDirectoryArchive(root), defaultCryptType: '0',
      now: () => new Date('2026-11-28T12:00:00+08:00'),
      reportConsumers: exceptionConsumers({
        startFeed: (billDate, pendingNow, run) =>
          startExceptionFeed({
            store, billDate, pendingNow, ...run, now: () => new Date(day.at),
            onHeld: (held) => void (maxHeld = Math.max(maxHeld, held)),
          }),
        getMany: async () => new Map(),
        onSummary: (_, summary) => void summaries.push(summary),
        ...(day.budgetClock ? { budgetMs: 1000, clock: day.budgetClock } : {}),
        ...(day.budgetMs !== undefined ? { budgetMs: day.budgetMs } : {}),
      }),
    });
  const run = async (): Promise<FeedSummary> => {
    day.at += 3600_000;
    await bills().runDaily({ billDate: DAY });
    return summaries.at(-1)!;
  };
  const stored = async (status: ExceptionStatus) => {
    const found: string[] = [];
    for await (const exception of store.eachUnresolved(DAY)) if (exception.status === status) found.push(exception.orderNo);
    return found;
  };
  return { day, run, store, stored, held: () => maxHeld };
}

async function everyItem(store: ExceptionStore): Promise<number> {
  let open = 0;
  for await (const _ of store.eachUnresolved(DAY)) open += 1;
  return open;
}

// Thousands of items through dynalite, and a shared machine.
describe('one exception per difference, past the old caps', { timeout: 180_000 }, () => {
  it(`${DIFFERENCES} differences: one exception each, written in batches, with at most a few batches held`, async () => {
    const { run, store, held } = await setup();
    calls.reset();
    expect(await run()).toEqual({ opened: DIFFERENCES, seen: 0, reopened: 0, resolved: 0, notKept: 0 });
    expect(await everyItem(store)).toBe(DIFFERENCES);
    // Held at once: below five batches of 100 (held all, it would be 2,500).
    expect(held()).toBeGreaterThan(0);
    expect(held()).toBeLessThanOrEqual(500);
    // Per 100 differences one BatchGetItem and four BatchWriteItem: no call per difference.
    const named = (name: string) => calls.calls.filter((call) => call === name).length;
    expect(named('BatchGetItemCommand')).toBe(DIFFERENCES / 100);
    expect(named('BatchWriteItemCommand')).toBe(DIFFERENCES / 25);
    expect(named('PutItemCommand') + named('UpdateItemCommand')).toBe(0);
  });

  it('a re-run finds each again (last_seen) and opens none twice; a matching run resolves every one', async () => {
    const { day, run, store, stored } = await setup();
    await run();
    expect(await run()).toEqual({ opened: 0, seen: DIFFERENCES, reopened: 0, resolved: 0, notKept: 0 });
    expect(await everyItem(store)).toBe(DIFFERENCES);
    const [first] = await store.list({ status: ExceptionStatus.OPEN, billDate: DAY, limit: 1 }).then((page) => page.exceptions);
    expect(first!.lastSeen > first!.firstSeen).toBe(true);

    // The ledger now holds every order on the bill's terms: all of them matched.
    day.ledger = rows.map((r) => order(r.orderNo));
    expect(await run()).toEqual({ opened: 0, seen: 0, reopened: 0, resolved: DIFFERENCES, notKept: 0 });
    expect(await stored(ExceptionStatus.OPEN)).toEqual([]);
    expect((await store.get(first!.id))?.status).toBe(ExceptionStatus.RESOLVED);
  });

  it('a run out of time records what it can, counts the rest as not kept, and the next run records the rest', async () => {
    const { day, run, store } = await setup();
    // The budget clock passes the budget after the consumer is made and ten batches are let through.
    let ticks = 0;
    day.budgetClock = () => (ticks++ <= 10 ? 0 : 10_000);
    const partial = await run();
    expect(partial).toEqual({ opened: 1000, seen: 0, reopened: 0, resolved: 0, notKept: DIFFERENCES - 1000 });
    expect(await everyItem(store)).toBe(1000);
    delete day.budgetClock;
    expect(await run()).toEqual({ opened: DIFFERENCES - 1000, seen: 1000, reopened: 0, resolved: 0, notKept: 0 });
    expect(await everyItem(store)).toBe(DIFFERENCES);
  });

  it('a run given a tiny time budget publishes ExceptionsNotKept with its count; a run that keeps all publishes none', async () => {
    const { day, run, store } = await setup();
    const documents: Record<string, unknown>[] = [];
    setMetricsOutput((line) => documents.push(JSON.parse(line) as Record<string, unknown>));
    try {
      day.budgetMs = 0;
      expect(await run()).toEqual({ opened: 0, seen: 0, reopened: 0, resolved: 0, notKept: DIFFERENCES });
      const notKept = documents.filter((doc) => CUSTOM_METRICS.exceptionsNotKept in doc);
      expect(notKept.map((doc) => doc[CUSTOM_METRICS.exceptionsNotKept])).toEqual([DIFFERENCES]);
      // The service dimension only, in the gateway's namespace: what infra's ExceptionsNotKeptAlarm matches.
      expect(notKept[0]?.service).toBe('onecard-gateway');
      expect(JSON.stringify(notKept[0]?._aws)).toContain(`"Namespace":"${METRICS_NAMESPACE}"`);
      expect(JSON.stringify(notKept[0]?._aws)).toContain('"Dimensions":[["service"]]');

      delete day.budgetMs;
      documents.length = 0;
      expect(await run()).toEqual({ opened: DIFFERENCES, seen: 0, reopened: 0, resolved: 0, notKept: 0 });
      expect(await everyItem(store)).toBe(DIFFERENCES);
      expect(documents.filter((doc) => CUSTOM_METRICS.exceptionsNotKept in doc)).toEqual([]);
    } finally {
      setMetricsOutput(undefined);
    }
  });
});
