// The shared chain: request id on every response, JSON body limits, validation naming the
// field, error mapping, and no 5xx for anything a client can send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { httpHandler } from '../../lib/adapter/http-handler.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { BusinessError, PlatformBusyError } from '../../lib/protocol/errors.js';
import { apiEvent, lambdaContext } from './events.js';

const logs: string[] = [];
beforeAll(() => setLogSink((line) => logs.push(line)));
afterAll(() => setLogSink(undefined));

const seen: unknown[] = [];
const pay = httpHandler({
  name: 'test-pay',
  routes: {
    'POST /v1/payments': async ({ body, requestId }) => {
      seen.push(body);
      if (body.order_no === 'busy') throw new PlatformBusyError('-1');
      if (body.order_no === 'refused') throw new BusinessError('60010', '余额不足');
      if (body.order_no === 'bug') throw new TypeError('secret internals');
      return { statusCode: 200, body: { ok: true, tranamt: body.tranamt, requestId } };
    },
  },
});

const valid = { order_no: 'P1', account: '32718', tranamt: '1.50', mercacc: '1001' };
const call = (input: Parameters<typeof apiEvent>[0]): Promise<APIGatewayProxyResult> => pay(apiEvent(input), lambdaContext());
const errorOf = (result: APIGatewayProxyResult): { code: string; message: string; retryable: boolean } =>
  (JSON.parse(result.body) as { error: { code: string; message: string; retryable: boolean } }).error;

describe('request id', () => {
  it('echoes a valid x-request-id header in any case', async () => {
    const result = await call({ resource: '/v1/payments', body: valid, headers: { 'X-Request-Id': 'abc-123' } });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['x-request-id']).toBe('abc-123');
    expect(JSON.parse(result.body).requestId).toBe('abc-123');
  });

  it('falls back to API Gateway’s request id when the header is malformed, also on errors', async () => {
    const result = await call({ resource: '/v1/payments', rawBody: '{', headers: { 'x-request-id': 'bad id with spaces' }, requestId: 'gw-1' });
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['x-request-id']).toBe('gw-1');
  });
});

describe('body', () => {
  it.each([
    ['missing', null, 'request body is required'],
    ['blank', '   ', 'request body is required'],
    ['not JSON', '{"order_no":', 'not valid JSON'],
    ['an array', '[]', 'body'],
    ['a string', '"x"', 'body'],
  ])('%s → 400', async (_name, rawBody, message) => {
    const result = await call({ resource: '/v1/payments', rawBody });
    expect(result.statusCode).toBe(400);
    expect(errorOf(result)).toMatchObject({ code: 'VALIDATION', retryable: false });
    expect(errorOf(result).message).toContain(message);
  });

  it('over 16 KB → 400 too large (plain and base64)', async () => {
    const big = JSON.stringify({ ...valid, remark: 'x'.repeat(17_000) });
    for (const base64 of [false, true]) {
      const result = await call({ resource: '/v1/payments', rawBody: big, base64 });
      expect(result.statusCode).toBe(400);
      expect(errorOf(result).message).toContain('too large');
    }
  });

  it('a base64-encoded body is decoded', async () => {
    const result = await call({ resource: '/v1/payments', body: valid, base64: true });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).tranamt).toBe(150);
  });

  it('invalid UTF-8 in a base64 body → 400', async () => {
    const event = apiEvent({ resource: '/v1/payments', rawBody: null });
    event.body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    event.isBase64Encoded = true;
    const result = await pay(event, lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).message).toContain('UTF-8');
  });
});

describe('validation and errors', () => {
  it('names the field', async () => {
    const result = await call({ resource: '/v1/payments', body: { ...valid, tranamt: '1.505' } });
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).message).toMatch(/^tranamt: /);
    const unknown = await call({ resource: '/v1/payments', body: { ...valid, amount: 1 } });
    expect(errorOf(unknown).message).toBe('unknown field: "amount"');
  });

  it('maps errors thrown by the use case', async () => {
    const busy = await call({ resource: '/v1/payments', body: { ...valid, order_no: 'busy' } });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers?.['retry-after']).toBe('2');
    expect(busy.headers?.['x-request-id']).toBeDefined();
    const refused = await call({ resource: '/v1/payments', body: { ...valid, order_no: 'refused' } });
    expect(refused.statusCode).toBe(422);
    expect(errorOf(refused).code).toBe('60010');
    const bug = await call({ resource: '/v1/payments', body: { ...valid, order_no: 'bug' } });
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('secret internals');
  });

  it('logs one line per request and one per outcome, with the request id', async () => {
    logs.length = 0;
    await call({ resource: '/v1/payments', body: valid, headers: { 'x-request-id': 'log-check' } });
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.request_id === 'log-check');
    expect(entries.map((entry) => entry.message)).toEqual(['request', 'request done']);
    expect(entries[1]).toMatchObject({ status: 200, outcome: 'ok', function: 'test-pay' });
  });
});

describe('several routes in one handler', () => {
  const handler = httpHandler({
    name: 'multi',
    routes: {
      'GET /v1/payments/{order_no}': async ({ params }) => ({ statusCode: 200, body: params }),
      'POST /v1/payments': async ({ body }) => ({ statusCode: 201, body: { fen: body.tranamt } }),
    },
  });

  it('dispatches on method and resource, validating path parameters', async () => {
    const get = await handler(apiEvent({ method: 'GET', resource: '/v1/payments/{order_no}', pathParameters: { order_no: 'P-1' } }), lambdaContext());
    expect(JSON.parse(get.body)).toEqual({ order_no: 'P-1' });
    const bad = await handler(apiEvent({ method: 'GET', resource: '/v1/payments/{order_no}', pathParameters: { order_no: 'P 1' } }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).message).toMatch(/^order_no: /);
    const post = await handler(apiEvent({ resource: '/v1/payments', body: valid }), lambdaContext());
    expect(post.statusCode).toBe(201);
    const none = await handler(apiEvent({ method: 'PUT', resource: '/v1/other' }), lambdaContext());
    expect(none.statusCode).toBe(404);
  });
});

describe('fuzz: malformed bodies, headers and encodings (2,500 runs)', () => {
  const jsonish = fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string(),
    fc.record({ ...Object.fromEntries(Object.keys(valid).map((key) => [key, fc.jsonValue()])) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    fc.constantFrom('', '{', 'null', '[]', '{"__proto__":{"x":1}}', '{"constructor":{}}', JSON.stringify({ ...valid, tranamt: 1e308 })),
  );
  const headers = fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 }), { maxKeys: 5 });

  it('never answers 5xx and every 4xx carries the error object and a request id', async () => {
    await fc.assert(
      fc.asyncProperty(jsonish, headers, fc.boolean(), async (rawBody, extraHeaders, base64) => {
        const result = await call({ resource: '/v1/payments', rawBody, headers: extraHeaders, base64 });
        expect(result.statusCode).toBeLessThan(500);
        expect(result.headers?.['x-request-id']).toBeTruthy();
        if (result.statusCode >= 400) {
          const error = errorOf(result);
          expect(typeof error.code).toBe('string');
          expect(typeof error.message).toBe('string');
          expect(typeof error.retryable).toBe('boolean');
        }
      }),
      { numRuns: 2_500 },
    );
  });
});

describe('routes come from the route table', () => {
  it('refuses at load a function of the table that does not serve exactly its routes', () => {
    const refund = async () => ({ statusCode: 200, body: {} });
    expect(() => httpHandler({ name: 'pay', routes: { 'POST /v1/refunds': refund } })).toThrow(
      'handler pay serves POST /v1/refunds but the route table binds POST /v1/payments to it',
    );
    expect(() => httpHandler({ name: 'pay-query', routes: { 'POST /v1/payments/query': refund } })).toThrow(/binds GET \/v1\/payments\/\{order_no\}, POST \/v1\/payments\/query/);
    expect(() => httpHandler({ name: 'pay', routes: { 'POST /v1/payments': refund } })).not.toThrow();
  });

  it('validates with the schema the table binds to the route', async () => {
    const handler = httpHandler({ name: 'table', routes: { 'POST /v1/refunds': async ({ body }) => ({ statusCode: 200, body }) } });
    const missing = await handler(apiEvent({ resource: '/v1/refunds', body: valid }), lambdaContext());
    expect(missing.statusCode).toBe(400);
    expect(errorOf(missing).message).toContain('refund_order_no');
    const ok = await handler(apiEvent({ resource: '/v1/refunds', body: { ...valid, refund_order_no: 'P0' } }), lambdaContext());
    expect(JSON.parse(ok.body)).toMatchObject({ refund_order_no: 'P0', tranamt: 150, acctype: '###' });
  });
});

describe('x-request-id from the client', () => {
  it('is used only when it is 1–128 characters of [A-Za-z0-9._:-]; otherwise a fresh id', async () => {
    const accepted = 'a'.repeat(120) + '.:_-Z9';
    const echo = async (id: string) => (await call({ resource: '/v1/payments', body: valid, headers: { 'x-request-id': id }, requestId: 'gw-fresh' })).headers?.['x-request-id'];
    expect(await echo(accepted)).toBe(accepted);
    expect(await echo('a'.repeat(128))).toBe('a'.repeat(128));
    for (const refused of ['a'.repeat(129), 'a/b', 'a b', 'ä', 'a\u0000', '']) expect(await echo(refused)).toBe('gw-fresh');
  });
});
