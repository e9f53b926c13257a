// One Lambda serving both API routes and a schedule: a scheduler payload `{"kind": <kind>, …}` goes
// to the scheduled handler, anything else (API Gateway events, malformed ones) to the HTTP chain.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ApiHandler } from './http-handler.js';

/**
 * True for a scheduler payload `{"kind": <kind>, …}`, never for an API Gateway event (those have
 * `httpMethod` and no top-level `kind`): how a function serving both tells them apart.
 */
export function isScheduledEvent<K extends string>(event: unknown, kind: K): event is { readonly kind: K } {
  return typeof event === 'object' && event !== null && !('httpMethod' in event) && (event as { kind?: unknown }).kind === kind;
}

/** The handler of a function serving both: typed per event, so each caller gets its own result type. */
export interface ApiAndScheduledHandler<E, R> {
  (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult>;
  (event: E, context: Context): Promise<R>;
}

/**
 * @example
 * export const handler = apiAndScheduled({ api, kind: 'settle-pending', scheduled: settle });
 */
export function apiAndScheduled<K extends string, E extends { readonly kind: K }, R>(options: {
  readonly api: ApiHandler;
  readonly kind: K;
  readonly scheduled: (event: E, context: Context) => Promise<R>;
}): ApiAndScheduledHandler<E, R> {
  const { api, kind, scheduled } = options;
  const dispatch = async (event: APIGatewayProxyEvent | E, context: Context): Promise<APIGatewayProxyResult | R> =>
    isScheduledEvent(event, kind) ? scheduled(event as E, context) : api(event as APIGatewayProxyEvent, context);
  return dispatch as ApiAndScheduledHandler<E, R>;
}
