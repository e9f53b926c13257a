// The route table of API.md in one place: the local server routes with it, the OpenAPI document
// and the API Gateway request models are generated from it, and infra/ wires handlers from it.
import type { CallerRoute } from '../callers/schema.js';
import type * as z from '../protocol/zod.js';
import {
  BillDayQuerySchema,
  BillParamsSchema,
  BillQuerySchema,
  AcknowledgeBodySchema,
  ExceptionParamsSchema,
  ExceptionsQuerySchema,
  OrderParamsSchema,
  PayQueryBodySchema,
  PaymentBodySchema,
  QueryCardBodySchema,
  RefundBodySchema,
} from './schemas.js';

/** The handler files under functions/ (each `export const handler`). */
export const FUNCTION_NAMES = ['access-token', 'query-card', 'pay', 'refund', 'pay-query', 'down-bill'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type HttpMethod = 'GET' | 'HEAD' | 'POST';

/** One route as the table writes it; the key ("POST /v1/payments") gives its method and resource. */
interface RouteEntry {
  /** The Lambda serving it; null for the health route (a mock integration deployed, built in locally). */
  readonly functionName: FunctionName | null;
  /** The caller route name that permits it (API.md "Callers"); null: open to anyone IAM lets in (health). */
  readonly access: CallerRoute | null;
  readonly operationId: string;
  readonly summary: string;
  readonly body?: z.core.$ZodType;
  readonly params?: z.core.$ZodType;
  readonly query?: z.core.$ZodType;
  /** Success statuses the route documents (errors are documented for all routes). */
  readonly responses: readonly ResponseKind[];
}

export interface RouteSpec extends RouteEntry {
  /** "POST /v1/payments": method + API Gateway resource path. */
  readonly routeKey: RouteKey;
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{name}` path parameters. */
  readonly resource: string;
}

export type ResponseKind = 'health' | 'cards' | 'order' | 'payQuery' | 'bill' | 'merchants' | 'reportCsv' | 'exceptions' | 'exception';

/**
 * The table, keyed by route key. Handlers name their route by this key and the adapter validates
 * with the schemas bound here (lib/adapter/http-handler.ts), so a handler cannot re-declare them.
 */
const ROUTE_TABLE = {
  'GET /v1/health': {
    functionName: null,
    access: null,
    operationId: 'health',
    summary: 'Liveness; the local server is ready when this answers',
    responses: ['health'],
  },
  // Health checks and uptime monitors probe with HEAD: the same answer as GET, without a body.
  'HEAD /v1/health': {
    functionName: null,
    access: null,
    operationId: 'healthHead',
    summary: 'Liveness as GET /v1/health answers it, without a body',
    responses: ['health'],
  },
  'POST /v1/cards/query': {
    functionName: 'query-card',
    access: 'cards.query',
    operationId: 'queryCard',
    summary: 'Every card of one identity (synjones.onecard.query.card)',
    body: QueryCardBodySchema,
    responses: ['cards'],
  },
  'POST /v1/payments': {
    functionName: 'pay',
    access: 'payments.create',
    operationId: 'pay',
    summary: 'Charge a card once per order_no (synjones.onecard.gdccard.pay)',
    body: PaymentBodySchema,
    responses: ['order'],
  },
  'POST /v1/payments/query': {
    functionName: 'pay-query',
    access: 'payments.query',
    operationId: 'queryPayments',
    summary: 'Ask the platform about 1–50 orders (synjones.onecard.pay.query)',
    body: PayQueryBodySchema,
    responses: ['payQuery'],
  },
  'GET /v1/payments/{order_no}': {
    functionName: 'pay-query',
    access: 'payments.read',
    operationId: 'getOrder',
    summary: "The ledger's record of a payment or refund; a PENDING one is resolved with pay.query first",
    params: OrderParamsSchema,
    responses: ['order'],
  },
  'POST /v1/refunds': {
    functionName: 'refund',
    access: 'refunds.create',
    operationId: 'refund',
    summary: 'Refund (part of) a SUCCESS payment (synjones.onecard.gdccard.refund)',
    body: RefundBodySchema,
    responses: ['order'],
  },
  'GET /v1/bills/{bill_date}': {
    functionName: 'down-bill',
    access: 'bills.read',
    operationId: 'getBill',
    summary: 'The bill of one China day with its reconciliation against the ledger (synjones.onecard.down.bill)',
    params: BillParamsSchema,
    query: BillQuerySchema,
    responses: ['bill'],
  },
  'GET /v1/bills/{bill_date}/merchants': {
    functionName: 'down-bill',
    operationId: 'getBillMerchants',
    access: 'bills.read',
    summary: "What each merchant account is owed on one China day, from the day's bill",
    params: BillParamsSchema,
    query: BillDayQuerySchema,
    responses: ['merchants'],
  },
  'GET /v1/bills/{bill_date}/report.csv': {
    functionName: 'down-bill',
    operationId: 'getBillReport',
    access: 'bills.read',
    summary: 'The reconciliation report of one China day as CSV: every bill row and every ledger order the bill lacks, with its category',
    params: BillParamsSchema,
    query: BillDayQuerySchema,
    responses: ['reportCsv'],
  },
  // Served by the bill function: the reconciliations that keep exceptions run there, on the same table grants.
  'GET /v1/reconciliation/exceptions': {
    functionName: 'down-bill',
    access: 'reconciliation.read',
    operationId: 'listReconciliationExceptions',
    summary:
      "The differences kept from final bills' reconciliations, newest first_seen first (default status open), within the caller's merchant accounts",
    query: ExceptionsQuerySchema,
    responses: ['exceptions'],
  },
  'POST /v1/reconciliation/exceptions/{id}/acknowledge': {
    functionName: 'down-bill',
    access: 'reconciliation.write',
    operationId: 'acknowledgeReconciliationException',
    summary: 'A person has looked at an exception: status acknowledged with the note (a later reconciliation may still resolve it)',
    params: ExceptionParamsSchema,
    body: AcknowledgeBodySchema,
    responses: ['exception'],
  },
} as const satisfies Record<`${HttpMethod} /${string}`, RouteEntry>;

/** The table's type: what each route binds (its schemas' types give a handler's input types). */
export type RouteTable = typeof ROUTE_TABLE;
export type RouteKey = keyof RouteTable;

export const ROUTES: readonly RouteSpec[] = (Object.keys(ROUTE_TABLE) as RouteKey[]).map((routeKey) => {
  const [method, resource] = routeKey.split(' ') as [HttpMethod, string];
  return { ...(ROUTE_TABLE[routeKey] as RouteEntry), routeKey, method, resource };
});

/** The route of a key (every key of RouteTable is in ROUTES). */
export function routeOf(routeKey: RouteKey): RouteSpec {
  return ROUTES.find((spec) => spec.routeKey === routeKey) as RouteSpec;
}

/** The routes each handler serves, e.g. for infra/ wiring API Gateway methods to functions. */
export function routesOf(functionName: FunctionName): RouteSpec[] {
  return ROUTES.filter((spec) => spec.functionName === functionName);
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: RouteSpec; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

/**
 * Matches a decoded path like API Gateway does: a literal segment wins over a `{param}` one, and a
 * path whose resource exists but lacks the method is 405.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.split('/');
  let best: { resource: string; score: number; params: Record<string, string> } | undefined;
  for (const resource of new Set(ROUTES.map((spec) => spec.resource))) {
    const template = resource.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let score = 0;
    let matched = true;
    for (let index = 0; index < template.length; index++) {
      const expected = template[index] ?? '';
      const actual = segments[index] ?? '';
      if (expected.startsWith('{') && expected.endsWith('}')) {
        if (actual === '') {
          matched = false;
          break;
        }
        params[expected.slice(1, -1)] = actual;
      } else if (expected === actual) {
        score += 1;
      } else {
        matched = false;
        break;
      }
    }
    if (matched && (best === undefined || score > best.score)) best = { resource, score, params };
  }
  if (best === undefined) return { kind: 'not-found' };
  const candidates = ROUTES.filter((spec) => spec.resource === best.resource);
  const found = candidates.find((spec) => spec.method === method.toUpperCase());
  if (found === undefined) return { kind: 'method-not-allowed', allowed: candidates.map((spec) => spec.method) };
  return { kind: 'found', route: found, pathParameters: best.params };
}
