// What the ledger holds, as TypeScript sees it: order types and statuses as data, one record per
// order_no, and the new order a request defines. The DynamoDB item form is in items.ts.

export const OrderType = { PAYMENT: 'PAYMENT', REFUND: 'REFUND' } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

export const OrderStatus = { PENDING: 'PENDING', SUCCESS: 'SUCCESS', FAILED: 'FAILED' } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** What a settled order was before its final status (the event's previous_status: NEW → null). */
export const SettledFrom = { NEW: 'NEW', PENDING: 'PENDING' } as const;
export type SettledFrom = (typeof SettledFrom)[keyof typeof SettledFrom];

// Listed once: the checks run per stored item read (a million for a day's bill), so no array per call.
const ORDER_TYPES: readonly string[] = Object.values(OrderType);
const ORDER_STATUSES: readonly string[] = Object.values(OrderStatus);

export function isOrderType(value: string): value is OrderType {
  return ORDER_TYPES.includes(value);
}

export function isOrderStatus(value: string): value is OrderStatus {
  return ORDER_STATUSES.includes(value);
}

export interface LedgerError {
  readonly code: string;
  readonly message: string;
}

/** Who or what set a status (API.md `history[].by`): a caller's name, or one of these. */
export const StatusSetter = { SETTLER: 'settler', BILL: 'bill', GATEWAY: 'gateway' } as const;

/** One status the order has had, with who or what set it and why. */
export interface HistoryEntry {
  readonly at: string;
  readonly status: OrderStatus;
  readonly by: string;
  readonly reason: string;
}

/** Who sets a status and why, as a write of it records. */
export interface StatusMark {
  readonly by: string;
  readonly reason: string;
}

/** One ledger item, as TypeScript sees it. */
export interface LedgerRecord {
  readonly orderNo: string;
  readonly type: OrderType;
  readonly status: OrderStatus;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly remark?: string;
  readonly attach?: string;
  readonly termid?: number;
  readonly outId?: string;
  /** Refunds: the original payment's order_no. */
  readonly refundOrderNo?: string;
  /** Payments: what refunds may still reserve. */
  readonly refundableFen?: number;
  /** Payments: the sum of SUCCESS refunds. */
  readonly refundedFen?: number;
  /** Payments: refund order_nos currently holding a reservation. */
  readonly refundReservations?: readonly string[];
  /** FAILED: why (the platform's code, or ORDER_STATUS_77/78, or REFUND_EXCEEDS_PAYMENT). */
  readonly error?: LedgerError;
  /** PENDING: the last reason the outcome is still unknown. */
  readonly lastError?: LedgerError;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tradeDay: string;
  readonly requestHash: string;
  /** Settled orders written since events exist: what the order was before its final status (NEW: the
   *  request that created it settled it; PENDING: it was answered PENDING first, or its request died). */
  readonly settledFrom?: SettledFrom;
  /** True while its `Order Settled` event awaits publishing (the outbox, lib/events). */
  readonly outboxDue?: boolean;
  /** Writes to the item so far (1 when created). A write counter, not a lock: see store.ts. */
  readonly version: number;
  /** Outcome writes for this order (the money call's result, each pay.query pass, a refund refused for
   *  exceeding its payment). 0 = nothing recorded yet: the request that created it may still be calling. */
  readonly attempts: number;
  /** The caller that created it; absent on items written before callers existed. */
  readonly caller?: string;
  /** Every status, oldest first; recordFromItem always sets it (an item written before history was kept
   *  reads as one entry: its status now). Optional only for records built by hand. */
  readonly history?: readonly HistoryEntry[];
}

/** What createPending writes. */
export interface NewOrder {
  readonly orderNo: string;
  readonly type: OrderType;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly remark?: string;
  readonly attach?: string;
  readonly termid?: number;
  readonly refundOrderNo?: string;
  readonly requestHash: string;
  /** The caller creating it (not part of the request hash: another caller's reuse is refused before). */
  readonly caller?: string;
}

/** What the bill's reconciliation needs of an order (LedgerStore.listDayOrders reads only these attributes). */
export type DayOrder = Pick<LedgerRecord, 'orderNo' | 'type' | 'status' | 'account' | 'acctype' | 'mercacc' | 'amountFen' | 'outId' | 'createdAt'>;

/**
 * Takes a day's orders field by field (DayOrderPages.readInto): a million orders handed over without an object
 * each. Fields as DayOrder's; outId undefined when the order has none.
 */
export interface DayOrderSink {
  order(
    orderNo: string,
    type: LedgerRecord['type'],
    status: LedgerRecord['status'],
    account: string,
    acctype: string,
    mercacc: string,
    amountFen: number,
    outId: string | undefined,
    createdAt: string,
  ): void;
}

/**
 * Day orders that can also be read a page at a time (what LedgerStore.listDayOrders returns): a million orders
 * one by one through async generators is several promises each; by page it is one per page, and `readInto`
 * makes no object per order at all.
 */
export interface DayOrderPages extends AsyncIterable<DayOrder> {
  pages(): AsyncIterable<readonly DayOrder[]>;
  /** Every order, ascending order_no, into `sink` (one await a page); resolves with how many. */
  readInto(sink: DayOrderSink): Promise<number>;
}

export function hasDayOrderPages(orders: AsyncIterable<DayOrder> | Iterable<DayOrder>): orders is DayOrderPages {
  return typeof (orders as Partial<DayOrderPages>).readInto === 'function';
}
