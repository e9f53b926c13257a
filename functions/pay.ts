// POST /v1/payments → synjones.onecard.gdccard.pay, once per order_no, through the ledger.
import { httpHandler } from '../lib/adapter/http-handler.js';
import { orderResult } from '../lib/presenters/order-response.js';
import { createEventBridgeSink } from '../lib/events/eventbridge-sink.js';
import { getRuntime, useEventBus } from '../lib/runtime.js';

// Settles orders: their Order Settled events go to the stack's bus (only settling functions bundle its client).
useEventBus(createEventBridgeSink);

export const handler = httpHandler({
  name: 'pay',
  routes: {
    'POST /v1/payments': async ({ body, caller }) => {
      const { payments } = await getRuntime();
      const order = await payments.pay({
        orderNo: body.order_no,
        account: body.account,
        acctype: body.acctype,
        mercacc: body.mercacc,
        amountFen: body.tranamt,
        ...(body.remark !== undefined ? { remark: body.remark } : {}),
        ...(body.attach !== undefined ? { attach: body.attach } : {}),
        ...(body.termid !== undefined ? { termid: body.termid } : {}),
      }, caller);
      return orderResult(order);
    },
  },
});
