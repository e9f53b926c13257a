// POST /v1/refunds → synjones.onecard.gdccard.refund of a SUCCESS payment, never beyond it.
import { httpHandler } from '../lib/adapter/http-handler.js';
import { orderResult } from '../lib/presenters/order-response.js';
import { createEventBridgeSink } from '../lib/events/eventbridge-sink.js';
import { getRuntime, useEventBus } from '../lib/runtime.js';

// Settles orders: their Order Settled events go to the stack's bus (only settling functions bundle its client).
useEventBus(createEventBridgeSink);

export const handler = httpHandler({
  name: 'refund',
  routes: {
    'POST /v1/refunds': async ({ body, caller }) => {
      const { payments } = await getRuntime();
      const order = await payments.refund({
        orderNo: body.order_no,
        refundOrderNo: body.refund_order_no,
        account: body.account,
        acctype: body.acctype,
        mercacc: body.mercacc,
        amountFen: body.tranamt,
        ...(body.termid !== undefined ? { termid: body.termid } : {}),
      }, caller);
      return orderResult(order);
    },
  },
});
