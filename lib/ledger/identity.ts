// Order identity: the parameters that define an order, the request hash over them, and the check that
// a request for an existing order_no is the same request (else OrderConflictError naming the first differing field).
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { OrderConflictError } from './errors.js';
import type { PayRequest, RefundRequest } from '../platform/types.js';
import { OrderType, type LedgerRecord, type NewOrder } from './records.js';

export type PaymentInput = PayRequest;
export type RefundInput = RefundRequest;

/** The order a payment request defines. @throws ValidationError for an amount that is not whole positive fen. */
export function paymentOrder(input: PaymentInput): NewOrder {
  assertPositiveFen(input.amountFen);
  const order = {
    orderNo: input.orderNo,
    type: OrderType.PAYMENT,
    account: input.account,
    acctype: input.acctype,
    mercacc: input.mercacc,
    amountFen: input.amountFen,
    ...(input.remark ? { remark: input.remark } : {}),
    ...(input.attach ? { attach: input.attach } : {}),
    ...(input.termid !== undefined ? { termid: input.termid } : {}),
  };
  return { ...order, requestHash: requestHash(order) };
}

/** The order a refund request defines. @throws ValidationError (amount, or a refund of itself). */
export function refundOrder(input: RefundInput): NewOrder {
  assertPositiveFen(input.amountFen);
  if (input.refundOrderNo === input.orderNo) {
    throw new ValidationError('refund_order_no must name another order than order_no', 'refund_order_no');
  }
  const order = {
    orderNo: input.orderNo,
    type: OrderType.REFUND,
    account: input.account,
    acctype: input.acctype,
    mercacc: input.mercacc,
    amountFen: input.amountFen,
    refundOrderNo: input.refundOrderNo,
    ...(input.termid !== undefined ? { termid: input.termid } : {}),
  };
  return { ...order, requestHash: requestHash(order) };
}

/** The parameters that define an order, in the order a conflict is reported (wire names). */
const DEFINING_FIELDS = [
  ['type', (o: Omit<NewOrder, 'requestHash'>) => o.type],
  ['account', (o) => o.account],
  ['acctype', (o) => o.acctype],
  ['mercacc', (o) => o.mercacc],
  ['tranamt', (o) => o.amountFen],
  ['remark', (o) => o.remark ?? null],
  ['attach', (o) => o.attach ?? null],
  ['termid', (o) => o.termid ?? null],
  ['refund_order_no', (o) => o.refundOrderNo ?? null],
] as const satisfies readonly (readonly [string, (order: Omit<NewOrder, 'requestHash'>) => string | number | null])[];

/** sha256 over the defining parameters: equal hash ⇔ a replay of the same request. */
export function requestHash(order: Omit<NewOrder, 'requestHash'>): string {
  const values = DEFINING_FIELDS.map(([, pick]) => pick(order));
  return createHash('sha256').update(JSON.stringify(['v1', ...values])).digest('hex');
}

/** @throws OrderConflictError naming the first defining field in which `order` differs from `stored`. */
export function assertSameRequest(stored: LedgerRecord, order: NewOrder): void {
  if (stored.requestHash === order.requestHash) return;
  for (const [field, pick] of DEFINING_FIELDS) {
    if (pick(stored) !== pick(order)) throw new OrderConflictError(order.orderNo, field);
  }
  throw new OrderConflictError(order.orderNo, 'request');
}

function assertPositiveFen(amountFen: number): void {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) {
    throw new ValidationError('tranamt must be a positive whole number of fen', 'tranamt');
  }
}
