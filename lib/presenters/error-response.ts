// The one place where errors become HTTP responses (API.md "Errors"): gateway error classes,
// zod validation errors and anything unknown → status, `{error:{code,message,retryable}}`, headers.
import { $ZodError } from 'zod/v4/core';
import { ConfigurationError, GatewayError, NotFoundError, ValidationError } from '../errors.js';
import { LocalContentionError, OrderConflictError, OriginalNotPaidError, RefundExceedsPaymentError } from '../ledger/errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../platform/errors.js';
import {
  BusinessError,
  GarbledResponseError,
  KeyFormatError,
  MoneyFormatError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  UpstreamError,
  UpstreamTextError,
} from '../protocol/errors.js';
import { SecretConfigurationError, SecretUnavailableError } from '../secrets/errors.js';
import { TokenUnavailableError } from '../token/errors.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
}

export interface HttpErrorResponse {
  readonly statusCode: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;
}

/** A known path called with a method it does not serve (HTTP 405). */
export class MethodNotAllowedError extends GatewayError {
  static override readonly name: string = 'MethodNotAllowedError';
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(readonly method: string, readonly allowed: readonly string[], options?: ErrorOptions) {
    super(`method ${method} is not allowed here; use ${allowed.join(', ')}`, undefined, options);
    this.name = MethodNotAllowedError.name;
  }
}

/** A request body over the size limit (HTTP 400 VALIDATION, as API.md lists "too large" there). */
export class BodyTooLargeError extends ValidationError {
  static override readonly name: string = 'BodyTooLargeError';
  constructor(readonly limitBytes: number, options?: ErrorOptions) {
    super(`request body is too large: the limit is ${limitBytes} bytes`, 'body', options);
    this.name = BodyTooLargeError.name;
  }
}

const DEFAULT_RETRY_AFTER_SECONDS = 2;
export const INTERNAL_MESSAGE = 'internal error; the request id identifies it in the logs';

/** Maps anything thrown while serving a request to the HTTP answer of API.md. */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof $ZodError) return respond(400, 'VALIDATION', describeZodError(error), false);
  if (error instanceof ValidationError || error instanceof MoneyFormatError) {
    return respond(400, 'VALIDATION', error.message, false);
  }
  if (error instanceof NotFoundError) return respond(404, 'NOT_FOUND', error.message, false);
  if (error instanceof MethodNotAllowedError) {
    return respond(405, error.code, error.message, false, { allow: error.allowed.join(', ') });
  }
  if (error instanceof OrderConflictError) return respond(409, 'ORDER_CONFLICT', error.message, false);
  if (error instanceof OriginalNotPaidError || error instanceof RefundExceedsPaymentError) {
    return respond(422, error.code, error.message, false);
  }
  if (error instanceof BusinessError) return respond(422, error.retcode, error.message, error.retryable);
  // A local contention gets a busy platform's answer (API.md has no code for it); the remedy, wait and retry, is the same.
  if (error instanceof LocalContentionError) {
    return respond(503, 'UPSTREAM_BUSY', error.message, true, { 'retry-after': String(error.retryAfterSeconds) });
  }
  if (error instanceof TokenUnavailableError || error instanceof PlatformBusyError || error instanceof SecretUnavailableError) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS));
    return respond(503, error.code, error.message, true, { 'retry-after': String(seconds) });
  }
  if (error instanceof PlatformTimeoutError) return respond(504, 'UPSTREAM_TIMEOUT', error.message, true);
  if (isLambdaTimeout(error)) {
    return respond(504, 'UPSTREAM_TIMEOUT', 'the request ran out of time; its outcome may still be pending', true);
  }
  if (
    error instanceof PlatformUnreachableError ||
    error instanceof SignatureMismatchError ||
    error instanceof GarbledResponseError ||
    error instanceof UpstreamTextError ||
    error instanceof PlatformSystemError
  ) {
    return respond(502, error.code, error.message, error.retryable);
  }
  if (error instanceof UpstreamError) {
    const code = error.code.startsWith('UPSTREAM_') ? error.code : `UPSTREAM_${error.code}`;
    return respond(502, code, error.message, error.retryable);
  }
  // The secret is the operator's to fix (README "Fill the secret"): say which one and what is wrong.
  // The message names the secret and the field, never a value (lib/secrets/errors.ts).
  if (error instanceof SecretConfigurationError) return respond(500, 'CONFIGURATION', error.message, false);
  if (error instanceof ConfigurationError || error instanceof KeyFormatError) {
    return respond(500, 'INTERNAL', 'the gateway is not configured correctly; the request id identifies it in the logs', false);
  }
  return respond(500, 'INTERNAL', INTERNAL_MESSAGE, false);
}

/** Builds an error response from parts (for answers that do not start as a thrown error). */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  retryable = false,
  headers: Record<string, string> = {},
): HttpErrorResponse {
  return respond(statusCode, code, message, retryable, headers);
}

/** "tranamt: must be …; queries[2].order_no: …" — every problem, naming the field. */
export function describeZodError(error: $ZodError, root?: string): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = fieldPath(issue.path, root);
      const keys = issue.keys.map((key) => (at ? `${at}.${key}` : key));
      return `unknown field${keys.length > 1 ? 's' : ''}: ${keys.map(quoteField).join(', ')}`;
    }
    const at = fieldPath(issue.path, root) || root || 'body';
    return `${at}: ${issueMessage(issue)}`;
  });
  if (error.issues.length > 5) parts.push(`and ${error.issues.length - 5} more`);
  return parts.join('; ');
}

function issueMessage(issue: $ZodError['issues'][number]): string {
  if (issue.code === 'invalid_type') {
    // zod reports what it received in its message (the input itself is not kept in issues).
    const received = /received (\w+)/.exec(issue.message)?.[1] ?? describeInput(issue.input);
    if (received === 'undefined' || received === 'missing') return 'is required';
    return `must be ${article(issue.expected)}, not ${received === 'null' ? 'null' : article(received)}`;
  }
  if (issue.code === 'too_big' && issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
  if (issue.code === 'too_small' && issue.origin === 'string') return `must be at least ${String(issue.minimum)} character(s)`;
  if (issue.code === 'too_big' && issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
  if (issue.code === 'too_small' && issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return issue.message;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'missing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function fieldPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

function quoteField(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

function isLambdaTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: string } | undefined)?.package === '@middy/core';
}

function respond(
  statusCode: number,
  code: string,
  message: string,
  retryable: boolean,
  headers: Record<string, string> = {},
): HttpErrorResponse {
  return { statusCode, body: { error: { code, message, retryable } }, headers };
}
