// How long an invocation has left, for work that must stop in time (a settlement run, a final bill's exceptions):
// the Lambda's own remaining time and, on an API route, no more than API Gateway waits for the answer.
import type { Context } from 'aws-lambda';
import { API_GATEWAY_TIMEOUT_MS } from '../function-timeouts.js';

/** The budgets of one invocation's work. */
export interface TimeLeft {
  /** Until the answer is due: the Lambda's remaining time, on a route no later than API Gateway's timeout. */
  readonly remainingMs?: () => number;
  /**
   * The function's own remaining time: on a route it runs on after API Gateway has given up, so work that must end
   * before the function does, but need not be done before the answer (a download's pay.query settlement), uses this.
   */
  readonly functionRemainingMs?: () => number;
}

/**
 * The budgets for the work's options, read from the Lambda context; on a route `remainingMs` is also cut at API
 * Gateway's timeout, counted from now. No `functionRemainingMs` without a context (locally); `{}` for a scheduled run
 * without one.
 */
export function timeLeft(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined, on: 'route' | 'schedule'): TimeLeft {
  const lambda = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  const own = lambda ? { functionRemainingMs: lambda } : {};
  if (on === 'schedule') return lambda ? { remainingMs: lambda, ...own } : {};
  const end = Date.now() + API_GATEWAY_TIMEOUT_MS;
  return { remainingMs: () => Math.min(lambda?.() ?? Infinity, end - Date.now()), ...own };
}
