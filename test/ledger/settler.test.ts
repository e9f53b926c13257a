// lib/ledger/settler.ts against dynalite and the sandbox platform over HTTP: old PENDING orders resolved by
// pay.query in batches of 50 (oldest first, young ones left alone), the run's time budget, and the
// PendingOlderThan15m gauge — published after every run, even a failing one; and the batching with a scripted platform.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { createPaymentService, type PaymentInput, type PaymentService } from '../../lib/ledger/payments.js';
import { PENDING_OLDER_THAN_15M_METRIC, settlePendingOrders } from '../../lib/ledger/settler.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import { createRuntime, type Runtime } from '../../lib/runtime.js';
import { createStaticSource } from '../../lib/secrets/index.js';
import { ensureTables } from '../../lib/tables.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { PlatformTimeoutError } from '../../lib/platform/errors.js';
import { FakePlatform } from './fake-platform.js';

const PAY_METHOD = 'synjones.onecard.gdccard.pay';
const PAY_QUERY_METHOD = 'synjones.onecard.pay.query';
const MINUTE = 60_000;

let dynamo: TestDynamo;
let sandbox: TestSandbox;
let runtime: Runtime;
/** One clock for the gateway and the platform, moved forward by the tests (the sandbox checks request times). */
let offsetMs = 0;
const now = (): Date => new Date(Date.now() + offsetMs);

const logs: string[] = [];

beforeAll(async () => {
  setLogSink((line) => logs.push(line));
  dynamo = await startDynalite();
  sandbox = await startTestSandbox({ now });
  runtime = await createRuntime({
    config: {
      ...loadConfig({}),
      apiUrl: sandbox.url,
      billUrl: sandbox.billUrl,
      tokenTable: dynamo.tables.tokenTable,
      ledgerTable: dynamo.tables.ledgerTable,
      platformTimeoutMs: 2_000,
    },
    credentials: createStaticSource(sandbox.secret, { requirePlatformKey: true }),
    dynamo: dynamo.client,
    now,
  });
});
afterAll(async () => {
  await sandbox?.close();
  await dynamo?.close();
  setLogSink(undefined);
});

let tableCounter = 0;
/** A ledger of its own per test, so each run's gauge sees only that test's orders. */
async function freshLedger(): Promise<{ ledger: LedgerStore; payments: PaymentService }> {
  tableCounter += 1;
  const ledgerTable = `settler-ledger-${tableCounter}`;
  await ensureTables(dynamo.client, { tokenTable: dynamo.tables.tokenTable, ledgerTable });
  const ledger = createLedgerStore({ client: dynamo.client, tableName: ledgerTable });
  return { ledger, payments: createPaymentService({ ledger, platform: runtime.platform, now }) };
}

const payCalls = (method: string): number => sandbox.state.calls.filter((call) => call.method === method).length;

function metricSink(): { published: [string, number][]; publish: (name: string, value: number) => void } {
  const published: [string, number][] = [];
  return { published, publish: (name, value) => published.push([name, value]) };
}

describe('settlePendingOrders', () => {
  it('resolves old PENDING orders with one pay.query, leaves young ones alone, and gauges what stays PENDING', async () => {
    const { ledger, payments } = await freshLedger();
    const pay = (orderNo: string) => payments.pay({ orderNo, account: '32718', acctype: '###', mercacc: '1001', amountFen: 150 });
    const balanceBefore = sandbox.state.balanceFen('32718');

    // Paid on the platform, answer lost.
    sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: [PAY_METHOD] });
    expect((await pay('st-paid')).status).toBe('PENDING');
    // Never processed by the platform (plain-text answer): pay.query will say 78.
    sandbox.faults.inject({ type: 'gbkText' }, { methods: [PAY_METHOD] });
    expect((await pay('st-never')).status).toBe('PENDING');
    // Paid, but the platform still reports it as processing (20).
    sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: [PAY_METHOD] });
    expect((await pay('st-processing')).status).toBe('PENDING');
    sandbox.state.setOrderStatus('st-processing', '20');

    offsetMs += 16 * MINUTE;
    sandbox.faults.inject({ type: 'gbkText' }, { methods: [PAY_METHOD] });
    expect((await pay('st-young')).status).toBe('PENDING');

    const queriesBefore = payCalls(PAY_QUERY_METHOD);
    const metrics = metricSink();
    const report = await settlePendingOrders({ payments, ledger, now, publishMetric: metrics.publish });

    expect(report).toMatchObject({ examined: 3, succeeded: 1, failed: 1, stillPending: 1, queryErrors: 0, complete: true });
    expect(report.overdue).toBe(1);
    expect(report.overdueOrderNos).toEqual(['st-processing']);
    expect(metrics.published).toEqual([[PENDING_OLDER_THAN_15M_METRIC, 1]]);
    expect(payCalls(PAY_QUERY_METHOD) - queriesBefore).toBe(1);

    const paid = await ledger.get('st-paid');
    expect(paid).toMatchObject({ status: 'SUCCESS', outId: sandbox.state.order('st-paid')?.outId });
    expect(await ledger.get('st-never')).toMatchObject({ status: 'FAILED', error: { code: 'ORDER_STATUS_78' } });
    expect((await ledger.get('st-processing'))?.status).toBe('PENDING');
    expect((await ledger.get('st-young'))?.status).toBe('PENDING');
    // Exactly the two committed payments moved money, once each.
    expect(sandbox.state.balanceFen('32718')).toBe(balanceBefore - 300);

    // Once the platform finishes, the next run settles it and the gauge drops to 0; the young order is
    // now old enough to be queried (the platform never had it: FAILED).
    sandbox.state.setOrderStatus('st-processing', '60');
    offsetMs += 2 * MINUTE;
    const next = metricSink();
    const second = await settlePendingOrders({ payments, ledger, now, publishMetric: next.publish });
    expect(second).toMatchObject({ examined: 2, succeeded: 1, failed: 1, stillPending: 0, overdue: 0, overdueOrderNos: [] });
    expect(next.published).toEqual([[PENDING_OLDER_THAN_15M_METRIC, 0]]);
    expect(await ledger.get('st-young')).toMatchObject({ status: 'FAILED' });
  });

  it('a failed pay.query leaves the batch PENDING and counts it, without failing the run', async () => {
    const { ledger, payments } = await freshLedger();
    await ledger.createPending(
      { orderNo: 'st-busy', type: 'PAYMENT', account: '32718', acctype: '###', mercacc: '1001', amountFen: 100, requestHash: 'h' },
      new Date(now().getTime() - 20 * MINUTE),
    );
    sandbox.faults.inject({ type: 'busy' }, { methods: [PAY_QUERY_METHOD] });
    const metrics = metricSink();
    const report = await settlePendingOrders({ payments, ledger, now, publishMetric: metrics.publish });
    expect(report).toMatchObject({ examined: 1, stillPending: 1, queryErrors: 1, overdue: 1, overdueOrderNos: ['st-busy'] });
    expect(metrics.published).toEqual([[PENDING_OLDER_THAN_15M_METRIC, 1]]);
    expect(await ledger.get('st-busy')).toMatchObject({ status: 'PENDING', lastError: { code: expect.stringMatching(/BUSY/) } });
  });

  it('queries 50 orders per pay.query, oldest first, and starts no batch once the time budget is spent', async () => {
    const { ledger, payments } = await freshLedger();
    const start = now().getTime() - 10 * MINUTE;
    const orderNos = Array.from({ length: 120 }, (_, index) => `st-bulk-${String(index).padStart(3, '0')}`);
    for (const [index, orderNo] of orderNos.entries()) {
      await ledger.createPending(
        { orderNo, type: 'PAYMENT', account: '32718', acctype: '###', mercacc: '1001', amountFen: 100, requestHash: 'h' },
        new Date(start + index * 1000),
      );
    }
    const batches: string[][] = [];
    const counting: Pick<PaymentService, 'resolvePending'> = {
      resolvePending: (batch) => {
        batches.push([...batch]);
        return payments.resolvePending(batch);
      },
    };
    // Plenty of time for two batches, then under the reserve.
    const first = await settlePendingOrders({
      payments: counting,
      ledger,
      now,
      remainingMs: () => (batches.length < 2 ? 90_000 : 20_000),
      reserveMs: 30_000,
    });
    expect(first).toMatchObject({ complete: false, examined: 100, failed: 100 });
    expect(batches.map((batch) => batch.length)).toEqual([50, 50]);
    expect(batches.flat()).toEqual(orderNos.slice(0, 100));

    const second = await settlePendingOrders({ payments: counting, ledger, now, remainingMs: () => 90_000, reserveMs: 30_000 });
    expect(second).toMatchObject({ complete: true, examined: 20, failed: 20, overdue: 0 });
    expect(batches.map((batch) => batch.length)).toEqual([50, 50, 20]);
    expect(batches[2]).toEqual(orderNos.slice(100));
  });

  it('publishes the gauge even when the sweep fails, then reports the failure', async () => {
    const { ledger } = await freshLedger();
    await ledger.createPending(
      { orderNo: 'st-stuck', type: 'PAYMENT', account: '32718', acctype: '###', mercacc: '1001', amountFen: 100, requestHash: 'h' },
      new Date(now().getTime() - 30 * MINUTE),
    );
    const metrics = metricSink();
    const broken: Pick<PaymentService, 'resolvePending'> = {
      resolvePending: () => Promise.reject(new Error('ledger write failed')),
    };
    await expect(settlePendingOrders({ payments: broken, ledger, now, publishMetric: metrics.publish })).rejects.toThrow(
      'ledger write failed',
    );
    expect(metrics.published).toEqual([[PENDING_OLDER_THAN_15M_METRIC, 1]]);
  });
});

describe('settlePendingOrders with a scripted platform', () => {
  let orderCounter = 0;
  const payInput = (): PaymentInput => {
    orderCounter += 1;
    return { orderNo: `SP${Date.now().toString(36)}${orderCounter}`, account: '1001', acctype: '###', mercacc: '9001', amountFen: 1000 };
  };

  it('resolves every PENDING order with pay.query in batches of at most 50', async () => {
    const own = await startDynalite();
    try {
      const ledger = createLedgerStore({ client: own.client, tableName: own.tables.ledgerTable });
      const platform = new FakePlatform();
      const service = createPaymentService({ ledger, platform, notFoundGraceMs: 0 });
      const inputs = Array.from({ length: 75 }, () => payInput());
      for (const [i, input] of inputs.entries()) {
        platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: i % 3 !== 0 });
      }
      await Promise.all(inputs.map((input) => service.pay(input)));
      await service.pay(payInput()); // one settled order the settler must not touch
      platform.queryCalls.length = 0;

      const { complete, overdue, overdueOrderNos, ...summary } = await settlePendingOrders({ payments: service, ledger, olderThanMs: 0 });
      expect(complete).toBe(true);
      expect(summary).toEqual({ examined: 75, succeeded: 50, failed: 25, stillPending: 0, queryErrors: 0 });
      expect(platform.queryCalls.map((call) => call.length)).toEqual([50, 25]);
      for (const input of inputs) {
        expect((await ledger.get(input.orderNo))?.status).toBe(platform.orders.has(input.orderNo) ? 'SUCCESS' : 'FAILED');
      }
      expect(await settlePendingOrders({ payments: service, ledger, olderThanMs: 0 })).toMatchObject({ examined: 0 });
      expect([overdue, overdueOrderNos]).toEqual([0, []]);
    } finally {
      await own.close();
    }
  });
});
