// The `Order Settled` event of API.md "Events": decided here once, from a settled ledger record, for every
// sink (EventBridge deployed, a JSON-lines file locally). The detail is the order as GET returns it.
import { createHash } from 'node:crypto';
import { orderJson, type OrderJson } from '../presenters/order-response.js';
import { ORDER_EVENTS } from '../observability/names.js';
import { OrderStatus, SettledFrom, type LedgerRecord } from '../ledger/records.js';

export const EVENT_SOURCE = ORDER_EVENTS.source;
export const ORDER_SETTLED = ORDER_EVENTS.detailType;

export type OrderSettledDetail = OrderJson & {
  readonly previous_status: typeof OrderStatus.PENDING | null;
  readonly event_id: string;
};

export interface OrderSettledEvent {
  readonly source: typeof EVENT_SOURCE;
  readonly 'detail-type': typeof ORDER_SETTLED;
  readonly detail: OrderSettledDetail;
}

/**
 * The event id of an order's final transition: the same for every (re-)publish of it, different for any
 * other order or transition (sha-256 of order_no, created_at, previous and final status).
 */
export function eventId(record: Pick<LedgerRecord, 'orderNo' | 'createdAt' | 'status'>, from: SettledFrom): string {
  const digest = createHash('sha256').update([record.orderNo, record.createdAt, from, record.status].join('\n')).digest('hex');
  return `evt-${digest.slice(0, 32)}`;
}

/** The event of a settled order; undefined for a PENDING order or one settled before events existed. */
export function orderSettledEvent(record: LedgerRecord): OrderSettledEvent | undefined {
  if (record.status === OrderStatus.PENDING || record.settledFrom === undefined) return undefined;
  return {
    source: EVENT_SOURCE,
    'detail-type': ORDER_SETTLED,
    detail: {
      ...orderJson(record),
      previous_status: record.settledFrom === SettledFrom.PENDING ? OrderStatus.PENDING : null,
      event_id: eventId(record, record.settledFrom),
    },
  };
}
