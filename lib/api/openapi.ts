// The OpenAPI 3.1 document of the gateway, generated from the same zod schemas the handlers
// validate with (lib/api/routes.ts), and the draft-4 request models API Gateway validates with.
// Light on purpose (zod + the route table only) so infra/ can import it.
import * as z from 'zod';
import { ROUTES, type ResponseKind, type RouteSpec } from './routes.js';
import {
  BillResponseSchema,
  CardsResponseSchema,
  ErrorResponseSchema,
  ExceptionListResponseSchema,
  ExceptionResponseSchema,
  HealthResponseSchema,
  MerchantsResponseSchema,
  OrderResponseSchema,
  PayQueryResponseSchema,
  ReportCsvSchema,
} from './response-schemas.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of a request schema as a client sends it (defaults optional, transforms' input). */
function inputSchema(schema: z.core.$ZodType, target: 'draft-2020-12' | 'draft-04'): JsonSchema {
  const json = z.toJSONSchema(schema, { target, io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (target === 'draft-2020-12') delete json.$schema;
  return json;
}

function outputSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const RESPONSE_COMPONENTS: Record<ResponseKind, { name: string; schema: z.ZodType }> = {
  health: { name: 'Health', schema: HealthResponseSchema },
  cards: { name: 'Cards', schema: CardsResponseSchema },
  order: { name: 'Order', schema: OrderResponseSchema },
  payQuery: { name: 'PayQueryResults', schema: PayQueryResponseSchema },
  bill: { name: 'Bill', schema: BillResponseSchema },
  merchants: { name: 'BillMerchants', schema: MerchantsResponseSchema },
  reportCsv: { name: 'BillReportCsv', schema: ReportCsvSchema },
  exceptions: { name: 'ReconciliationExceptions', schema: ExceptionListResponseSchema },
  exception: { name: 'ReconciliationException', schema: ExceptionResponseSchema },
};

const ERROR_STATUSES: Record<string, string> = {
  '400': 'VALIDATION: body or parameter malformed (unknown field, wrong type, too long, bad enum, bad amount, not JSON, too large)',
  '404': 'NOT_FOUND',
  '405': 'METHOD_NOT_ALLOWED: wrong method on a known path',
  '409':
    'ORDER_CONFLICT: an order_no reused with different parameters; CURSOR_STALE: a bill page cursor of a download since replaced; ' +
    'EXCEPTION_RESOLVED: acknowledging a reconciliation exception that a later reconciliation resolved',
  '422': 'the platform refused (code = its business retcode), ORIGINAL_NOT_PAID or REFUND_EXCEEDS_PAYMENT',
  '500': 'INTERNAL: a gateway bug',
  '502': 'UPSTREAM_*: bad signature, garbled body, text answer, system errcode',
  '503': 'TOKEN_UNAVAILABLE or UPSTREAM_BUSY (see Retry-After)',
  '504': 'UPSTREAM_TIMEOUT',
};

/**
 * The caller refusals of API.md "Callers", on the routes they apply to: every route that needs a caller
 * may answer 401 UNAUTHENTICATED and 403 FORBIDDEN_ROUTE; a payment or refund also 403 FORBIDDEN_MERCHANT
 * and AMOUNT_OVER_LIMIT. Health needs no caller, so it documents neither.
 */
function callerResponses(route: RouteSpec, headers: JsonSchema): Record<string, JsonSchema> {
  if (route.access === null) return {};
  const error = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  const forbidden = ['FORBIDDEN_ROUTE: the route is not among the caller\'s routes'];
  if (route.access === 'payments.create' || route.access === 'refunds.create') {
    forbidden.push("FORBIDDEN_MERCHANT: mercacc is not one of the caller's merchant accounts", "AMOUNT_OVER_LIMIT: tranamt is above the caller's max_tranamt");
  }
  return {
    '401': {
      description: 'UNAUTHENTICATED: no listed caller made the request (deployed: its SigV4 identity; locally: the x-onecard-caller header)',
      headers,
      content: error,
    },
    '403': { description: `${forbidden.join('; ')}. None of them calls the platform or writes the ledger`, headers, content: error },
  };
}

function operation(route: RouteSpec): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const [location, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = inputSchema(schema, 'draft-2020-12');
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(properties)) {
      parameters.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
    }
  }
  parameters.push({
    name: 'x-request-id',
    in: 'header',
    required: false,
    description: 'echoed on the response; generated when absent or malformed (1–128 of [A-Za-z0-9._:-])',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  });

  const responses: Record<string, JsonSchema> = {};
  const requestIdHeader = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };
  for (const kind of route.responses) {
    const { name } = RESPONSE_COMPONENTS[kind];
    const content = { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } };
    if (kind === 'order') {
      responses['200'] = { description: 'SUCCESS (also the stored result of a replay)', headers: requestIdHeader, content };
      responses['202'] = { description: 'PENDING: the outcome is not known yet; resolved by GET /v1/payments/{order_no}', headers: requestIdHeader, content };
      responses['422'] = {
        description: 'FAILED order (the platform refused; no money moved), or an error object',
        headers: requestIdHeader,
        content: { 'application/json': { schema: { oneOf: [{ $ref: `#/components/schemas/${name}` }, { $ref: '#/components/schemas/Error' }] } } },
      };
    } else if (kind === 'reportCsv') {
      responses['200'] = {
        description: 'The report (local server)',
        headers: requestIdHeader,
        content: { 'text/csv': { schema: { $ref: `#/components/schemas/${name}` } } },
      };
      responses['303'] = {
        description: 'Deployed: Location is a pre-signed URL of the stored report, valid 15 minutes',
        headers: { ...requestIdHeader, location: { schema: { type: 'string', format: 'uri' } } },
      };
    } else if (route.method === 'HEAD') {
      responses['200'] = { description: 'OK (no body)', headers: requestIdHeader };
    } else {
      responses['200'] = { description: 'OK', headers: requestIdHeader, content };
    }
  }
  Object.assign(responses, callerResponses(route, requestIdHeader));
  for (const [status, description] of Object.entries(ERROR_STATUSES)) {
    if (responses[status]) continue;
    if (route.functionName === null && status !== '500') continue;
    responses[status] = {
      description,
      headers: status === '503' ? { ...requestIdHeader, 'retry-after': { $ref: '#/components/headers/RetryAfter' } } : requestIdHeader,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }

  return {
    operationId: route.operationId,
    summary: route.summary,
    parameters,
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestComponentName(route)}` } } },
          },
        }
      : {}),
    responses,
  };
}

function requestComponentName(route: RouteSpec): string {
  return `${route.operationId.charAt(0).toUpperCase()}${route.operationId.slice(1)}Request`;
}

/** The OpenAPI 3.1 document (served at GET /openapi.json locally; `npm run openapi` prints it). */
export function openApiDocument(options: { serverUrl?: string } = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const schemas: Record<string, JsonSchema> = { Error: outputSchema(ErrorResponseSchema) };
  for (const { name, schema } of Object.values(RESPONSE_COMPONENTS)) schemas[name] = outputSchema(schema);
  for (const route of ROUTES) {
    (paths[route.resource] ??= {})[route.method.toLowerCase()] = operation(route);
    if (route.body) schemas[requestComponentName(route)] = inputSchema(route.body, 'draft-2020-12');
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'onecard-gateway',
      version: '0.1.0',
      description:
        'Gateway to the Synjones campus one-card platform. Amounts are yuan strings ("10.00"); ' +
        'errors are {"error":{"code","message","retryable"}}; every response carries x-request-id.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas,
      headers: {
        RequestId: { description: 'the request id (client-supplied when valid)', schema: { type: 'string' } },
        RetryAfter: { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
      },
    },
  };
}

/**
 * One self-contained draft-4 JSON Schema per route with a body, for API Gateway request models
 * (e.g. { routeKey: 'POST /v1/payments', schema }).
 */
export function requestModels(): { routeKey: string; schema: JsonSchema }[] {
  return ROUTES.filter((route) => route.body !== undefined).map((route) => ({
    routeKey: route.routeKey,
    schema: { ...inputSchema(route.body as z.core.$ZodType, 'draft-04'), title: requestComponentName(route) },
  }));
}
