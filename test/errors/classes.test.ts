// Every error class, wherever it arises: its name is its own (instance and class), it keeps `cause`,
// and a local contention answers HTTP exactly as a busy platform did before it had its own class.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { CursorStaleError } from '../../lib/bills/errors.js';
import { BodyTooLargeError, MethodNotAllowedError } from '../../lib/api/errors.js';
import { toHttpError } from '../../lib/presenters/error-response.js';
import { LocalContentionError, OrderConflictError, OrderTakenError, OriginalNotPaidError, RefundExceedsPaymentError } from '../../lib/ledger/errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import {
  BusinessError,
  BillEncodingRestart,
  GarbledResponseError,
  KeyFormatError,
  MoneyFormatError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import { SecretConfigurationError, SecretUnavailableError } from '../../lib/secrets/errors.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { AmountOverLimitError, ForbiddenMerchantError, ForbiddenRouteError, UnauthenticatedError } from '../../lib/callers/errors.js';
import { ExceptionResolvedError } from '../../lib/reconciliation/errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** One construction per concrete class, passing `options` where its constructor takes them. */
const MAKE: Record<string, (options: ErrorOptions) => Error> = {
  ValidationError: (options) => new ValidationError('bad', 'field', options),
  NotFoundError: (options) => new NotFoundError('none', undefined, options),
  ConfigurationError: (options) => new ConfigurationError('unset', undefined, options),
  MoneyFormatError: (options) => new MoneyFormatError('bad amount', 'tranamt', options),
  KeyFormatError: (options) => new KeyFormatError('private_key', 'not PEM', options),
  PlatformBusyError: (options) => new PlatformBusyError('-1', undefined, options),
  SignatureMismatchError: (options) => new SignatureMismatchError(undefined, options),
  GarbledResponseError: (options) => new GarbledResponseError('bad base64', undefined, options),
  BillEncodingRestart: (options) => new BillEncodingRestart('read it again as GBK', options),
  UpstreamTextError: (options) => new UpstreamTextError('签名错误', 200, options),
  PlatformSystemError: (options) => new PlatformSystemError('40004', undefined, options),
  TokenInvalidError: (options) => new TokenInvalidError('t', options),
  BusinessError: (options) => new BusinessError('60010', '余额不足', options),
  PlatformTimeoutError: (options) => new PlatformTimeoutError(10_000, 'UNKNOWN', options),
  PlatformUnreachableError: (options) => new PlatformUnreachableError('refused', 'NOT_SENT', options),
  TokenUnavailableError: (options) => new TokenUnavailableError('wait', 3, options),
  OrderConflictError: (options) => new OrderConflictError('P1', 'tranamt', options),
  OrderTakenError: (options) => new OrderTakenError('P1', options),
  CursorStaleError: (options) => new CursorStaleError('replaced', { bill_date: '20260101' }, options),
  OriginalNotPaidError: (options) => new OriginalNotPaidError('not paid', undefined, options),
  RefundExceedsPaymentError: (options) => new RefundExceedsPaymentError('too much', undefined, options),
  LocalContentionError: (options) => new LocalContentionError('P1', options),
  MethodNotAllowedError: (options) => new MethodNotAllowedError('PUT', ['POST'], options),
  BodyTooLargeError: (options) => new BodyTooLargeError(16_384, options),
  SecretConfigurationError: (options) => new SecretConfigurationError('secret s has no value', { secret: 'secret s' }, options),
  SecretUnavailableError: (options) => new SecretUnavailableError('secret s could not be read right now', { secret: 'secret s' }, options),
  UnauthenticatedError: (options) => new UnauthenticatedError('no caller', options),
  ForbiddenRouteError: (options) => new ForbiddenRouteError('canteen', 'bills.read', options),
  ForbiddenMerchantError: (options) => new ForbiddenMerchantError('canteen', options),
  AmountOverLimitError: (options) => new AmountOverLimitError('canteen', '500.00', options),
  ExceptionResolvedError: (options) => new ExceptionResolvedError('resolved already', { id: '20260101-x' }, options),
};

/** The bases, which are abstract and so have no construction of their own. */
const ABSTRACT = new Set(['GatewayError', 'UpstreamError']);

async function exportedErrorClasses(): Promise<[string, ErrorClass][]> {
  const lib = fileURLToPath(new URL('../../lib', import.meta.url));
  const modules = readdirSync(lib, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === 'errors.ts');
  const found: [string, ErrorClass][] = [];
  for (const file of modules) {
    const exported = (await import(pathToFileURL(path.join(lib, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error) {
        found.push([name, value as ErrorClass]);
      }
    }
  }
  return found;
}

describe('error classes', () => {
  it('every exported error class is constructed here (or is an abstract base), so none escapes these checks', async () => {
    const names = (await exportedErrorClasses()).map(([name]) => name).sort();
    expect(names).toEqual([...Object.keys(MAKE), ...ABSTRACT].sort());
  });

  it.each(Object.entries(MAKE))('%s names itself and keeps its cause', (name, make) => {
    const cause = new Error('underlying');
    const error = make({ cause });
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect(error.cause).toBe(cause);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('a local contention is not a platform error, and answers HTTP exactly as the busy platform did', () => {
    const contention = new LocalContentionError('P1');
    expect(contention).not.toBeInstanceOf(PlatformBusyError);
    expect(contention.code).toBe('LOCAL_CONTENTION');
    // What the ledger threw before: PlatformBusyError('-1', <the same message>).
    const before = new PlatformBusyError('-1', 'order_no P1 is being retried by concurrent requests; try again');
    expect(contention.message).toBe(before.message);
    expect(toHttpError(contention)).toEqual(toHttpError(before));
    expect(toHttpError(contention)).toMatchObject({ statusCode: 503, body: { error: { code: 'UPSTREAM_BUSY', retryable: true } }, headers: { 'retry-after': '2' } });
  });
});
