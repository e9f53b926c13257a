// Turns lib/ results (fen inside) into the JSON of API.md (yuan strings outside): orders, cards,
// pay.query results and bills, each with the HTTP status API.md gives it.
import { BUSINESS_RETCODES } from '../protocol/codes.js';
import { formatYuan, parseFenString } from '../protocol/money.js';
import type { CardRecord, PayQueryResult } from '../platform/types.js';
import type { OrderRecord } from './order.js';
import type { HttpResult } from '../adapter/http-handler.js';

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

/** Every field the platform returned, plus db_balance_yuan and unsettle_amount_yuan. */
export function cardJson(card: CardRecord): Record<string, unknown> {
  return {
    ...card,
    db_balance_yuan: fenToYuan(card['db_balance']),
    unsettle_amount_yuan: fenToYuan(card['unsettle_amount']),
  };
}

function fenToYuan(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  try {
    return formatYuan(parseFenString(value));
  } catch {
    return null;
  }
}

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
