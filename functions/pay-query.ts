// GET /v1/payments/{order_no} (the ledger's record, PENDING resolved first),
// POST /v1/payments/query (synjones.onecard.pay.query for 1–50 orders), and the settlement schedule
// ({"kind":"settle-pending"}) that resolves old PENDING orders and publishes PendingOlderThan15m.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { httpHandler, isScheduledEvent, route, scheduledHandler } from '../lib/adapter/http-handler.js';
import { publishServiceMetric } from '../lib/observability/metrics.js';
import { orderResult, payQueryJson } from '../lib/presenters/order-response.js';
import { OrderParamsSchema, PayQueryBodySchema } from '../lib/api/schemas.js';
import { settlePendingOrders, type SettlementReport } from '../lib/ledger/settler.js';
import { getRuntime } from '../lib/runtime.js';

/** The EventBridge Scheduler payload of the settlement run (infra/gateway-stack.ts). */
export interface SettlePendingEvent {
  readonly kind: 'settle-pending';
}

const api = httpHandler({
  name: 'pay-query',
  routes: {
    'GET /v1/payments/{order_no}': route({
      params: OrderParamsSchema,
      handle: async ({ params }) => {
        const { payments } = await getRuntime();
        return orderResult(await payments.getOrder(params.order_no));
      },
    }),
    'POST /v1/payments/query': route({
      body: PayQueryBodySchema,
      handle: async ({ body }) => {
        const { payments } = await getRuntime();
        const results = await payments.queryPayments(
          body.queries.map((query) => ({ account: query.account, acctype: query.acctype, orderNo: query.order_no })),
        );
        return { statusCode: 200, body: { results: results.map(payQueryJson) } };
      },
    }),
  },
});

const settle = scheduledHandler({
  name: 'settle-pending',
  handle: async (_event: SettlePendingEvent, context: Context) => {
    const { payments, ledger, now, timings } = await getRuntime();
    return settlePendingOrders({
      payments,
      ledger,
      now,
      ...(typeof context?.getRemainingTimeInMillis === 'function' ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
      olderThanMs: timings.settleOlderThanMs,
      reserveMs: timings.settleReserveMs,
      publishMetric: publishServiceMetric,
    });
  },
  summarize: (report) => ({ ...report }),
});

type PayQueryHandler = {
  (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult>;
  (event: SettlePendingEvent, context: Context): Promise<SettlementReport>;
};

export const handler = (async (event: APIGatewayProxyEvent | SettlePendingEvent, context: Context) =>
  isScheduledEvent<SettlePendingEvent['kind']>(event, 'settle-pending') ? settle(event, context) : api(event, context)) as PayQueryHandler;
