// The API Gateway handler chain (middy 6), visible in one place. A handler names the routes it
// serves by route key; the schemas come from the route table (lib/api/routes.ts), never from it.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { FUNCTION_NAMES, routeOf, routesOf, type FunctionName, type RouteKey, type RouteSpec, type RouteTable } from '../api/routes.js';
import type { HttpResult } from '../presenters/result.js';
import { NotFoundError } from '../errors.js';
import type * as z from '../protocol/zod.js';
import { initObservability } from './init.js';
import type { Caller } from '../callers/registry.js';
import { getCallers } from '../runtime.js';
import {
  callerMiddleware,
  errorMappingMiddleware,
  eventGuardMiddleware,
  jsonBodyMiddleware,
  observabilityMiddleware,
  orderLimitsMiddleware,
  requestIdMiddleware,
  routeHandlerMiddleware,
  routeMiddleware,
  validationMiddleware,
  type RouteCall,
} from './middleware.js';

type Output<S> = S extends z.core.$ZodType ? z.output<S> : undefined;
/** The validated type of one input part of a route, from the schema the table binds (undefined: none). */
type Bound<K extends RouteKey, Part extends 'body' | 'params' | 'query'> = RouteTable[K] extends { readonly [P in Part]: infer S } ? Output<S> : undefined;

/** What a route's handler receives. */
export interface RouteInput<K extends RouteKey> {
  readonly body: Bound<K, 'body'>;
  readonly params: Bound<K, 'params'>;
  readonly query: Bound<K, 'query'>;
  readonly requestId: string;
  readonly event: APIGatewayProxyEvent;
  /** The caller (lib/callers): allowed this route, and for payments and refunds their mercacc and amount. */
  readonly caller: RouteCaller<K>;
}

/** Every route of a function has a caller; only a route with `access: null` (health) has none. */
type RouteCaller<K extends RouteKey> = RouteTable[K] extends { readonly access: null } ? undefined : Caller;

export type RouteHandle<K extends RouteKey> = (input: RouteInput<K>, context: Context) => Promise<HttpResult>;

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface HttpHandlerOptions<K extends RouteKey> {
  /** The function's name in logs and metrics; a function of the route table must serve exactly its routes. */
  readonly name: string;
  readonly bodyLimitBytes?: number;
  /** One handler per route key, e.g. `{ 'POST /v1/payments': async ({ body }) => … }`. */
  readonly routes: { readonly [P in K]: RouteHandle<P> };
}

/**
 * An API Gateway (REST, proxy) handler: header normalisation → request id → logs/metrics →
 * error mapping → route → caller and its route permission → JSON body (16 KB) → validation with the
 * route's schemas → the caller's merchant and amount limits (payments, refunds) → its handler.
 * With one route, every event goes to it; with several, the event's "METHOD resource" chooses.
 *
 * @throws Error at load when `name` is a function of the route table and `routes` are not its routes.
 */
export function httpHandler<K extends RouteKey>(options: HttpHandlerOptions<K>): ApiHandler {
  const handles = options.routes as unknown as Readonly<Record<string, (call: RouteCall, context: Context) => Promise<HttpResult>>>;
  const keys = Object.keys(handles) as RouteKey[];
  assertServesItsRoutes(options.name, keys);
  const routes = keys.map(routeOf);
  const pick = (event: APIGatewayProxyEvent): RouteSpec => {
    if (routes.length === 1) return routes[0] as RouteSpec;
    const key = `${String(event.httpMethod).toUpperCase()} ${String(event.resource)}`;
    const found = routes.find((spec) => spec.routeKey === key);
    if (!found) throw new NotFoundError(`no route ${key} in ${options.name}`);
    return found;
  };
  const run = (route: RouteSpec, call: RouteCall, context: Context): Promise<HttpResult> => (handles[route.routeKey] as (call: RouteCall, context: Context) => Promise<HttpResult>)(call, context);

  // No middy handler: the route runs as the innermost middleware, where it can read request.internal.
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use({ before: () => initObservability() })
    .use(eventGuardMiddleware())
    .use(httpHeaderNormalizer())
    .use(requestIdMiddleware())
    .use(observabilityMiddleware(options.name))
    .use(errorMappingMiddleware())
    .use(routeMiddleware(pick))
    .use(callerMiddleware(getCallers))
    .use(jsonBodyMiddleware({ limitBytes: options.bodyLimitBytes }))
    .use(validationMiddleware())
    .use(orderLimitsMiddleware())
    .use(routeHandlerMiddleware(run)) as unknown as ApiHandler;
}

/** A handler of functions/ serves exactly the routes the table binds to it (what infra/ wires to it). */
function assertServesItsRoutes(name: string, keys: readonly RouteKey[]): void {
  if (!(FUNCTION_NAMES as readonly string[]).includes(name)) return;
  const expected = routesOf(name as FunctionName).map((spec) => spec.routeKey).sort();
  const actual = [...keys].sort();
  if (expected.join('\n') !== actual.join('\n')) {
    throw new Error(`handler ${name} serves ${actual.join(', ') || 'no route'} but the route table binds ${expected.join(', ') || 'none'} to it`);
  }
}
