// The ledger's DynamoDB item form, in one place: the key, the item a new order is written as, and
// the record read back from any item (low-level AttributeValues; amounts integer fen as N).
//
// Item: order_no S (PK) · type S PAYMENT|REFUND · status S PENDING|SUCCESS|FAILED · account S · acctype S ·
//   mercacc S · amount_fen N · remark S? · attach S? · termid N? · out_id S? (SUCCESS) ·
//   refund_order_no S? (refunds: the original payment) · payments only: refundable_fen N (what refunds may
//   still reserve), refunded_fen N (SUCCESS refunds so far), refund_reservations SS? (refund order_nos
//   holding a reservation; absent when empty) · error_code S / error_message S (FAILED) ·
//   last_error_code S / last_error_message S (why it is still PENDING) · created_at S / updated_at S (ISO 8601
//   +08:00) · trade_day S (China yyyyMMdd of created_at; GSI by_day) · pending S = "PENDING" only while
//   status is PENDING (sparse GSI pending, sorted by created_at) · request_hash S · version N · attempts N ·
//   settled_from S NEW|PENDING (set with the final status; absent on items settled before events) ·
//   outbox S = "DUE" while the order's event awaits publishing (set in the same write as the final status,
//   removed after a publish; sparse GSI outbox, sorted by updated_at).
//   caller S? (the caller that created it) · history L? of M {at S, status S, by S, reason S}, oldest first.
//   Items written before callers and history lack the last two and still read (recordFromItem).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../dynamo/conditional.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import { LEDGER_TABLE_KEY } from '../tables.js';
import {
  isOrderStatus,
  isOrderType,
  OrderStatus,
  OrderType,
  SettledFrom,
  StatusSetter,
  type DayOrder,
  type DayOrderSink,
  type HistoryEntry,
  type LedgerRecord,
  type NewOrder,
} from './records.js';

const { partitionKey, byDayIndex, pendingIndex } = LEDGER_TABLE_KEY;

/** The value of the sparse `pending` index key while an order is PENDING. */
export const PENDING_MARK = OrderStatus.PENDING;

/** The value of the sparse `outbox` index key while an order's event awaits publishing. */
export const OUTBOX_MARK = 'DUE';

/** The item's DynamoDB key. */
export function orderKey(orderNo: string): Item {
  return { [partitionKey]: { S: orderNo } };
}

/** One history entry as a DynamoDB map. */
export function historyEntryItem(entry: HistoryEntry): AttributeValue {
  return { M: { at: { S: entry.at }, status: { S: entry.status }, by: { S: entry.by }, reason: { S: entry.reason } } };
}

/** Why an item without history has the status it has: the only thing it can say. */
export const UNRECORDED_REASON = 'recorded before the ledger kept a history';

/** The item createPending writes: PENDING, in the pending index, version 1, no attempts yet. */
export function newItem(order: NewOrder, at: Date): Item {
  const stamp = toChinaIso(at);
  const item: Item = {
    ...orderKey(order.orderNo),
    type: { S: order.type },
    status: { S: OrderStatus.PENDING },
    [pendingIndex.partitionKey]: { S: PENDING_MARK },
    account: { S: order.account },
    acctype: { S: order.acctype },
    mercacc: { S: order.mercacc },
    amount_fen: { N: String(order.amountFen) },
    [pendingIndex.sortKey]: { S: stamp },
    updated_at: { S: stamp },
    [byDayIndex.partitionKey]: { S: chinaDate(at) },
    request_hash: { S: order.requestHash },
    version: { N: '1' },
    attempts: { N: '0' },
    history: { L: [historyEntryItem({ at: stamp, status: OrderStatus.PENDING, by: order.caller ?? StatusSetter.GATEWAY, reason: 'order created' })] },
  };
  if (order.caller !== undefined) item.caller = { S: order.caller };
  if (order.remark !== undefined && order.remark !== '') item.remark = { S: order.remark };
  if (order.attach !== undefined && order.attach !== '') item.attach = { S: order.attach };
  if (order.termid !== undefined) item.termid = { N: String(order.termid) };
  if (order.type === OrderType.PAYMENT) {
    item.refundable_fen = { N: String(order.amountFen) };
    item.refunded_fen = { N: '0' };
  } else if (order.refundOrderNo !== undefined) {
    item.refund_order_no = { S: order.refundOrderNo };
  }
  return item;
}

type ItemMap = Record<string, AttributeValue>;

// Module-level readers (not closures made per item: a day's listByDay parses a million items).
function itemText(item: ItemMap, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`ledger item lacks ${name}`);
  return value;
}

function itemOptionalText(item: ItemMap, name: string): string | undefined {
  return item[name]?.S;
}

function itemOptionalInteger(item: ItemMap, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`ledger item ${name} is not an integer`);
  return value;
}

function itemInteger(item: ItemMap, name: string): number {
  const value = itemOptionalInteger(item, name);
  if (value === undefined) throw new Error(`ledger item lacks ${name}`);
  return value;
}

/**
 * The one reading of the attributes the day's reconciliation needs (DAY_ORDER_ATTRIBUTES), checked, handed to
 * `sink` field by field; recordFromItem and dayOrderFromItem both start here, and listDayOrders' readInto reads
 * a million items through it without an object each.
 * @throws Error on an item this module did not write.
 */
export function readDayOrder(item: ItemMap, sink: DayOrderSink): void {
  const type = itemText(item, 'type');
  const status = itemText(item, 'status');
  if (!isOrderType(type)) throw new Error(`ledger item has unknown type ${type}`);
  if (!isOrderStatus(status)) throw new Error(`ledger item has unknown status ${status}`);
  sink.order(
    itemText(item, partitionKey),
    type,
    status,
    itemText(item, 'account'),
    itemText(item, 'acctype'),
    itemText(item, 'mercacc'),
    itemInteger(item, 'amount_fen'),
    item.out_id?.S,
    itemText(item, pendingIndex.sortKey),
  );
}

/** The attributes readDayOrder reads (the day's Query's ProjectionExpression names them). */
export const DAY_ORDER_ATTRIBUTES = ['order_no', 'type', 'status', 'account', 'acctype', 'mercacc', 'amount_fen', 'out_id', 'created_at'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** readDayOrder's fields as an object (one reused sink: the reading is synchronous). */
let madeOrder: Mutable<DayOrder> | undefined;
const orderMaker: DayOrderSink = {
  order(orderNo, type, status, account, acctype, mercacc, amountFen, outId, createdAt) {
    madeOrder = { orderNo, type, status, account, acctype, mercacc, amountFen, createdAt };
    if (outId !== undefined) madeOrder.outId = outId;
  },
};

/** The reconciliation's view of a stored item (only DAY_ORDER_ATTRIBUTES); throws on an item this module did not write. */
export function dayOrderFromItem(item: Record<string, AttributeValue>): DayOrder {
  readDayOrder(item, orderMaker);
  const order = madeOrder!;
  madeOrder = undefined;
  return order;
}

/** Parses a stored item (its day-order part by readDayOrder, then the rest); throws on an item this module did not write. */
export function recordFromItem(item: Record<string, AttributeValue>): LedgerRecord {
  const order = dayOrderFromItem(item);
  const errorCode = itemOptionalText(item, 'error_code');
  const lastErrorCode = itemOptionalText(item, 'last_error_code');
  const reservations = item.refund_reservations?.SS;
  const record: Mutable<LedgerRecord> = {
    ...order,
    updatedAt: itemText(item, 'updated_at'),
    tradeDay: itemText(item, byDayIndex.partitionKey),
    requestHash: itemText(item, 'request_hash'),
    version: itemInteger(item, 'version'),
    attempts: itemInteger(item, 'attempts'),
    history: historyOf(item.history, order.status, itemText(item, 'updated_at')),
  };
  const remark = itemOptionalText(item, 'remark');
  if (remark !== undefined) record.remark = remark;
  const attach = itemOptionalText(item, 'attach');
  if (attach !== undefined) record.attach = attach;
  const termid = itemOptionalInteger(item, 'termid');
  if (termid !== undefined) record.termid = termid;
  const refundOrderNo = itemOptionalText(item, 'refund_order_no');
  if (refundOrderNo !== undefined) record.refundOrderNo = refundOrderNo;
  const refundableFen = itemOptionalInteger(item, 'refundable_fen');
  if (refundableFen !== undefined) record.refundableFen = refundableFen;
  const refundedFen = itemOptionalInteger(item, 'refunded_fen');
  if (refundedFen !== undefined) record.refundedFen = refundedFen;
  const settledFrom = itemOptionalText(item, 'settled_from');
  if (settledFrom === SettledFrom.NEW || settledFrom === SettledFrom.PENDING) record.settledFrom = settledFrom;
  if (item[LEDGER_TABLE_KEY.outboxIndex.partitionKey]?.S === OUTBOX_MARK) record.outboxDue = true;
  if (reservations && reservations.length > 0) record.refundReservations = [...reservations].sort();
  const caller = itemOptionalText(item, 'caller');
  if (caller !== undefined) record.caller = caller;
  if (errorCode !== undefined) record.error = { code: errorCode, message: itemOptionalText(item, 'error_message') ?? '' };
  if (lastErrorCode !== undefined) {
    record.lastError = { code: lastErrorCode, message: itemOptionalText(item, 'last_error_message') ?? '' };
  }
  return record;
}

/** The stored history; for an item written before it was kept, one entry: the status it has now. */
function historyOf(value: AttributeValue | undefined, status: LedgerRecord['status'], updatedAt: string): HistoryEntry[] {
  if (value?.L === undefined) return [{ at: updatedAt, status, by: StatusSetter.GATEWAY, reason: UNRECORDED_REASON }];
  const entries: HistoryEntry[] = [];
  for (let index = 0; index < value.L.length; index++) {
    const entry = value.L[index]!;
    const entryStatus = historyField(entry, index, 'status');
    if (!isOrderStatus(entryStatus)) throw new Error(`ledger item history[${index}] has unknown status ${entryStatus}`);
    entries.push({ at: historyField(entry, index, 'at'), status: entryStatus, by: historyField(entry, index, 'by'), reason: historyField(entry, index, 'reason') });
  }
  return entries;
}

function historyField(entry: AttributeValue, index: number, name: string): string {
  const text = entry.M?.[name]?.S;
  if (text === undefined) throw new Error(`ledger item history[${index}] lacks ${name}`);
  return text;
}
