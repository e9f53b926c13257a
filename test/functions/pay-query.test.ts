// functions/pay-query.ts: the ledger's record (PENDING resolved by pay.query) and pay.query itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as payHandler } from '../../functions/pay.js';
import { handler } from '../../functions/pay-query.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const get = (orderNo: string) =>
  handler(
    apiEvent({ method: 'GET', resource: '/v1/payments/{order_no}', path: `/v1/payments/${orderNo}`, pathParameters: { order_no: orderNo } }),
    lambdaContext(),
  );
const pay = (orderNo: string) =>
  payHandler(apiEvent({ resource: '/v1/payments', body: { order_no: orderNo, account: '32719', tranamt: '1.25', mercacc: '1001' } }), lambdaContext());

describe('GET /v1/payments/{order_no}', () => {
  it('404 for an order the ledger does not have', async () => {
    const result = await get('fn-q-none');
    expect(result.statusCode).toBe(404);
    expect(json(result).error.code).toBe('NOT_FOUND');
  });

  it('a PENDING order (dropped after commit) is resolved to SUCCESS with exactly one debit', async () => {
    const before = harness.sandbox.state.balanceFen('32719');
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    expect((await pay('fn-q-drop')).statusCode).toBe(202);
    const result = await get('fn-q-drop');
    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({ status: 'SUCCESS', tranamt: '1.25' });
    expect(harness.sandbox.state.balanceFen('32719')).toBe(before - 125);
  });

  it('400 for a malformed order_no', async () => {
    const result = await get('bad order');
    expect(result.statusCode).toBe(400);
  });
});

describe('POST /v1/payments/query', () => {
  it('answers per order with order_status and status', async () => {
    expect((await pay('fn-q-paid')).statusCode).toBe(200);
    const result = await handler(
      apiEvent({
        resource: '/v1/payments/query',
        body: { queries: [{ account: '32719', order_no: 'fn-q-paid' }, { account: '32719', order_no: 'fn-q-never' }] },
      }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(200);
    const { results } = json(result);
    expect(results[0]).toMatchObject({ order_no: 'fn-q-paid', order_status: '60', status: 'SUCCESS', tranamt: '1.25', acctype: '###' });
    expect(results[1]).toMatchObject({ order_no: 'fn-q-never', order_status: '78', status: 'NOT_FOUND' });
  });

  it('400 for 51 queries', async () => {
    const queries = Array.from({ length: 51 }, (_, index) => ({ account: '32719', order_no: `o${index}` }));
    const result = await handler(apiEvent({ resource: '/v1/payments/query', body: { queries } }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(json(result).error.message).toContain('queries');
  });
});
