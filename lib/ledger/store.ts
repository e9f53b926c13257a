// The payment ledger in DynamoDB: one item per order_no (payments and refunds), single-item conditional
// writes only (no transactions), ordered so a crash between any two writes is completed by a replay or the settler.
//
// Item (low-level AttributeValues; amounts integer fen as N):
//   order_no S (PK) · type S PAYMENT|REFUND · status S PENDING|SUCCESS|FAILED · account S · acctype S ·
//   mercacc S · amount_fen N · remark S? · attach S? · termid N? · out_id S? (SUCCESS) ·
//   refund_order_no S? (refunds: the original payment) · payments only: refundable_fen N (what refunds may
//   still reserve), refunded_fen N (SUCCESS refunds so far), refund_reservations SS? (refund order_nos
//   holding a reservation; absent when empty) · error_code S / error_message S (FAILED) ·
//   last_error_code S / last_error_message S (why it is still PENDING) · created_at S / updated_at S (ISO 8601
//   +08:00) · trade_day S (China yyyyMMdd of created_at; GSI by_day) · pending S = "PENDING" only while
//   status is PENDING (sparse GSI pending, sorted by created_at) · request_hash S · version N · attempts N.
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
//   withdraw: when the platform certainly never saw the call (no token, connection refused, a system-level
//           rejection), the PENDING item is deleted (only while PENDING with no outcome recorded), so the
//           client may send the same order_no again. A refund releases its reservation first.
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE_KEY } from '../tables.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';

export type OrderType = 'PAYMENT' | 'REFUND';
export type OrderStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

export interface LedgerError {
  readonly code: string;
  readonly message: string;
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
  readonly version: number;
  /** Outcome writes for this order (the money call's result, each pay.query pass, a refund refused for
   *  exceeding its payment). 0 = nothing recorded yet: the request that created it may still be calling. */
  readonly attempts: number;
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
}

export type CreateResult =
  | { readonly created: true; readonly record: LedgerRecord }
  | { readonly created: false; readonly record: LedgerRecord };

export type SettleOutcome =
  | { readonly status: 'SUCCESS'; readonly outId?: string }
  | { readonly status: 'FAILED'; readonly error: LedgerError };

/** `settled` false: the item was no longer PENDING; `record` is what is stored. */
export interface SettleResult {
  readonly settled: boolean;
  readonly record: LedgerRecord;
}

export type ReserveResult = 'RESERVED' | 'ALREADY_RESERVED' | 'INSUFFICIENT' | 'NOT_REFUNDABLE';

export interface ListOptions {
  /** Items per Query page (DynamoDB Limit); default 500. */
  readonly pageSize?: number;
}

export interface LedgerStore {
  /** Strongly consistent read. */
  get(orderNo: string): Promise<LedgerRecord | undefined>;
  /** Strongly consistent batch read (any number of keys). */
  getMany(orderNos: readonly string[]): Promise<Map<string, LedgerRecord>>;
  /** Conditional put of a new PENDING order; when the order_no exists, returns the stored record. */
  createPending(order: NewOrder, at: Date): Promise<CreateResult>;
  /**
   * Deletes a PENDING order on which no outcome was recorded (attempts = 0): the platform never saw the
   * call, so the order_no is free again. False when the item moved on (then it stays as it is).
   */
  withdraw(orderNo: string): Promise<boolean>;
  /** PENDING → SUCCESS/FAILED; never touches a settled item. */
  settle(orderNo: string, outcome: SettleOutcome, at: Date): Promise<SettleResult>;
  /** Records that an order is still PENDING (and why); undefined when it is no longer PENDING or absent. */
  notePending(orderNo: string, lastError: LedgerError | undefined, at: Date): Promise<LedgerRecord | undefined>;
  /** Reserves amountFen of a SUCCESS payment for refundNo. */
  reserveRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<ReserveResult>;
  /** Turns refundNo's reservation into refunded_fen; false when refundNo holds none (already done). */
  completeRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<boolean>;
  /** Gives refundNo's reservation back to refundable_fen; false when refundNo holds none (already done). */
  releaseRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<boolean>;
  /** Every order of a China trade day, ascending order_no (Query on by_day, paginated). */
  listByDay(tradeDay: string, options?: ListOptions): AsyncIterable<LedgerRecord>;
  /** PENDING orders (sparse index), oldest first; only those created before `olderThan` when given. */
  listPending(olderThan?: Date, options?: ListOptions): AsyncIterable<LedgerRecord>;
}

export interface LedgerStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Default Query page size for the list methods. */
  readonly pageSize?: number;
}

const PENDING_MARK = 'PENDING';
const DEFAULT_PAGE_SIZE = 500;
const BATCH_GET_LIMIT = 100;

export function createLedgerStore(options: LedgerStoreOptions): LedgerStore {
  const { client, tableName } = options;
  const defaultPageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;

  const get = async (orderNo: string): Promise<LedgerRecord | undefined> => {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { order_no: { S: orderNo } }, ConsistentRead: true }),
    );
    return Item ? recordFromItem(Item) : undefined;
  };

  const mustGet = async (orderNo: string): Promise<LedgerRecord> => {
    const record = await get(orderNo);
    if (!record) throw new Error(`ledger item ${orderNo} vanished`);
    return record;
  };

  const getMany = async (orderNos: readonly string[]): Promise<Map<string, LedgerRecord>> => {
    const found = new Map<string, LedgerRecord>();
    const unique = [...new Set(orderNos)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, AttributeValue>[] = unique
        .slice(start, start + BATCH_GET_LIMIT)
        .map((orderNo) => ({ order_no: { S: orderNo } }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
        const response = await client.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of response.Responses?.[tableName] ?? []) {
          const record = recordFromItem(item);
          found.set(record.orderNo, record);
        }
        keys = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
    return found;
  };

  const createPending = async (order: NewOrder, at: Date): Promise<CreateResult> => {
    const item = newItem(order, at);
    // Two rounds: an existing item may be withdrawn between our failed put and our read.
    for (let round = 0; ; round++) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#order_no)',
            ExpressionAttributeNames: { '#order_no': 'order_no' },
          }),
        );
        return { created: true, record: recordFromItem(item) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const stored = await get(order.orderNo);
        if (stored) return { created: false, record: stored };
        if (round >= 1) throw new Error(`ledger item ${order.orderNo} keeps vanishing`);
      }
    }
  };

  const withdraw = async (orderNo: string): Promise<boolean> => {
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { order_no: { S: orderNo } },
          ConditionExpression: '#status = :pending AND #attempts = :zero',
          ExpressionAttributeNames: { '#status': 'status', '#attempts': 'attempts' },
          ExpressionAttributeValues: { ':pending': { S: 'PENDING' }, ':zero': { N: '0' } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  const settle = async (orderNo: string, outcome: SettleOutcome, at: Date): Promise<SettleResult> => {
    const values: Record<string, AttributeValue> = {
      ':pending': { S: 'PENDING' },
      ':status': { S: outcome.status },
      ':updated': { S: toChinaIso(at) },
      ':one': { N: '1' },
    };
    const sets = ['#status = :status', '#updated_at = :updated', '#version = #version + :one', '#attempts = #attempts + :one'];
    const names: Record<string, string> = {
      '#status': 'status',
      '#updated_at': 'updated_at',
      '#version': 'version',
      '#attempts': 'attempts',
      '#pending': 'pending',
    };
    if (outcome.status === 'SUCCESS') {
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
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { order_no: { S: orderNo } },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #pending`,
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) throw new Error(`ledger settle of ${orderNo} returned no item`);
      return { settled: true, record: recordFromItem(Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { settled: false, record: await mustGet(orderNo) };
    }
  };

  const notePending = async (
    orderNo: string,
    lastError: LedgerError | undefined,
    at: Date,
  ): Promise<LedgerRecord | undefined> => {
    const names: Record<string, string> = {
      '#status': 'status',
      '#updated_at': 'updated_at',
      '#version': 'version',
      '#attempts': 'attempts',
    };
    const values: Record<string, AttributeValue> = {
      ':pending': { S: 'PENDING' },
      ':updated': { S: toChinaIso(at) },
      ':one': { N: '1' },
    };
    const sets = ['#updated_at = :updated', '#version = #version + :one', '#attempts = #attempts + :one'];
    if (lastError) {
      names['#last_error_code'] = 'last_error_code';
      names['#last_error_message'] = 'last_error_message';
      values[':code'] = { S: lastError.code || 'UNKNOWN' };
      values[':message'] = { S: lastError.message || lastError.code || 'unknown' };
      sets.push('#last_error_code = :code', '#last_error_message = :message');
    }
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { order_no: { S: orderNo } },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? recordFromItem(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  };

  const reserveRefund = async (
    paymentNo: string,
    refundNo: string,
    amountFen: number,
    at: Date,
  ): Promise<ReserveResult> => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { order_no: { S: paymentNo } },
          UpdateExpression:
            'SET #refundable = #refundable - :amount, #updated_at = :updated, #version = #version + :one ADD #reservations :refund_set',
          ConditionExpression:
            '#type = :payment AND #status = :success AND #refundable >= :amount AND NOT contains(#reservations, :refund_no)',
          ExpressionAttributeNames: {
            '#type': 'type',
            '#status': 'status',
            '#refundable': 'refundable_fen',
            '#reservations': 'refund_reservations',
            '#updated_at': 'updated_at',
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':payment': { S: 'PAYMENT' },
            ':success': { S: 'SUCCESS' },
            ':amount': { N: String(amountFen) },
            ':refund_no': { S: refundNo },
            ':refund_set': { SS: [refundNo] },
            ':updated': { S: toChinaIso(at) },
            ':one': { N: '1' },
          },
        }),
      );
      return 'RESERVED';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const payment = await get(paymentNo);
    if (!payment || payment.type !== 'PAYMENT' || payment.status !== 'SUCCESS') return 'NOT_REFUNDABLE';
    if (payment.refundReservations?.includes(refundNo)) return 'ALREADY_RESERVED';
    return 'INSUFFICIENT';
  };

  /** Moves refundNo's reservation into `target` (refunded_fen or refundable_fen), at most once. */
  const consumeReservation = async (
    paymentNo: string,
    refundNo: string,
    amountFen: number,
    target: 'refunded_fen' | 'refundable_fen',
    at: Date,
  ): Promise<boolean> => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { order_no: { S: paymentNo } },
          UpdateExpression:
            'SET #target = #target + :amount, #updated_at = :updated, #version = #version + :one DELETE #reservations :refund_set',
          ConditionExpression: 'contains(#reservations, :refund_no)',
          ExpressionAttributeNames: {
            '#target': target,
            '#reservations': 'refund_reservations',
            '#updated_at': 'updated_at',
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':amount': { N: String(amountFen) },
            ':refund_no': { S: refundNo },
            ':refund_set': { SS: [refundNo] },
            ':updated': { S: toChinaIso(at) },
            ':one': { N: '1' },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  async function* query(
    indexName: string,
    keyCondition: string,
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
    pageSize: number,
  ): AsyncIterable<LedgerRecord> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: keyCondition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: true,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield recordFromItem(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  const { byDayIndex, pendingIndex } = LEDGER_TABLE_KEY;

  return {
    get,
    getMany,
    createPending,
    withdraw,
    settle,
    notePending,
    reserveRefund,
    completeRefund: (paymentNo, refundNo, amountFen, at) =>
      consumeReservation(paymentNo, refundNo, amountFen, 'refunded_fen', at),
    releaseRefund: (paymentNo, refundNo, amountFen, at) =>
      consumeReservation(paymentNo, refundNo, amountFen, 'refundable_fen', at),
    listByDay: (tradeDay, listOptions) =>
      query(
        byDayIndex.name,
        '#day = :day',
        { '#day': byDayIndex.partitionKey },
        { ':day': { S: tradeDay } },
        listOptions?.pageSize ?? defaultPageSize,
      ),
    listPending: (olderThan, listOptions) =>
      olderThan
        ? query(
            pendingIndex.name,
            '#pending = :pending AND #created < :before',
            { '#pending': pendingIndex.partitionKey, '#created': pendingIndex.sortKey },
            { ':pending': { S: PENDING_MARK }, ':before': { S: toChinaIso(olderThan) } },
            listOptions?.pageSize ?? defaultPageSize,
          )
        : query(
            pendingIndex.name,
            '#pending = :pending',
            { '#pending': pendingIndex.partitionKey },
            { ':pending': { S: PENDING_MARK } },
            listOptions?.pageSize ?? defaultPageSize,
          ),
  };
}

function newItem(order: NewOrder, at: Date): Record<string, AttributeValue> {
  const stamp = toChinaIso(at);
  const item: Record<string, AttributeValue> = {
    order_no: { S: order.orderNo },
    type: { S: order.type },
    status: { S: 'PENDING' },
    pending: { S: PENDING_MARK },
    account: { S: order.account },
    acctype: { S: order.acctype },
    mercacc: { S: order.mercacc },
    amount_fen: { N: String(order.amountFen) },
    created_at: { S: stamp },
    updated_at: { S: stamp },
    trade_day: { S: chinaDate(at) },
    request_hash: { S: order.requestHash },
    version: { N: '1' },
    attempts: { N: '0' },
  };
  if (order.remark !== undefined && order.remark !== '') item.remark = { S: order.remark };
  if (order.attach !== undefined && order.attach !== '') item.attach = { S: order.attach };
  if (order.termid !== undefined) item.termid = { N: String(order.termid) };
  if (order.type === 'PAYMENT') {
    item.refundable_fen = { N: String(order.amountFen) };
    item.refunded_fen = { N: '0' };
  } else if (order.refundOrderNo !== undefined) {
    item.refund_order_no = { S: order.refundOrderNo };
  }
  return item;
}

/** Parses a stored item; throws on an item this module did not write. */
export function recordFromItem(item: Record<string, AttributeValue>): LedgerRecord {
  const text = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined) throw new Error(`ledger item lacks ${name}`);
    return value;
  };
  const optionalText = (name: string): string | undefined => item[name]?.S;
  const integer = (name: string): number => {
    const value = optionalInteger(name);
    if (value === undefined) throw new Error(`ledger item lacks ${name}`);
    return value;
  };
  const optionalInteger = (name: string): number | undefined => {
    const raw = item[name]?.N;
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw new Error(`ledger item ${name} is not an integer`);
    return value;
  };
  const type = text('type');
  const status = text('status');
  if (type !== 'PAYMENT' && type !== 'REFUND') throw new Error(`ledger item has unknown type ${type}`);
  if (status !== 'PENDING' && status !== 'SUCCESS' && status !== 'FAILED') {
    throw new Error(`ledger item has unknown status ${status}`);
  }
  const errorCode = optionalText('error_code');
  const lastErrorCode = optionalText('last_error_code');
  const reservations = item.refund_reservations?.SS;
  const record: { -readonly [K in keyof LedgerRecord]: LedgerRecord[K] } = {
    orderNo: text('order_no'),
    type,
    status,
    account: text('account'),
    acctype: text('acctype'),
    mercacc: text('mercacc'),
    amountFen: integer('amount_fen'),
    createdAt: text('created_at'),
    updatedAt: text('updated_at'),
    tradeDay: text('trade_day'),
    requestHash: text('request_hash'),
    version: integer('version'),
    attempts: integer('attempts'),
  };
  const remark = optionalText('remark');
  if (remark !== undefined) record.remark = remark;
  const attach = optionalText('attach');
  if (attach !== undefined) record.attach = attach;
  const termid = optionalInteger('termid');
  if (termid !== undefined) record.termid = termid;
  const outId = optionalText('out_id');
  if (outId !== undefined) record.outId = outId;
  const refundOrderNo = optionalText('refund_order_no');
  if (refundOrderNo !== undefined) record.refundOrderNo = refundOrderNo;
  const refundableFen = optionalInteger('refundable_fen');
  if (refundableFen !== undefined) record.refundableFen = refundableFen;
  const refundedFen = optionalInteger('refunded_fen');
  if (refundedFen !== undefined) record.refundedFen = refundedFen;
  if (reservations && reservations.length > 0) record.refundReservations = [...reservations].sort();
  if (errorCode !== undefined) record.error = { code: errorCode, message: optionalText('error_message') ?? '' };
  if (lastErrorCode !== undefined) {
    record.lastError = { code: lastErrorCode, message: optionalText('last_error_message') ?? '' };
  }
  return record;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
