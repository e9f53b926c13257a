// The shared handler chain (middy 6), visible in one place, and the helpers that let each
// function file be a dozen lines: httpHandler for API routes, scheduledHandler for schedules.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from '../protocol/zod.js';
import { getConfig } from '../config.js';
import { NotFoundError } from '../errors.js';
import { getLogger } from '../observability/logger.js';
import { configureMetrics, recordOutcome } from '../observability/metrics.js';
import {
  describeError,
  errorMappingMiddleware,
  jsonBodyMiddleware,
  observabilityMiddleware,
  requestIdMiddleware,
  stateOf,
  validationMiddleware,
  type HttpRequest,
  type InputSchemas,
} from './middleware.js';

export interface HttpResult {
  readonly statusCode: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

type Output<S> = S extends z.core.$ZodType ? z.output<S> : undefined;

export interface HttpInput<B, P, Q> {
  readonly body: Output<B>;
  readonly params: Output<P>;
  readonly query: Output<Q>;
  readonly requestId: string;
  readonly event: APIGatewayProxyEvent;
}

export interface RouteDefinition<B extends z.core.$ZodType | undefined = undefined, P extends z.core.$ZodType | undefined = undefined, Q extends z.core.$ZodType | undefined = undefined> {
  readonly body?: B;
  readonly params?: P;
  readonly query?: Q;
  readonly handle: (input: HttpInput<B, P, Q>, context: Context) => Promise<HttpResult>;
}

/** Declares one route of a handler with its schemas (keeps the handle's input typed). */
export function route<B extends z.core.$ZodType | undefined = undefined, P extends z.core.$ZodType | undefined = undefined, Q extends z.core.$ZodType | undefined = undefined>(
  definition: RouteDefinition<B, P, Q>,
): RouteDefinition<z.core.$ZodType | undefined, z.core.$ZodType | undefined, z.core.$ZodType | undefined> {
  return definition as unknown as RouteDefinition<z.core.$ZodType | undefined, z.core.$ZodType | undefined, z.core.$ZodType | undefined>;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let observabilityReady = false;

/** Sets the logger level and metrics from the configuration once; a bad configuration is
 *  reported by the runtime as a 500, so here it only falls back to defaults. */
function initObservability(): void {
  if (observabilityReady) return;
  observabilityReady = true;
  try {
    const config = getConfig();
    getLogger({ serviceName: config.serviceName, logLevel: config.logLevel }).setLogLevel(config.logLevel);
    configureMetrics({ enabled: config.onLambda, namespace: config.metricsNamespace, serviceName: config.serviceName });
  } catch {
    getLogger();
  }
}

/**
 * An API Gateway (REST, proxy) handler: header normalisation → request id → logs/metrics →
 * error mapping → JSON body (16 KB) → validation → `handle`. Either one route (`body`/`params`/
 * `query`/`handle`) or several keyed by route key ("GET /v1/payments/{order_no}").
 */
export function httpHandler<B extends z.core.$ZodType | undefined = undefined, P extends z.core.$ZodType | undefined = undefined, Q extends z.core.$ZodType | undefined = undefined>(
  options: { readonly name: string; readonly bodyLimitBytes?: number } & (RouteDefinition<B, P, Q> | { readonly routes: Readonly<Record<string, ReturnType<typeof route>>> }),
): ApiHandler {
  const pick = (request: HttpRequest): RouteDefinition<z.core.$ZodType | undefined, z.core.$ZodType | undefined, z.core.$ZodType | undefined> => {
    if (!('routes' in options)) return options as unknown as ReturnType<typeof route>;
    const event = request.event;
    const key = `${String(event.httpMethod).toUpperCase()} ${String(event.resource)}`;
    const found = options.routes[key];
    if (!found) throw new NotFoundError(`no route ${key} in ${options.name}`);
    return found;
  };
  const schemasOf = (request: HttpRequest): InputSchemas => {
    const chosen = pick(request);
    return { body: chosen.body, params: chosen.params, query: chosen.query };
  };

  const base = async (event: APIGatewayProxyEvent, context: Context, request: HttpRequest): Promise<APIGatewayProxyResult> => {
    const state = stateOf(request);
    const input = state.input ?? { body: undefined, params: undefined, query: undefined };
    const result = await pick(request).handle(
      { body: input.body, params: input.params, query: input.query, requestId: state.requestId, event } as HttpInput<z.core.$ZodType, z.core.$ZodType, z.core.$ZodType>,
      context,
    );
    return { statusCode: result.statusCode, headers: { ...result.headers }, body: JSON.stringify(result.body) };
  };

  // The request object is needed by the base handler; middy passes only (event, context), so a
  // before-middleware remembers it per event.
  const requests = new WeakMap<object, HttpRequest>();
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use({ before: (request) => { initObservability(); requests.set(request.event, request); } })
    .use(httpHeaderNormalizer())
    .use(requestIdMiddleware())
    .use(observabilityMiddleware(options.name))
    .use(errorMappingMiddleware())
    .use(jsonBodyMiddleware({ limitBytes: options.bodyLimitBytes, required: (request) => schemasOf(request).body !== undefined }))
    .use(validationMiddleware(schemasOf))
    .handler(async (event, context) => {
      const request = requests.get(event);
      if (!request) throw new Error('request not registered by the chain');
      return base(event, context, request);
    });
  return async (event, context) => handler(safeEvent(event), context);
}

/** A per-invocation copy of the event (the chain annotates it; callers may reuse theirs), and a
 *  placeholder for a malformed one so the chain never trips over it. */
function safeEvent(event: APIGatewayProxyEvent): APIGatewayProxyEvent {
  if (event !== null && typeof event === 'object') return { ...event };
  return { headers: {}, multiValueHeaders: {}, httpMethod: '?', resource: '?', path: '?' } as unknown as APIGatewayProxyEvent;
}

/**
 * True for a scheduler payload `{"kind": <kind>, …}`, never for an API Gateway event (those have
 * `httpMethod` and no top-level `kind`): how a function serving both tells them apart.
 */
export function isScheduledEvent<K extends string>(event: unknown, kind: K): event is { readonly kind: K } {
  return typeof event === 'object' && event !== null && !('httpMethod' in event) && (event as { kind?: unknown }).kind === kind;
}

/**
 * A scheduled (EventBridge Scheduler) handler: logs start and outcome with the invocation id and
 * records one metric; an error is logged and rethrown so the schedule's retry and alarms see it.
 */
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
