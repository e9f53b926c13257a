// The payment ledger in DynamoDB: one item per order_no (payments and refunds), single-item conditional
// writes only (no transactions), ordered so a crash between any two writes is completed by a replay or the settler.
//
// Every write goes through lib/dynamo's writeIf: a failed condition answers with the stored item, so
// no write is followed by a read. The item form is in items.ts. `version` counts the writes to an item;
// no condition tests it, because each write's condition names the state that must hold (status,
// attempts, a held reservation), which a version lock would only make fail on harmless concurrent writes.
// Invariant on a payment: refundable_fen + (amounts of refund_reservations) + refunded_fen = amount_fen.
//
// Write order (each step one conditional write; "crash here" = what completes it):
//   pay:    1 put PENDING (attribute_not_exists) → platform call → 2 settle (status = PENDING).
//           Crash after 1: the item is PENDING in the pending index; a replay, getOrder or the settler
//           resolves it with pay.query (78 "no such order" fails it only after the grace period).
//   refund: 1 put refund PENDING → 2 reserve on the payment (refundable_fen >= amt, status = SUCCESS,
//           refund not yet reserved) → platform call → 3 on the payment: complete (reserved → refunded_fen)
//           or release (reserved → refundable_fen), both conditional on the reservation still being held,
//           so each happens at most once → 4 settle the refund (status = PENDING).
//           The payment side is always written before the refund leaves PENDING, so a crash anywhere
//           leaves the refund PENDING and findable; resolving it repeats step 3 (a no-op when done).
//   events: the write that sets the final status also sets `outbox` (one conditional write: the status and the
//           intent to publish cannot part); lib/events publishes the event, then clearOutbox removes the mark.
//           Crash in between: the sweeper (settlement schedule) finds the item in the sparse outbox index.
//   withdraw: when the platform certainly never saw the call (no token, connection refused, a system-level
//           rejection), the PENDING item is deleted (only while PENDING with no outcome recorded), so the
//           client may send the same order_no again. A refund releases its reservation first.
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { writeIf } from '../dynamo/conditional.js';
import { batchGetAll, queryAll } from '../dynamo/paging.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { LEDGER_TABLE_KEY } from '../tables.js';
import { dayOrderPages } from './day-orders.js';
import { historyEntryItem, newItem, orderKey, OUTBOX_MARK, PENDING_MARK, recordFromItem } from './items.js';
import { OrderStatus, OrderType, SettledFrom, StatusSetter, type DayOrder, type LedgerError, type LedgerRecord, type NewOrder, type StatusMark } from './records.js';

export type * from './store-types.js';
import type { CreateResult, DayListOptions, LedgerStore, LedgerStoreOptions, ListOptions, NoteResult, Reservation, ReserveResult, SettleOutcome, SettleResult } from './store-types.js';

const DEFAULT_PAGE_SIZE = 500;
const { partitionKey, byDayIndex, pendingIndex, outboxIndex } = LEDGER_TABLE_KEY;

type Names = Record<string, string>;
type Values = Record<string, AttributeValue>;

/** The SET clauses and attributes every write to an item carries: updated_at and the write counter. */
function touched(at: Date): { sets: string[]; names: Names; values: Values } {
  return {
    sets: ['#updated_at = :updated', '#version = #version + :one'],
    names: { '#updated_at': 'updated_at', '#version': 'version' },
    values: { ':updated': { S: toChinaIso(at) }, ':one': { N: '1' } },
  };
}

export function createLedgerStore(options: LedgerStoreOptions): LedgerStore {
  const { client, tableName } = options;
  const defaultPageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;

  /** A conditional update of one order; the item after it, or the stored one when the condition failed. */
  const update = async (
    orderNo: string,
    expression: { update: string; condition: string; names: Names; values: Values },
  ): Promise<{ written: boolean; item: Record<string, AttributeValue> | undefined }> => {
    const result = await writeIf(client, {
      update: {
        TableName: tableName,
        Key: orderKey(orderNo),
        UpdateExpression: expression.update,
        ConditionExpression: expression.condition,
        ExpressionAttributeNames: expression.names,
        ExpressionAttributeValues: expression.values,
        ReturnValues: 'ALL_NEW',
      },
    });
    return result.written ? { written: true, item: result.attributes } : { written: false, item: result.stored };
  };

  const get = async (orderNo: string): Promise<LedgerRecord | undefined> => {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: orderKey(orderNo), ConsistentRead: true }));
    return Item ? recordFromItem(Item) : undefined;
  };

  const getMany = async (orderNos: readonly string[]): Promise<Map<string, LedgerRecord>> => {
    const items = await batchGetAll(client, tableName, [...new Set(orderNos)].map(orderKey));
    return new Map(items.map((item) => recordFromItem(item)).map((record) => [record.orderNo, record]));
  };

  const createPending = async (order: NewOrder, at: Date): Promise<CreateResult> => {
    const item = newItem(order, at);
    // Two rounds: with an emulator that does not return the stored item, it may be withdrawn between
    // our failed put and the fallback read.
    for (let round = 0; ; round++) {
      const result = await writeIf(client, {
        put: {
          TableName: tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#order_no)',
          ExpressionAttributeNames: { '#order_no': partitionKey },
        },
        key: orderKey(order.orderNo),
      });
      if (result.written) return { created: true, record: recordFromItem(item) };
      if (result.stored) return { created: false, record: recordFromItem(result.stored) };
      if (round >= 1) throw new Error(`ledger item ${order.orderNo} keeps vanishing`);
    }
  };

  const withdraw = async (orderNo: string): Promise<boolean> => {
    const result = await writeIf(
      client,
      {
        delete: {
          TableName: tableName,
          Key: orderKey(orderNo),
          ConditionExpression: '#status = :pending AND #attempts = :zero',
          ExpressionAttributeNames: { '#status': 'status', '#attempts': 'attempts' },
          ExpressionAttributeValues: { ':pending': { S: OrderStatus.PENDING }, ':zero': { N: '0' } },
        },
      },
      { needStored: false },
    );
    return result.written;
  };

  const settle = async (orderNo: string, outcome: SettleOutcome, at: Date, from: SettledFrom = SettledFrom.PENDING, mark?: StatusMark): Promise<SettleResult> => {
    const { sets, names, values } = touched(at);
    sets.push('#status = :status', '#attempts = #attempts + :one', '#settled_from = :from', '#outbox = :outbox', '#history = list_append(if_not_exists(#history, :no_history), :history)');
    Object.assign(names, {
      '#status': 'status',
      '#attempts': 'attempts',
      '#pending': pendingIndex.partitionKey,
      '#settled_from': 'settled_from',
      '#outbox': outboxIndex.partitionKey,
      '#history': 'history',
    });
    const entry = {
      at: toChinaIso(at),
      status: outcome.status,
      by: mark?.by ?? StatusSetter.GATEWAY,
      reason: mark?.reason ?? (outcome.status === OrderStatus.FAILED ? `${outcome.error.code || 'UNKNOWN'}: ${outcome.error.message}` : 'settled'),
    };
    Object.assign(values, {
      ':pending': { S: OrderStatus.PENDING },
      ':status': { S: outcome.status },
      ':from': { S: from },
      ':outbox': { S: OUTBOX_MARK },
      ':no_history': { L: [] },
      ':history': { L: [historyEntryItem(entry)] },
    });
    if (outcome.status === OrderStatus.SUCCESS) {
      if (outcome.outId !== undefined && outcome.outId !== '') {
        sets.push('#out_id = :out_id');
        names['#out_id'] = 'out_id';
        values[':out_id'] = { S: outcome.outId };
      }
    } else {
      sets.push('#error_code = :error_code', '#error_message = :error_message');
      names['#error_code'] = 'error_code';
      names['#error_message'] = 'error_message';
      values[':error_code'] = { S: outcome.error.code || 'UNKNOWN' };
      values[':error_message'] = { S: outcome.error.message || outcome.error.code || 'failed' };
    }
    const { written, item } = await update(orderNo, {
      update: `SET ${sets.join(', ')} REMOVE #pending`,
      condition: '#status = :pending',
      names,
      values,
    });
    if (!item) throw new Error(written ? `ledger settle of ${orderNo} returned no item` : `ledger item ${orderNo} vanished`);
    return { settled: written, record: recordFromItem(item) };
  };

  // Bookkeeping only: updated_at stays (the order did not change), the write counter moves.
  const clearOutbox = async (orderNo: string): Promise<boolean> => {
    const result = await writeIf(
      client,
      {
        update: {
          TableName: tableName,
          Key: orderKey(orderNo),
          UpdateExpression: 'SET #version = #version + :one REMOVE #outbox',
          ConditionExpression: 'attribute_exists(#outbox)',
          ExpressionAttributeNames: { '#version': 'version', '#outbox': outboxIndex.partitionKey },
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
      },
      { needStored: false },
    );
    return result.written;
  };

  const note = async (orderNo: string, lastError: LedgerError | undefined, at: Date): Promise<NoteResult> => {
    const { sets, names, values } = touched(at);
    sets.push('#attempts = #attempts + :one');
    Object.assign(names, { '#status': 'status', '#attempts': 'attempts' });
    values[':pending'] = { S: OrderStatus.PENDING };
    if (lastError) {
      names['#last_error_code'] = 'last_error_code';
      names['#last_error_message'] = 'last_error_message';
      values[':code'] = { S: lastError.code || 'UNKNOWN' };
      values[':message'] = { S: lastError.message || lastError.code || 'unknown' };
      sets.push('#last_error_code = :code', '#last_error_message = :message');
    }
    const { written, item } = await update(orderNo, {
      update: `SET ${sets.join(', ')}`,
      condition: '#status = :pending',
      names,
      values,
    });
    return { noted: written, record: item && recordFromItem(item) };
  };

  const reserve = async (paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<Reservation> => {
    const { sets, names, values } = touched(at);
    const { written, item } = await update(paymentNo, {
      update: `SET #refundable = #refundable - :amount, ${sets.join(', ')} ADD #reservations :refund_set`,
      condition:
        '#type = :payment AND #status = :success AND #refundable >= :amount AND NOT contains(#reservations, :refund_no)',
      names: {
        ...names,
        '#type': 'type',
        '#status': 'status',
        '#refundable': 'refundable_fen',
        '#reservations': 'refund_reservations',
      },
      values: {
        ...values,
        ':payment': { S: OrderType.PAYMENT },
        ':success': { S: OrderStatus.SUCCESS },
        ':amount': { N: String(amountFen) },
        ':refund_no': { S: refundNo },
        ':refund_set': { SS: [refundNo] },
      },
    });
    if (written) return { result: 'RESERVED' };
    const payment = item && recordFromItem(item);
    if (!payment || payment.type !== OrderType.PAYMENT || payment.status !== OrderStatus.SUCCESS) {
      return payment ? { result: 'NOT_REFUNDABLE', payment } : { result: 'NOT_REFUNDABLE' };
    }
    if (payment.refundReservations?.includes(refundNo)) return { result: 'ALREADY_RESERVED', payment };
    return { result: 'INSUFFICIENT', payment };
  };

  /** Moves refundNo's reservation into `target` (refunded_fen or refundable_fen), at most once. */
  const consumeReservation = async (
    paymentNo: string,
    refundNo: string,
    amountFen: number,
    target: 'refunded_fen' | 'refundable_fen',
    at: Date,
  ): Promise<boolean> => {
    const { sets, names, values } = touched(at);
    const result = await writeIf(
      client,
      {
        update: {
          TableName: tableName,
          Key: orderKey(paymentNo),
          UpdateExpression: `SET #target = #target + :amount, ${sets.join(', ')} DELETE #reservations :refund_set`,
          ConditionExpression: 'contains(#reservations, :refund_no)',
          ExpressionAttributeNames: { ...names, '#target': target, '#reservations': 'refund_reservations' },
          ExpressionAttributeValues: {
            ...values,
            ':amount': { N: String(amountFen) },
            ':refund_no': { S: refundNo },
            ':refund_set': { SS: [refundNo] },
          },
        },
      },
      { needStored: false },
    );
    return result.written;
  };

  async function* query(
    indexName: string,
    keyCondition: string,
    names: Names,
    values: Values,
    pageSize: number,
    filter?: string,
  ): AsyncIterable<LedgerRecord> {
    const items = queryAll(client, {
      TableName: tableName,
      IndexName: indexName,
      KeyConditionExpression: keyCondition,
      ...(filter ? { FilterExpression: filter } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: true,
      Limit: pageSize,
    });
    for await (const item of items) yield recordFromItem(item);
  }

  return {
    get,
    getMany,
    listDayOrders: (tradeDay, listOptions) => dayOrderPages(client, tableName, tradeDay, listOptions),
    createPending,
    withdraw,
    settle,
    clearOutbox,
    note,
    notePending: async (orderNo, lastError, at) => {
      const { noted, record } = await note(orderNo, lastError, at);
      return noted ? record : undefined;
    },
    reserve,
    reserveRefund: async (paymentNo, refundNo, amountFen, at) => (await reserve(paymentNo, refundNo, amountFen, at)).result,
    completeRefund: (paymentNo, refundNo, amountFen, at) =>
      consumeReservation(paymentNo, refundNo, amountFen, 'refunded_fen', at),
    releaseRefund: (paymentNo, refundNo, amountFen, at) =>
      consumeReservation(paymentNo, refundNo, amountFen, 'refundable_fen', at),
    listByDay: (tradeDay, listOptions) => {
      const from = listOptions?.createdFrom;
      return query(
        byDayIndex.name,
        '#day = :day',
        { '#day': byDayIndex.partitionKey, ...(from ? { '#created': 'created_at' } : {}) },
        { ':day': { S: tradeDay }, ...(from ? { ':from': { S: toChinaIso(from) } } : {}) },
        listOptions?.pageSize ?? defaultPageSize,
        from ? '#created >= :from' : undefined,
      );
    },
    listPending: (olderThan, listOptions) =>
      query(
        pendingIndex.name,
        olderThan ? '#pending = :pending AND #created < :before' : '#pending = :pending',
        { '#pending': pendingIndex.partitionKey, ...(olderThan ? { '#created': pendingIndex.sortKey } : {}) },
        { ':pending': { S: PENDING_MARK }, ...(olderThan ? { ':before': { S: toChinaIso(olderThan) } } : {}) },
        listOptions?.pageSize ?? defaultPageSize,
      ),
    listOutbox: (olderThan, listOptions) =>
      query(
        outboxIndex.name,
        olderThan ? '#outbox = :due AND #updated < :before' : '#outbox = :due',
        { '#outbox': outboxIndex.partitionKey, ...(olderThan ? { '#updated': outboxIndex.sortKey } : {}) },
        { ':due': { S: OUTBOX_MARK }, ...(olderThan ? { ':before': { S: toChinaIso(olderThan) } } : {}) },
        listOptions?.pageSize ?? defaultPageSize,
      ),
  };
}
