// functions/down-bill.ts: a day's bill with its reconciliation, served from the archive once the
// day is over, and the daily scheduled run.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/down-bill.js';
import { handler as payHandler } from '../../functions/pay.js';
import { setMetricsOutput } from '../../lib/observability/metrics.js';
import { ValidationError } from '../../lib/errors.js';
import { ExceptionKind } from '../../lib/reconciliation/exceptions.js';
import { getReconciliationService } from '../../lib/reconciliation-runtime.js';
import { createExceptionStore } from '../../lib/reconciliation/store.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { getRuntime } from '../../lib/runtime.js';
import { sandboxCall } from '../support/sandbox.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const bill = (billDate: string, query: Record<string, string> | null = null) =>
  handler(
    apiEvent({ method: 'GET', resource: '/v1/bills/{bill_date}', path: `/v1/bills/${billDate}`, pathParameters: { bill_date: billDate }, query }),
    lambdaContext(),
  ) as Promise<{ statusCode: number; body: string; headers?: Record<string, string> }>;

describe('GET /v1/bills/{bill_date}', () => {
  it('today: the platform bill, reconciled against the ledger (crypt_type 0 and 1 alike)', async () => {
    const paid = await payHandler(
      apiEvent({ resource: '/v1/payments', body: { order_no: 'fn-bill-1', account: '32718', tranamt: '3.30', mercacc: '1001', attach: 'a,b' } }),
      lambdaContext(),
    );
    expect(paid.statusCode).toBe(200);
    const today = chinaDate();
    for (const crypt_type of ['0', '1']) {
      const result = await bill(today, { crypt_type });
      expect(result.statusCode).toBe(200);
      const body = json(result);
      expect(body).toMatchObject({ bill_date: today, bill_type: 'ALL', count: 1, total: '3.30' });
      expect(body.rows[0]).toMatchObject({ order_no: 'fn-bill-1', tranamt: '3.30', attach: 'a,b', trade_type: '01', order_status: '60' });
      expect(body.rows[0].trade_time).toMatch(/\+08:00$/);
      expect(body.reconciliation).toEqual({
        matched: 1,
        settled: 0,
        missing_local: [],
        missing_remote: [],
        mismatched: [],
        pending: [],
        counts: { missing_local: 0, missing_remote: 0, mismatched: 0, pending: 0 },
      });
    }
  });

  it('a past day is archived and then served without calling the platform', async () => {
    const day = '20260101';
    const first = await bill(day);
    const calls = harness.sandbox.state.calls.length;
    const second = await bill(day);
    expect(first.statusCode).toBe(200);
    expect(json(first)).toMatchObject({ bill_date: day, count: 0, total: '0.00', rows: [] });
    expect(second.statusCode).toBe(200);
    expect(json(second)).toEqual(json(first));
    expect(harness.sandbox.state.calls.length).toBe(calls);
    expect(await readdir(`${harness.billDir}/raw/2026/01/01`)).toEqual(['ALL.txt']);
  });

  it.each([['20260230'], ['2026011'], ['tomorrow']])('400 for bill_date %s', async (billDate) => {
    const result = await bill(billDate);
    expect(result.statusCode).toBe(400);
    expect(json(result).error.message).toMatch(/^bill_date: /);
  });

  it('400 for a bad bill_type or an unknown query parameter', async () => {
    expect((await bill(chinaDate(), { bill_type: 'NONE' })).statusCode).toBe(400);
    const unknown = await bill(chinaDate(), { foo: '1' });
    expect(unknown.statusCode).toBe(400);
    expect(json(unknown).error.message).toContain('query.foo');
  });
});

describe('scheduled daily bill', () => {
  it('fetches yesterday (China date) and reports counts', async () => {
    const result = (await handler({ kind: 'daily-bill' }, lambdaContext())) as { billDate: string; count: number };
    const yesterday = chinaDate(new Date(Date.now() - 86_400_000));
    expect(result.billDate).toBe(yesterday);
    expect(typeof result.count).toBe('number');
  });
});

describe('scheduled daily bill: settling and ReconciliationMismatches', () => {
  const emf: string[] = [];
  beforeAll(() => setMetricsOutput((line) => emf.push(line)));
  afterAll(() => setMetricsOutput(undefined));

  it('settles a PENDING order the bill proves paid (no pay.query) and publishes the bill\'s differences', async () => {
    // Paid on the platform, answer lost: PENDING in the ledger.
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    const dropped = await payHandler(
      apiEvent({ resource: '/v1/payments', body: { order_no: 'fn-bill-drop', account: '32718', tranamt: '4.40', mercacc: '1001' } }),
      lambdaContext(),
    );
    expect(dropped.statusCode).toBe(202);
    // A payment made past the gateway: in the bill, not in the ledger (missing_local).
    const token = harness.sandbox.state.currentToken?.value;
    expect(token).toBeTruthy();
    const direct = await sandboxCall(
      harness.sandbox,
      'pay',
      { account: '32718', tranamt: '1.10', acctype: '###', mercacc: '1001', order_no: 'fn-bill-direct', remark: '', attach: '' },
      { accessToken: token! },
    );
    expect(direct.root?.retcode).toBe('0');

    const queries = harness.sandbox.state.calls.filter((call) => call.method === 'synjones.onecard.pay.query').length;
    const today = chinaDate();
    const result = await handler({ kind: 'daily-bill', bill_date: today }, lambdaContext());
    expect(result).toMatchObject({ billDate: today, settled: 1, missingLocal: 1, missingRemote: 0, mismatched: 0 });
    const { ledger } = await getRuntime();
    expect(await ledger.get('fn-bill-drop')).toMatchObject({ status: 'SUCCESS', outId: harness.sandbox.state.order('fn-bill-drop')?.outId });
    // The bill is the proof: no pay.query was needed.
    expect(harness.sandbox.state.calls.filter((call) => call.method === 'synjones.onecard.pay.query').length).toBe(queries);

    const documents = emf
      .map((line) => JSON.parse(line) as Record<string, any>)
      .filter((doc) => 'ReconciliationMismatches' in doc);
    expect(documents).toHaveLength(1);
    expect(documents[0]!._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'OnecardGateway', Dimensions: [['service']], Metrics: [{ Name: 'ReconciliationMismatches', Unit: 'Count' }] },
    ]);
    expect(documents[0]).toMatchObject({ service: 'onecard-gateway', ReconciliationMismatches: 1 });
    expect(documents[0]).not.toHaveProperty('function');

    // The API route reports the same reconciliation, now with the settled order matched.
    const body = json(await bill(today));
    expect(body.reconciliation.missing_local).toEqual(['fn-bill-direct']);
    expect(body.reconciliation.mismatched).toEqual([]);
    expect(body.rows.map((row: { order_no: string }) => row.order_no)).toContain('fn-bill-drop');
  });

  it('rejects a malformed bill_date in the scheduled payload', async () => {
    await expect(handler({ kind: 'daily-bill', bill_date: '2026-11-26' }, lambdaContext())).rejects.toThrow(ValidationError);
    expect(harness.logs.some((line) => line.includes('scheduled run failed') && line.includes('bill_date'))).toBe(true);
  });
});

describe('scheduled daily bill: the OpenReconciliationExceptions gauge, whatever the download did', () => {
  const emf: string[] = [];
  beforeAll(() => setMetricsOutput((line) => emf.push(line)));
  afterAll(() => setMetricsOutput(undefined));
  const gauge = (): number[] =>
    emf.flatMap((line) => {
      const doc = JSON.parse(line) as Record<string, unknown>;
      return typeof doc.OpenReconciliationExceptions === 'number' ? [doc.OpenReconciliationExceptions] : [];
    });
  const DAY = '20260301';

  beforeAll(async () => {
    // An exception left open by an earlier day's run.
    const store = createExceptionStore({ client: harness.dynamo.client, tableName: harness.dynamo.tables.exceptionsTable });
    await store.record({ billDate: '20260228', orderNo: 'fn-open-1', kind: ExceptionKind.MISSING_REMOTE, ledger: 'SUCCESS', bill: '(none)', mercacc: ['1001'] }, new Date());
  });

  it('a run whose download fails (the platform down) still publishes the count, and fails with its own error', async () => {
    const open = await (await getReconciliationService(harness.scope)).countOpen();
    expect(open).toBeGreaterThanOrEqual(1);
    emf.length = 0;
    harness.sandbox.faults.inject({ type: 'busy' }, { methods: ['synjones.onecard.down.bill'], times: 50 });
    try {
      await expect(handler({ kind: 'daily-bill', bill_date: DAY }, lambdaContext())).rejects.toThrow();
    } finally {
      harness.sandbox.faults.clear();
    }
    expect(gauge()).toEqual([open]);
  });

  it('a count that fails too does not hide the download\'s error (logged, the run\'s error thrown)', async () => {
    emf.length = 0;
    const failCount = 'failOpenCount';
    harness.dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string; Select?: string };
        if (context.commandName === 'QueryCommand' && input.Select === 'COUNT') throw new Error('count unavailable');
        return next(args);
      },
      { step: 'initialize', name: failCount },
    );
    harness.sandbox.faults.inject({ type: 'busy' }, { methods: ['synjones.onecard.down.bill'], times: 50 });
    let thrown: unknown;
    try {
      await handler({ kind: 'daily-bill', bill_date: DAY }, lambdaContext());
    } catch (error) {
      thrown = error;
    } finally {
      harness.sandbox.faults.clear();
      harness.dynamo.client.middlewareStack.remove(failCount);
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).not.toContain('count unavailable');
    expect(gauge()).toEqual([]);
    expect(harness.logs.some((line) => line.includes('OpenReconciliationExceptions not published') && line.includes('count unavailable'))).toBe(true);
  });

  it('a run that succeeds publishes the count once', async () => {
    emf.length = 0;
    await handler({ kind: 'daily-bill', bill_date: DAY }, lambdaContext());
    expect(gauge()).toEqual([await (await getReconciliationService(harness.scope)).countOpen()]);
  });
});
