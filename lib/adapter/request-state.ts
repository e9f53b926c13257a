// What the HTTP chain learns about one request, kept in middy's `request.internal` (a fresh object
// per invocation), so middlewares and the route share it without module-level maps.
import type { Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteSpec } from '../api/routes.js';
import type { Caller } from '../callers/registry.js';
import { chooseRequestId } from './request-id.js';

export type HttpRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

export interface RequestState {
  readonly requestId: string;
  readonly startedAt: number;
  /** "METHOD resource" as the event names it (for logs; the route's own key may differ for a single-route handler). */
  readonly routeKey: string;
  /** The route serving the request, once chosen. */
  route?: RouteSpec;
  /** The caller, once identified and allowed the route (callerMiddleware). */
  caller?: Caller;
  /** The parsed JSON body (undefined when the route takes none). */
  body?: unknown;
  /** Validated input, set by the validator. */
  input?: { body: unknown; params: unknown; query: unknown };
}

/** The state of a request, created by the first middleware that asks. */
export function stateOf(request: HttpRequest): RequestState {
  const internal = request.internal as { gateway?: RequestState };
  if (internal.gateway === undefined) {
    const event = (request.event ?? {}) as Partial<APIGatewayProxyEvent>;
    internal.gateway = {
      requestId: chooseRequestId(event),
      startedAt: Date.now(),
      routeKey: `${String(event.httpMethod ?? '?')} ${String(event.resource ?? event.path ?? '?')}`,
    };
  }
  return internal.gateway;
}
