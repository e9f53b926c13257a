// functions/refund.ts: a refund of a SUCCESS payment, never beyond it; 422 for an unpaid original.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as payHandler } from '../../functions/pay.js';
import { handler } from '../../functions/refund.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
  const paid = await payHandler(
    apiEvent({ resource: '/v1/payments', body: { order_no: 'fn-ref-pay', account: '32718', tranamt: '10.00', mercacc: '1001' } }),
    lambdaContext(),
  );
  expect(paid.statusCode).toBe(200);
});
afterAll(() => harness.close());

const refund = (body: Record<string, unknown>) =>
  handler(
    apiEvent({ resource: '/v1/refunds', body: { refund_order_no: 'fn-ref-pay', account: '32718', mercacc: '1001', ...body } }),
    lambdaContext(),
  );

describe('POST /v1/refunds', () => {
  it('refunds part of a payment', async () => {
    const result = await refund({ order_no: 'fn-ref-1', tranamt: '4' });
    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({ type: 'REFUND', status: 'SUCCESS', tranamt: '4.00', refund_order_no: 'fn-ref-pay' });
  });

  it('422 REFUND_EXCEEDS_PAYMENT beyond what is left', async () => {
    const result = await refund({ order_no: 'fn-ref-2', tranamt: '6.01' });
    expect(result.statusCode).toBe(422);
    expect(json(result).error.code).toBe('REFUND_EXCEEDS_PAYMENT');
  });

  it('422 ORIGINAL_NOT_PAID for an unknown original', async () => {
    const result = await refund({ order_no: 'fn-ref-3', refund_order_no: 'nope', tranamt: '1' });
    expect(result.statusCode).toBe(422);
    expect(json(result).error.code).toBe('ORIGINAL_NOT_PAID');
  });
});
