// The one place where errors become HTTP responses (API.md "Errors"): gateway error classes,
// zod validation errors and anything unknown → status, `{error:{code,message,retryable}}`, headers.
import { $ZodError } from 'zod/v4/core';
import { AmountOverLimitError, ForbiddenMerchantError, ForbiddenRouteError, UnauthenticatedError } from '../callers/errors.js';
import { ConfigurationError, NotFoundError, ValidationError } from '../errors.js';
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
import { MethodNotAllowedError } from '../api/errors.js';
import { CursorStaleError } from '../bills/errors.js';
import { ExceptionResolvedError } from '../reconciliation/errors.js';
import { describeZodError } from './zod-message.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
}

export interface HttpErrorResponse {
  readonly statusCode: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;
}

const DEFAULT_RETRY_AFTER_SECONDS = 2;
export const INTERNAL_MESSAGE = 'internal error; the request id identifies it in the logs';

/** Maps anything thrown while serving a request to the HTTP answer of API.md. */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (error instanceof $ZodError) return respond(400, 'VALIDATION', describeZodError(error), false);
  if (error instanceof ValidationError || error instanceof MoneyFormatError) {
    return respond(400, 'VALIDATION', error.message, false);
  }
  if (error instanceof UnauthenticatedError) return respond(401, error.code, error.message, false);
  if (error instanceof ForbiddenRouteError || error instanceof ForbiddenMerchantError || error instanceof AmountOverLimitError) {
    return respond(403, error.code, error.message, false);
  }
  if (error instanceof NotFoundError) return respond(404, 'NOT_FOUND', error.message, false);
  if (error instanceof MethodNotAllowedError) {
    return respond(405, error.code, error.message, false, { allow: error.allowed.join(', ') });
  }
  if (error instanceof OrderConflictError) return respond(409, 'ORDER_CONFLICT', error.message, false);
  if (error instanceof CursorStaleError) return respond(409, 'CURSOR_STALE', error.message, false);
  if (error instanceof ExceptionResolvedError) return respond(409, error.code, error.message, false);
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
