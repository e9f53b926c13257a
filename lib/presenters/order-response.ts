// A ledger order (fen inside) as the JSON of API.md "Payment and refund results" (yuan strings
// outside), with the HTTP status API.md gives its status.
import { BUSINESS_RETCODES } from '../protocol/codes.js';
import { formatYuan } from '../protocol/money.js';
import type { OrderRecord } from './order.js';
import type { HttpResult } from './result.js';

export interface OrderJson {
  order_no: string;
  type: 'PAYMENT' | 'REFUND';
  status: 'PENDING' | 'SUCCESS' | 'FAILED';
  account: string;
  acctype: string;
  mercacc: string;
  tranamt: string;
  out_id?: string;
  refund_order_no?: string;
  refunded?: string;
  error?: { code: string; message: string; retryable: boolean };
  created_at: string;
  updated_at: string;
  /** The caller that created it; null for an order written before callers existed. */
  caller: string | null;
  history: { at: string; status: 'PENDING' | 'SUCCESS' | 'FAILED'; by: string; reason: string }[];
}

/** API.md "Payment and refund results". */
export function orderJson(order: OrderRecord): OrderJson {
  return {
    order_no: order.orderNo,
    type: order.type,
    status: order.status,
    account: order.account,
    acctype: order.acctype,
    mercacc: order.mercacc,
    tranamt: formatYuan(order.amountFen),
    ...(order.outId !== undefined ? { out_id: order.outId } : {}),
    ...(order.refundOrderNo !== undefined ? { refund_order_no: order.refundOrderNo } : {}),
    ...(order.type === 'PAYMENT' ? { refunded: formatYuan(order.refundedFen ?? 0) } : {}),
    ...(order.status === 'FAILED' && order.error
      ? {
          error: {
            code: order.error.code,
            message: order.error.message,
            retryable: BUSINESS_RETCODES[order.error.code]?.retryable ?? false,
          },
        }
      : {}),
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    caller: order.caller ?? null,
    history: (order.history ?? []).map((entry) => ({ at: entry.at, status: entry.status, by: entry.by, reason: entry.reason })),
  };
}

/** SUCCESS 200, FAILED 422, PENDING 202. */
export function orderStatusCode(order: Pick<OrderRecord, 'status'>): number {
  if (order.status === 'SUCCESS') return 200;
  if (order.status === 'FAILED') return 422;
  return 202;
}

export function orderResult(order: OrderRecord): HttpResult {
  return { statusCode: orderStatusCode(order), body: orderJson(order) };
}
