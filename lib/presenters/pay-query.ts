// One synjones.onecard.pay.query answer as API.md's JSON: amounts in yuan, the platform's
// order_status kept and named (PENDING, SUCCESS, FAILED, NOT_FOUND, REFUNDED, UNKNOWN).
import { formatYuan } from '../protocol/money.js';
import type { PayQueryResult } from '../platform/types.js';

export type PayQueryStatus = 'PENDING' | 'SUCCESS' | 'FAILED' | 'NOT_FOUND' | 'REFUNDED' | 'UNKNOWN';

const STATUS_OF_ORDER_STATUS: Readonly<Record<string, PayQueryStatus>> = {
  '20': 'PENDING',
  '60': 'SUCCESS',
  '77': 'FAILED',
  '78': 'NOT_FOUND',
  '80': 'REFUNDED',
};

/** One pay.query answer: {order_no, account, acctype, tranamt, out_id, order_status, status, order_desc}. */
export function payQueryJson(result: PayQueryResult): Record<string, unknown> {
  return {
    order_no: result.orderNo,
    account: result.account,
    acctype: result.acctype,
    tranamt: result.amountFen !== undefined ? formatYuan(result.amountFen) : null,
    out_id: result.outId ?? null,
    order_status: result.orderStatus,
    status: STATUS_OF_ORDER_STATUS[result.orderStatus] ?? 'UNKNOWN',
    order_desc: result.orderDesc ?? result.errmsg ?? null,
  };
}
