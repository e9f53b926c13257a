// functions/pay.ts with an API Gateway event: SUCCESS 200, replay, conflict 409, refusal 422,
// unknown outcome 202; one debit at the platform.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/pay.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const pay = (body: unknown, headers?: Record<string, string>) =>
  handler(apiEvent({ resource: '/v1/payments', body, ...(headers ? { headers } : {}) }), lambdaContext());

describe('POST /v1/payments', () => {
  it('pays once: 200 with out_id and yuan strings; a replay returns the stored result', async () => {
    const before = harness.sandbox.state.balanceFen('32718');
    const body = { order_no: 'fn-pay-1', account: '32718', tranamt: 12.5, mercacc: '1001', remark: 'lunch', termid: 7 };
    const first = await pay(body, { 'x-request-id': 'req-pay-1' });
    expect(first.statusCode).toBe(200);
    expect(first.headers?.['x-request-id']).toBe('req-pay-1');
    const order = json(first);
    expect(order).toMatchObject({ order_no: 'fn-pay-1', type: 'PAYMENT', status: 'SUCCESS', tranamt: '12.50', acctype: '###', refunded: '0.00' });
    expect(order.out_id).toBeTruthy();
    expect(order.created_at).toMatch(/\+08:00$/);
    const replay = await pay({ ...body, tranamt: '12.50' });
    expect(replay.statusCode).toBe(200);
    expect(json(replay)).toEqual(order);
    expect(harness.sandbox.state.balanceFen('32718')).toBe(before - 1250);
  });

  it('409 for the same order_no with other parameters', async () => {
    const result = await pay({ order_no: 'fn-pay-1', account: '32718', tranamt: '13.00', mercacc: '1001' });
    expect(result.statusCode).toBe(409);
    expect(json(result).error).toMatchObject({ code: 'ORDER_CONFLICT', retryable: false });
  });

  it('422 FAILED with the business code when the platform refuses', async () => {
    const result = await pay({ order_no: 'fn-pay-poor', account: '32720', tranamt: '1.00', mercacc: '1001' });
    expect(result.statusCode).toBe(422);
    expect(json(result)).toMatchObject({ status: 'FAILED', error: { code: '60010', retryable: false } });
  });

  it('202 PENDING when the connection drops after the platform committed', async () => {
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    const result = await pay({ order_no: 'fn-pay-drop', account: '32719', tranamt: '2.00', mercacc: '1001' });
    expect(result.statusCode).toBe(202);
    expect(json(result).status).toBe('PENDING');
    expect(harness.sandbox.state.order('fn-pay-drop')?.status).toBe('60');
  });

  it('400 naming the field, before any platform call', async () => {
    const calls = harness.sandbox.state.calls.length;
    const result = await pay({ order_no: 'fn-pay-bad', account: '32718', tranamt: '1.001', mercacc: '1001' });
    expect(result.statusCode).toBe(400);
    expect(json(result).error.message).toMatch(/^tranamt: /);
    expect(harness.sandbox.state.calls.length).toBe(calls);
  });
});
