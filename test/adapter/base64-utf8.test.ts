// A base64 body (isBase64Encoded: true, as API Gateway sends a body whose Content-Type is a binary media
// type) is decoded to bytes and read as strict UTF-8: a malformed sequence is 400 VALIDATION, never a 5xx,
// and never read as U+FFFD into an otherwise valid request (infra/constructs/gateway-api.ts, the RestApi).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { httpHandler } from '../../lib/adapter/http-handler.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { apiEvent, lambdaContext } from './events.js';

beforeAll(() => setLogSink(() => undefined));
afterAll(() => setLogSink(undefined));

const seen: unknown[] = [];
const pay = httpHandler({
  name: 'test-pay-base64',
  routes: {
    'POST /v1/payments': async ({ body }) => {
      seen.push(body);
      return { statusCode: 200, body: { ok: true, remark: body.remark } };
    },
  },
});

/** A valid payment body whose remark holds `bad` between "caf" and the closing quote. */
const bodyWith = (bad: Buffer): Buffer =>
  Buffer.concat([Buffer.from('{"order_no":"P1","account":"32718","tranamt":"1.50","mercacc":"1001","remark":"caf', 'utf8'), bad, Buffer.from('"}', 'utf8')]);

const base64Event = (bytes: Buffer) => {
  const event = apiEvent({ resource: '/v1/payments', rawBody: bytes.toString('base64') });
  event.isBase64Encoded = true;
  return event;
};
const errorOf = (result: APIGatewayProxyResult): { code: string; message: string; retryable: boolean } =>
  (JSON.parse(result.body) as { error: { code: string; message: string; retryable: boolean } }).error;

const MALFORMED: [string, number[]][] = [
  ['a lone 0xFF', [0xff]],
  ['a continuation byte with no lead', [0x80]],
  ['a truncated two-byte sequence', [0xc3]],
  ['an overlong "/"', [0xc0, 0xaf]],
  ['a UTF-16 surrogate encoded as UTF-8', [0xed, 0xa0, 0x80]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
];

describe('base64 body with invalid UTF-8', () => {
  it('the same body read leniently (U+FFFD in the remark) would be a valid payment', async () => {
    // What a decoder that replaces bad bytes would hand the chain: it passes validation, so only the
    // strict reading below stands between a client's malformed bytes and a request the platform sees.
    const lenient = bodyWith(Buffer.from([0xff])).toString('utf8');
    expect(lenient).toContain('\uFFFD');
    const result = await pay(apiEvent({ resource: '/v1/payments', rawBody: lenient }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).remark).toBe('caf\uFFFD');
  });

  it('valid UTF-8 bytes in a base64 body are read as sent', async () => {
    const result = await pay(base64Event(bodyWith(Buffer.from('é', 'utf8'))), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).remark).toBe('café');
  });

  it.each(MALFORMED)('%s → 400 VALIDATION on body, the use case not called', async (_name, bytes) => {
    const before = seen.length;
    const result = await pay(base64Event(bodyWith(Buffer.from(bytes))), lambdaContext());
    expect(result.statusCode).toBe(400);
    const error = errorOf(result);
    expect(error.code).toBe('VALIDATION');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('UTF-8');
    expect(result.body).not.toContain('\uFFFD');
    expect(seen.length).toBe(before);
  });
});
