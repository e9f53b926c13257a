// functions/pay-query.ts as the settlement schedule ({"kind":"settle-pending"}): old PENDING orders resolved
// against the sandbox, PendingOlderThan15m published as EMF with only the `service` dimension (what the
// alarm in infra/ matches), and API Gateway events never mistaken for the schedule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler as payHandler } from '../../functions/pay.js';
import { handler } from '../../functions/pay-query.js';
import { setMetricsOutput } from '../../lib/observability/metrics.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

const MINUTE = 60_000;
const PAY_METHOD = 'synjones.onecard.gdccard.pay';
const PAY_QUERY_METHOD = 'synjones.onecard.pay.query';

let harness: Harness;
const emf: string[] = [];
/** The gateway's and the platform's shared clock, moved forward by the test. */
let offsetMs = 0;
const now = (): Date => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  setMetricsOutput((line) => emf.push(line));
  harness = await startHarness({ sandbox: { now }, runtime: { now } });
});
afterAll(async () => {
  setMetricsOutput(undefined);
  await harness.close();
});

const pay = (orderNo: string) =>
  payHandler(apiEvent({ resource: '/v1/payments', body: { order_no: orderNo, account: '32719', tranamt: '2.00', mercacc: '1001' } }), lambdaContext());
const get = (orderNo: string) =>
  handler(
    apiEvent({ method: 'GET', resource: '/v1/payments/{order_no}', path: `/v1/payments/${orderNo}`, pathParameters: { order_no: orderNo } }),
    lambdaContext(),
  );

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}
const documentsWith = (metricName: string): EmfDocument[] =>
  emf.map((line) => JSON.parse(line) as EmfDocument).filter((doc) => doc._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === metricName)));

describe('scheduled settle-pending', () => {
  it('settles old PENDING orders with pay.query and publishes PendingOlderThan15m with only the service dimension', async () => {
    const balanceBefore = harness.sandbox.state.balanceFen('32719');
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: [PAY_METHOD] });
    expect((await pay('fn-s-paid')).statusCode).toBe(202);
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: [PAY_METHOD] });
    expect((await pay('fn-s-processing')).statusCode).toBe(202);
    harness.sandbox.state.setOrderStatus('fn-s-processing', '20');
    offsetMs += 16 * MINUTE;

    const queries = harness.sandbox.state.calls.filter((call) => call.method === PAY_QUERY_METHOD).length;
    const report = await handler({ kind: 'settle-pending' }, lambdaContext());
    expect(report).toMatchObject({ examined: 2, succeeded: 1, stillPending: 1, complete: true, overdue: 1, overdueOrderNos: ['fn-s-processing'] });
    expect(harness.sandbox.state.calls.filter((call) => call.method === PAY_QUERY_METHOD).length - queries).toBe(1);
    expect(harness.sandbox.state.balanceFen('32719')).toBe(balanceBefore - 400);

    const gauges = documentsWith('PendingOlderThan15m');
    expect(gauges).toHaveLength(1);
    const gauge = gauges[0]!;
    expect(gauge._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'OnecardGateway', Dimensions: [['service']], Metrics: [{ Name: 'PendingOlderThan15m', Unit: 'Count' }] },
    ]);
    expect(gauge.service).toBe('onecard-gateway');
    expect(gauge.PendingOlderThan15m).toBe(1);
    expect(gauge).not.toHaveProperty('function');

    const done = harness.logs.find((line) => line.includes('scheduled run done') && line.includes('"function":"settle-pending"'));
    expect(done).toBeDefined();
    expect(JSON.parse(done!)).toMatchObject({ examined: 2, succeeded: 1, overdue: 1 });

    // The settled order is served from the ledger without asking the platform again.
    const before = harness.sandbox.state.calls.length;
    const paid = await get('fn-s-paid');
    expect(json(paid)).toMatchObject({ status: 'SUCCESS', tranamt: '2.00' });
    expect(harness.sandbox.state.calls.length).toBe(before);

    // Once the platform has finished, the next run clears the gauge.
    harness.sandbox.state.setOrderStatus('fn-s-processing', '60');
    expect(await handler({ kind: 'settle-pending' }, lambdaContext())).toMatchObject({ succeeded: 1, overdue: 0 });
    expect(documentsWith('PendingOlderThan15m').map((doc) => doc.PendingOlderThan15m)).toEqual([1, 0]);
  });

  it('an API Gateway event is never taken for the schedule, whatever it carries', async () => {
    const event = {
      ...apiEvent({ method: 'GET', resource: '/v1/payments/{order_no}', path: '/v1/payments/fn-s-paid', pathParameters: { order_no: 'fn-s-paid' } }),
      kind: 'settle-pending',
    } as APIGatewayProxyEvent;
    const result = await handler(event, lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(json(result).order_no).toBe('fn-s-paid');
    const malformed = await handler(null as unknown as APIGatewayProxyEvent, lambdaContext());
    expect(malformed.statusCode).toBeGreaterThanOrEqual(400);
  });
});
