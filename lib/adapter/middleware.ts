// The tiny middy middlewares of the HTTP chain: request id, route choice, JSON body with a size
// limit, schema validation, the route's handler, error mapping and logs + metrics per outcome.
// They share what they learn through `request.internal` (lib/adapter/request-state.ts).
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { $ZodError } from 'zod/v4/core';
import type { RouteSpec } from '../api/routes.js';
import { assertOrderAllowed, assertRoute } from '../callers/access.js';
import type { Caller, Callers } from '../callers/registry.js';
import { getLogger } from '../observability/logger.js';
import { outcomeOf, recordOutcome } from '../observability/metrics.js';
import { toHttpError } from '../presenters/error-response.js';
import type { HttpResult } from '../presenters/result.js';
import { describeZodError } from '../presenters/zod-message.js';
import { ValidationError } from '../errors.js';
import * as z from '../protocol/zod.js';
import { callerOf } from './caller.js';
import { describeError } from './describe-error.js';
import { DEFAULT_BODY_LIMIT_BYTES, parseJsonBody } from './json-body.js';
import { stateOf, type HttpRequest, type RequestState } from './request-state.js';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Replaces an event that is not an object (never sent by API Gateway) with an empty one, so the
 * chain answers it like any malformed request instead of tripping over it.
 */
export function eventGuardMiddleware(): HttpMiddleware {
  return {
    before: (request) => {
      const event: unknown = request.event;
      if (event === null || typeof event !== 'object') {
        request.event = { headers: {}, multiValueHeaders: {}, httpMethod: '?', resource: '?', path: '?' } as unknown as APIGatewayProxyEvent;
      }
    },
  };
}

/** Echoes the request id (and JSON content headers) on every response, errors included. */
export function requestIdMiddleware(): HttpMiddleware {
  const decorate = (request: HttpRequest): void => {
    const response = request.response;
    if (!response) return;
    response.headers = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...response.headers,
      'x-request-id': stateOf(request).requestId,
    };
  };
  return {
    before: (request) => {
      stateOf(request);
    },
    after: decorate,
    onError: decorate,
  };
}

/** Turns any error into the API.md error response (the only place statuses are chosen for errors). */
export function errorMappingMiddleware(): HttpMiddleware {
  return {
    onError: (request) => {
      const mapped = toHttpError(request.error);
      request.response = {
        statusCode: mapped.statusCode,
        headers: { ...mapped.headers },
        body: JSON.stringify(mapped.body),
      };
    },
  };
}

/** Chooses the route of the request (`pick` throws NotFoundError for one the handler does not serve). */
export function routeMiddleware(pick: (event: APIGatewayProxyEvent) => RouteSpec): HttpMiddleware {
  return {
    before: (request) => {
      stateOf(request).route = pick(request.event);
    },
  };
}

/**
 * Names the caller and checks that the route is among its routes, before the body is even read:
 * 401 UNAUTHENTICATED / 403 FORBIDDEN_ROUTE (lib/callers). A route without `access` needs no caller.
 */
export function callerMiddleware(callers: () => Callers): HttpMiddleware {
  return {
    before: (request) => {
      const state = stateOf(request);
      const route = routeOf(state);
      if (route.access === null) return;
      const caller = callerOf(request.event, callers());
      assertRoute(caller, route.access);
      state.caller = caller;
    },
  };
}

/**
 * A payment's or refund's mercacc and tranamt against the caller's (403 FORBIDDEN_MERCHANT /
 * AMOUNT_OVER_LIMIT), on the validated body, before the route's handler calls anything.
 */
export function orderLimitsMiddleware(): HttpMiddleware {
  return {
    before: (request) => {
      const state = stateOf(request);
      const route = routeOf(state);
      if (route.access !== 'payments.create' && route.access !== 'refunds.create') return;
      const body = state.input?.body as { mercacc?: unknown; tranamt?: unknown } | undefined;
      if (typeof body?.mercacc !== 'string' || typeof body.tranamt !== 'number') throw new Error(`${route.routeKey}: validated body lacks mercacc or tranamt`);
      assertOrderAllowed(callerOfState(state), { mercacc: body.mercacc, amountFen: body.tranamt });
    },
  };
}

/** The caller callerMiddleware identified. */
export function callerOfState(state: RequestState): Caller {
  if (state.caller === undefined) throw new Error('no caller identified: callerMiddleware must run first');
  return state.caller;
}

/** Parses the JSON body of a route that takes one (at most `limitBytes`); anything else is a 400. */
export function jsonBodyMiddleware(options: { limitBytes?: number } = {}): HttpMiddleware {
  const limitBytes = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  return {
    before: (request) => {
      const state = stateOf(request);
      if (routeOf(state).body === undefined) return;
      state.body = parseJsonBody(request.event, limitBytes);
    },
  };
}

/** Validates body, path parameters and query with the route's schemas: 400 naming the field. */
export function validationMiddleware(): HttpMiddleware {
  return {
    before: (request) => {
      const state = stateOf(request);
      const route = routeOf(state);
      state.input = {
        body: route.body ? validate(route.body, state.body, undefined) : undefined,
        params: route.params ? validate(route.params, request.event.pathParameters ?? {}, undefined) : undefined,
        query: route.query ? validate(route.query, request.event.queryStringParameters ?? {}, 'query') : undefined,
      };
    },
  };
}

/** What the route's handler receives: the validated input as `handle` declares it. */
export interface RouteCall {
  readonly body: unknown;
  readonly params: unknown;
  readonly query: unknown;
  readonly requestId: string;
  readonly event: APIGatewayProxyEvent;
  /** Undefined only on a route that needs no caller (access null). */
  readonly caller: Caller | undefined;
}

/**
 * Runs the chosen route's handler with the validated input and makes its result the response.
 * middy hands its own handler only (event, context), not `request.internal`; so the route runs
 * here, as the innermost `after` (the first to run, right after middy's no-op handler), and
 * every outer `after`/`onError` (request id, logs, error mapping) sees its result as usual.
 */
export function routeHandlerMiddleware(run: (route: RouteSpec, call: RouteCall, context: Context) => Promise<HttpResult>): HttpMiddleware {
  return {
    after: async (request) => {
      const state = stateOf(request);
      const input = state.input ?? { body: undefined, params: undefined, query: undefined };
      const result = await run(routeOf(state), { ...input, requestId: state.requestId, event: request.event, caller: state.caller }, request.context);
      request.response = { statusCode: result.statusCode, headers: { ...result.headers }, body: result.text ?? JSON.stringify(result.body) };
    },
  };
}

function routeOf(state: RequestState): RouteSpec {
  if (state.route === undefined) throw new Error('no route chosen: routeMiddleware must run first');
  return state.route;
}

function validate(schema: z.core.$ZodType, value: unknown, root: string | undefined): unknown {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new ValidationError(describeZodError(result.error, root), firstField(result.error));
}

function firstField(error: $ZodError): string | undefined {
  const path = error.issues[0]?.path;
  return path && path.length > 0 ? path.map(String).join('.') : undefined;
}

/** One structured log line per request and response, and one metric per outcome. */
export function observabilityMiddleware(name: string): HttpMiddleware {
  const finish = (request: HttpRequest): void => {
    const state = stateOf(request);
    const statusCode = request.response?.statusCode ?? 500;
    const outcome = outcomeOf(statusCode);
    const logger = getLogger();
    const fields = {
      request_id: state.requestId,
      function: name,
      route: state.routeKey,
      status: statusCode,
      outcome,
      duration_ms: Date.now() - state.startedAt,
    };
    const error = request.error;
    if (statusCode >= 500) {
      logger.error('request failed', { ...fields, error: describeError(error, true) });
    } else if (error) {
      logger.info('request refused', { ...fields, error: describeError(error, false) });
    } else {
      logger.info('request done', fields);
    }
    try {
      recordOutcome(name, outcome);
    } catch (metricsError) {
      logger.warn('metrics not recorded', { request_id: state.requestId, error: describeError(metricsError) });
    }
  };
  return {
    before: (request) => {
      const state = stateOf(request);
      const event = request.event as Partial<APIGatewayProxyEvent>;
      getLogger().info('request', {
        request_id: state.requestId,
        function: name,
        route: state.routeKey,
        method: event.httpMethod,
        path: event.path,
      });
    },
    after: finish,
    onError: finish,
  };
}
