// A log-safe summary of anything thrown (class, code, delivery, message, optionally the stack), for
// the adapter's request and schedule logs; the logger masks PII in it.
import { $ZodError } from 'zod/v4/core';
import { describeZodError } from '../presenters/zod-message.js';

export function describeError(error: unknown, withStack = true): Record<string, unknown> | undefined {
  if (error === null || error === undefined) return undefined;
  if (error instanceof $ZodError) return { name: 'ZodError', message: describeZodError(error) };
  if (error instanceof Error) {
    const withCode = error as Error & { code?: unknown; delivery?: unknown };
    return {
      name: error.name,
      code: typeof withCode.code === 'string' ? withCode.code : undefined,
      delivery: typeof withCode.delivery === 'string' ? withCode.delivery : undefined,
      message: error.message,
      ...(withStack ? { stack: error.stack } : {}),
    };
  }
  return { name: typeof error, message: 'non-Error value thrown' };
}
