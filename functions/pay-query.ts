// GET /v1/payments/{order_no} (the ledger's record, PENDING resolved first),
// POST /v1/payments/query (synjones.onecard.pay.query for 1–50 orders), and the settlement schedule
// ({"kind":"settle-pending"}) that resolves old PENDING orders and publishes PendingOlderThan15m, then
// sweeps the events outbox (Order Settled events a failed or cut-off publish left) and publishes EventsOverdue.
import { apiAndScheduled } from '../lib/adapter/dispatch.js';
import { httpHandler } from '../lib/adapter/http-handler.js';
import { scheduledHandler } from '../lib/adapter/scheduled-handler.js';
import { publishServiceMetric } from '../lib/observability/metrics.js';
import { CUSTOM_METRICS } from '../lib/observability/names.js';
import { orderResult } from '../lib/presenters/order-response.js';
import { payQueryJson } from '../lib/presenters/pay-query.js';
import { settlePendingOrders } from '../lib/ledger/settler.js';
import { createEventBridgeSink } from '../lib/events/eventbridge-sink.js';
import { getRuntime, useEventBus } from '../lib/runtime.js';
import { timeLeft } from '../lib/adapter/time-left.js';

// Settles orders: their Order Settled events go to the stack's bus (only settling functions bundle its client).
useEventBus(createEventBridgeSink);

/** The EventBridge Scheduler payload of the settlement run (infra/ schedules it). */
export interface SettlePendingEvent {
  readonly kind: 'settle-pending';
}

const api = httpHandler({
  name: 'pay-query',
  routes: {
    'GET /v1/payments/{order_no}': async ({ params, caller }) => {
      const { payments } = await getRuntime();
      return orderResult(await payments.getOrder(params.order_no, caller));
    },
    'POST /v1/payments/query': async ({ body, caller }) => {
      const { payments } = await getRuntime();
      const results = await payments.queryPayments(
        body.queries.map((query) => ({ account: query.account, acctype: query.acctype, orderNo: query.order_no })),
        caller,
      );
      return { statusCode: 200, body: { results: results.map(payQueryJson) } };
    },
  },
});

const settle = scheduledHandler({
  name: 'settle-pending',
  handle: async (_event: SettlePendingEvent, context) => {
    const { payments, ledger, now, timings, outbox } = await getRuntime();
    let settled: Awaited<ReturnType<typeof settlePendingOrders>> | undefined;
    let settleError: unknown;
    try {
      settled = await settlePendingOrders({
        payments,
        ledger,
        now,
        ...timeLeft(context, 'schedule'),
        olderThanMs: timings.settleOlderThanMs,
        reserveMs: timings.settleReserveMs,
        publishMetric: publishServiceMetric,
      });
    } catch (error) {
      settleError = error;
    }
    // The sweep runs even when settling failed: publishing does not depend on the platform.
    const events = await outbox.sweep();
    publishServiceMetric(CUSTOM_METRICS.eventsOverdue, events.overdue);
    if (!settled) throw settleError;
    return { ...settled, events };
  },
  summarize: (report) => ({ ...report }),
});

export const handler = apiAndScheduled({ api, kind: 'settle-pending', scheduled: settle });
