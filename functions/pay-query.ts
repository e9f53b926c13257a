// GET /v1/payments/{order_no} (the ledger's record, PENDING resolved first) and
// POST /v1/payments/query (synjones.onecard.pay.query for 1–50 orders).
import { httpHandler, route } from '../lib/http/chain.js';
import { orderResult, payQueryJson } from '../lib/http/presenters.js';
import { OrderParamsSchema, PayQueryBodySchema } from '../lib/http/schemas.js';
import { getRuntime } from '../lib/runtime.js';

export const handler = httpHandler({
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
