// The error → HTTP mapping table of API.md, in one place.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BodyTooLargeError, MethodNotAllowedError } from '../../lib/api/errors.js';
import { INTERNAL_MESSAGE, toHttpError } from '../../lib/presenters/error-response.js';
import { describeZodError } from '../../lib/presenters/zod-message.js';
import { ConfigurationError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { OrderConflictError, OriginalNotPaidError, RefundExceedsPaymentError } from '../../lib/ledger/errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import {
  BusinessError,
  GarbledResponseError,
  KeyFormatError,
  MoneyFormatError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';

const cases: [string, unknown, number, string, boolean][] = [
  ['validation', new ValidationError('tranamt: bad', 'tranamt'), 400, 'VALIDATION', false],
  ['money format', new MoneyFormatError('tranamt: too many decimals', 'tranamt'), 400, 'VALIDATION', false],
  ['too large', new BodyTooLargeError(16384), 400, 'VALIDATION', false],
  ['not found', new NotFoundError('no order P1'), 404, 'NOT_FOUND', false],
  ['method', new MethodNotAllowedError('PUT', ['POST']), 405, 'METHOD_NOT_ALLOWED', false],
  ['conflict', new OrderConflictError('P1', 'tranamt'), 409, 'ORDER_CONFLICT', false],
  ['business', new BusinessError('60010', '余额不足'), 422, '60010', false],
  ['business retryable', new BusinessError('60041', ''), 422, '60041', true],
  ['original not paid', new OriginalNotPaidError('P1 is not paid'), 422, 'ORIGINAL_NOT_PAID', false],
  ['refund exceeds', new RefundExceedsPaymentError('too much'), 422, 'REFUND_EXCEEDS_PAYMENT', false],
  ['bad signature', new SignatureMismatchError(), 502, 'UPSTREAM_BAD_SIGNATURE', false],
  ['garbled', new GarbledResponseError('bad base64'), 502, 'UPSTREAM_GARBLED', false],
  ['text', new UpstreamTextError('签名错误', 200), 502, 'UPSTREAM_TEXT', false],
  ['system 40004', new PlatformSystemError('40004'), 502, 'UPSTREAM_40004', false],
  ['token invalid after retry', new TokenInvalidError('t'), 502, 'UPSTREAM_40017', false],
  ['unreachable', new PlatformUnreachableError('refused', 'NOT_SENT'), 502, 'UPSTREAM_UNREACHABLE', true],
  ['busy', new PlatformBusyError('-1'), 503, 'UPSTREAM_BUSY', true],
  ['token unavailable', new TokenUnavailableError('wait', 37), 503, 'TOKEN_UNAVAILABLE', true],
  ['timeout', new PlatformTimeoutError(10_000), 504, 'UPSTREAM_TIMEOUT', true],
  ['configuration', new ConfigurationError('SYNJONES_API_URL is not set'), 500, 'INTERNAL', false],
  ['key format', new KeyFormatError('private_key', 'not PEM'), 500, 'INTERNAL', false],
  ['bug', new TypeError("Cannot read properties of undefined (reading 'x')"), 500, 'INTERNAL', false],
  ['non-error', 'a string', 500, 'INTERNAL', false],
];

describe('toHttpError', () => {
  it.each(cases)('%s → %i %s', (_name, error, status, code, retryable) => {
    const mapped = toHttpError(error);
    expect(mapped.statusCode).toBe(status);
    expect(mapped.body.error.code).toBe(code);
    expect(mapped.body.error.retryable).toBe(retryable);
    expect(mapped.body.error.message.length).toBeGreaterThan(0);
  });

  it('503 carries Retry-After (the token manager’s seconds, or 2 for busy)', () => {
    expect(toHttpError(new TokenUnavailableError('wait', 37)).headers['retry-after']).toBe('37');
    expect(toHttpError(new PlatformBusyError('-1')).headers['retry-after']).toBe('2');
    expect(toHttpError(new TokenUnavailableError('wait', 0.2)).headers['retry-after']).toBe('1');
  });

  it('405 names the allowed methods', () => {
    expect(toHttpError(new MethodNotAllowedError('PUT', ['GET', 'POST'])).headers.allow).toBe('GET, POST');
  });

  it('502 for a text answer passes the text on; 500 never leaks internals', () => {
    expect(toHttpError(new UpstreamTextError('签名错误', 200)).body.error.message).toContain('签名错误');
    const internal = toHttpError(new Error('connect to secret arn:aws:secretsmanager:xyz failed: key=abc'));
    expect(internal.body.error.message).toBe(INTERNAL_MESSAGE);
    expect(toHttpError(new ConfigurationError('private_key missing')).body.error.message).not.toContain('private_key');
  });

  it('middy’s own timeout maps to 504', () => {
    const error = new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } });
    error.name = 'TimeoutError';
    expect(toHttpError(error).statusCode).toBe(504);
  });

  it('a zod error is a 400 naming the field', () => {
    const schema = z.strictObject({ queries: z.array(z.strictObject({ order_no: z.string().max(3) })) });
    const result = schema.safeParse({ queries: [{ order_no: 'abcd' }], extra: 1 });
    expect(result.success).toBe(false);
    const mapped = toHttpError(result.error);
    expect(mapped.statusCode).toBe(400);
    expect(mapped.body.error.message).toContain('queries[0].order_no: must be at most 3 characters');
    expect(mapped.body.error.message).toContain('unknown field: "extra"');
  });
});

describe('describeZodError', () => {
  it('says what is missing and what type was expected', () => {
    const schema = z.strictObject({ account: z.string(), termid: z.number() });
    const result = schema.safeParse({ termid: 'x' });
    expect(describeZodError(result.error!)).toBe('account: is required; termid: must be a number, not a string');
  });

  it('names the root for query strings', () => {
    const result = z.strictObject({ bill_type: z.enum(['ALL', 'SUCCESS']) }).safeParse({ bill_type: 'x', foo: '1' });
    const message = describeZodError(result.error!, 'query');
    expect(message).toContain('query.bill_type: must be one of "ALL", "SUCCESS"');
    expect(message).toContain('"query.foo"');
  });
});
