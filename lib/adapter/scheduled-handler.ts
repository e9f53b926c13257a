// A scheduled (EventBridge Scheduler) handler: logs start and outcome with the invocation id and
// records one metric; an error is logged and rethrown so the schedule's retry and alarms see it.
import type { Context } from 'aws-lambda';
import { getLogger } from '../observability/logger.js';
import { recordOutcome } from '../observability/metrics.js';
import { describeError } from './describe-error.js';
import { initObservability } from './init.js';

export function scheduledHandler<E, R>(options: {
  readonly name: string;
  readonly handle: (event: E, context: Context) => Promise<R>;
  /** What of the result may be logged (never tokens). */
  readonly summarize?: (result: R) => Record<string, unknown>;
}): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    initObservability();
    const logger = getLogger();
    const startedAt = Date.now();
    const fields = { request_id: context?.awsRequestId ?? 'scheduled', function: options.name };
    logger.info('scheduled run', fields);
    try {
      const result = await options.handle(event, context);
      logger.info('scheduled run done', { ...fields, duration_ms: Date.now() - startedAt, ...options.summarize?.(result) });
      safeRecord(options.name, 'ok');
      return result;
    } catch (error) {
      logger.error('scheduled run failed', { ...fields, duration_ms: Date.now() - startedAt, error: describeError(error) });
      safeRecord(options.name, 'failed');
      throw error;
    }
  };
}

function safeRecord(name: string, outcome: string): void {
  try {
    recordOutcome(name, outcome);
  } catch {
    // metrics must never change an outcome
  }
}
