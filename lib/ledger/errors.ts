// What the ledger refuses or cannot do: an order_no reused differently, a refund it cannot allow,
// and contention among this gateway's own requests for one order.
import { GatewayError } from '../errors.js';

/** An order_no reused with different parameters (HTTP 409). */
export class OrderConflictError extends GatewayError {
  static override readonly name: string = 'OrderConflictError';
  readonly code = 'ORDER_CONFLICT';
  constructor(readonly orderNo: string, readonly field: string, options?: ErrorOptions) {
    super(`order_no ${orderNo} was already used with a different ${field}`, undefined, options);
    this.name = OrderConflictError.name;
  }
}

/**
 * An order_no another caller's order already has (HTTP 409 ORDER_CONFLICT): the message names nothing
 * of that order, not even which parameter differs.
 */
export class OrderTakenError extends OrderConflictError {
  static override readonly name: string = 'OrderTakenError';
  constructor(orderNo: string, options?: ErrorOptions) {
    super(orderNo, 'request', options);
    this.name = OrderTakenError.name;
    this.message = `order_no ${orderNo} is already used; choose another`;
  }
}

/** A refund whose original payment is not a SUCCESS payment in the ledger (HTTP 422). */
export class OriginalNotPaidError extends GatewayError {
  static override readonly name: string = 'OriginalNotPaidError';
  readonly code = 'ORIGINAL_NOT_PAID';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = OriginalNotPaidError.name;
  }
}

/** Refunds of one payment would exceed it (HTTP 422). */
export class RefundExceedsPaymentError extends GatewayError {
  static override readonly name: string = 'RefundExceedsPaymentError';
  readonly code = 'REFUND_EXCEEDS_PAYMENT';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = RefundExceedsPaymentError.name;
  }
}

/**
 * Concurrent requests for one order_no kept withdrawing and re-creating its record, so this request
 * gave up before reaching the platform. Nothing was sent; the client retries (HTTP 503 + Retry-After,
 * answered like a busy platform: lib/presenters/error-response.ts).
 */
export class LocalContentionError extends GatewayError {
  static override readonly name: string = 'LocalContentionError';
  readonly code = 'LOCAL_CONTENTION';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 2;
  constructor(readonly orderNo: string, options?: ErrorOptions) {
    super(`order_no ${orderNo} is being retried by concurrent requests; try again`, { orderNo }, options);
    this.name = LocalContentionError.name;
  }
}
