// A container without configuration answers 500 INTERNAL with a generic message (the log names
// the missing setting), and validation still answers 400 without touching the runtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/pay.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';

const logs: string[] = [];
beforeAll(() => setLogSink((line) => logs.push(line)));
afterAll(() => setLogSink(undefined));

describe('an unconfigured container', () => {
  it('400 for a bad body, 500 INTERNAL (generic message, cause in the log) for a valid one', async () => {
    const bad = await handler(apiEvent({ resource: '/v1/payments', body: { order_no: 'x' } }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    const result = await handler(
      apiEvent({ resource: '/v1/payments', body: { order_no: 'cfg-1', account: '1', tranamt: '1', mercacc: '1' }, headers: { 'x-request-id': 'cfg' } }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(500);
    const { error } = JSON.parse(result.body) as { error: { code: string; message: string } };
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toContain('SYNJONES');
    const failure = logs.map((line) => JSON.parse(line) as Record<string, any>).find((entry) => entry.request_id === 'cfg' && entry.level === 'ERROR');
    expect(failure?.error?.message).toContain('SYNJONES_API_URL');
  });
});
