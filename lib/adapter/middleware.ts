// The tiny middy middlewares of the HTTP chain: request id, JSON body with a size limit, schema
// validation, error mapping (lib/presenters/error-response.ts) and structured logs + metrics per outcome.
import { randomUUID } from 'node:crypto';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { $ZodError } from 'zod/v4/core';
import * as z from '../protocol/zod.js';
import { ValidationError } from '../errors.js';
import { BodyTooLargeError, describeZodError, toHttpError } from '../presenters/error-response.js';
import { getLogger } from '../observability/logger.js';
import { outcomeOf, recordOutcome } from '../observability/metrics.js';

export type HttpRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;
type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;

/** What the chain learns about one request, shared by its middlewares. */
export interface RequestState {
  requestId: string;
  startedAt: number;
  routeKey: string;
  /** The parsed JSON body (undefined when the route takes none). */
  body?: unknown;
  /** Validated input, set by the validator. */
  input?: { body: unknown; params: unknown; query: unknown };
}

const states = new WeakMap<object, RequestState>();

/** The state of a request (created on first use). */
export function stateOf(request: HttpRequest): RequestState {
  let state = states.get(request);
  if (state === undefined) {
    const event = (request.event ?? {}) as Partial<APIGatewayProxyEvent>;
    state = {
      requestId: chooseRequestId(event),
      startedAt: Date.now(),
      routeKey: `${String(event.httpMethod ?? '?')} ${String(event.resource ?? event.path ?? '?')}`,
    };
    states.set(request, state);
  }
  return state;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** x-request-id from the client when well-formed, else API Gateway's request id, else a new one. */
export function chooseRequestId(event: Partial<APIGatewayProxyEvent>): string {
  const headers = event.headers && typeof event.headers === 'object' ? event.headers : {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'x-request-id' && typeof value === 'string' && REQUEST_ID_PATTERN.test(value)) return value;
  }
  const fromGateway = event.requestContext?.requestId;
  if (typeof fromGateway === 'string' && REQUEST_ID_PATTERN.test(fromGateway)) return fromGateway;
  return randomUUID();
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

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/** Parses a JSON body (base64-encoded or not) of at most `limitBytes`; anything else is a 400. */
export function jsonBodyMiddleware(options: { limitBytes?: number; required: (request: HttpRequest) => boolean }): HttpMiddleware {
  const limitBytes = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  return {
    before: (request) => {
      if (!options.required(request)) return;
      stateOf(request).body = parseJsonBody(request.event, limitBytes);
    },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON value of an API Gateway event's body; ValidationError for anything a client got wrong. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, limitBytes: number): unknown {
  const raw: unknown = event.body;
  if (raw === null || raw === undefined || raw === '') throw new ValidationError('request body is required: send a JSON object', 'body');
  if (typeof raw !== 'string') throw new ValidationError('request body must be JSON text', 'body');
  let text: string;
  if (event.isBase64Encoded === true) {
    if (raw.length > Math.ceil((limitBytes * 4) / 3) + 4) throw new BodyTooLargeError(limitBytes);
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > limitBytes) throw new BodyTooLargeError(limitBytes);
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new ValidationError('request body is not valid UTF-8', 'body');
    }
  } else {
    if (raw.length > limitBytes || Buffer.byteLength(raw, 'utf8') > limitBytes) throw new BodyTooLargeError(limitBytes);
    text = raw;
  }
  if (text.trim() === '') throw new ValidationError('request body is required: send a JSON object', 'body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('request body is not valid JSON', 'body');
  }
}

export interface InputSchemas {
  readonly body?: z.core.$ZodType;
  readonly params?: z.core.$ZodType;
  readonly query?: z.core.$ZodType;
}

/** Validates body, path parameters and query with the route's schemas: 400 naming the field. */
export function validationMiddleware(schemasOf: (request: HttpRequest) => InputSchemas): HttpMiddleware {
  return {
    before: (request) => {
      const schemas = schemasOf(request);
      const state = stateOf(request);
      state.input = {
        body: schemas.body ? validate(schemas.body, state.body, undefined) : undefined,
        params: schemas.params ? validate(schemas.params, request.event.pathParameters ?? {}, undefined) : undefined,
        query: schemas.query ? validate(schemas.query, request.event.queryStringParameters ?? {}, 'query') : undefined,
      };
    },
  };
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

/** A log-safe summary of an error: class, code, message (the logger masks PII in it). */
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
