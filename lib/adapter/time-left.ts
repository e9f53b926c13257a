// How long an invocation has left, for work that must stop in time (a settlement run, a final bill's exceptions):
// the Lambda's own remaining time and, on an API route, no more than API Gateway waits for the answer.
import type { Context } from 'aws-lambda';
import { API_GATEWAY_TIMEOUT_MS } from '../function-timeouts.js';

/**
 * `{ remainingMs }` for the work's options, read from the Lambda context; on a route also cut at API Gateway's
 * timeout, counted from now. `{}` when nothing bounds the work (a scheduled run without a context, locally).
 */
export function timeLeft(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined, on: 'route' | 'schedule'): { remainingMs?: () => number } {
  const lambda = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  if (on === 'schedule') return lambda ? { remainingMs: lambda } : {};
  const end = Date.now() + API_GATEWAY_TIMEOUT_MS;
  return { remainingMs: () => Math.min(lambda?.() ?? Infinity, end - Date.now()) };
}
