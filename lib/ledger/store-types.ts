// The ledger store's interface and its answers (what store.ts implements over DynamoDB): a newcomer reads the
// operations here, the conditional writes that keep them in store.ts.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DayOrder, LedgerError, LedgerRecord, NewOrder, OrderStatus, SettledFrom, StatusMark } from './records.js';

export type CreateResult =
  | { readonly created: true; readonly record: LedgerRecord }
  | { readonly created: false; readonly record: LedgerRecord };

export type SettleOutcome =
  | { readonly status: typeof OrderStatus.SUCCESS; readonly outId?: string }
  | { readonly status: typeof OrderStatus.FAILED; readonly error: LedgerError };

/** `settled` false: the item was no longer PENDING; `record` is what is stored. */
export interface SettleResult {
  readonly settled: boolean;
  readonly record: LedgerRecord;
}

/** `noted` false: the item was no longer PENDING; `record` is what is stored (undefined: absent). */
export interface NoteResult {
  readonly noted: boolean;
  readonly record: LedgerRecord | undefined;
}

export type ReserveResult = 'RESERVED' | 'ALREADY_RESERVED' | 'INSUFFICIENT' | 'NOT_REFUNDABLE';

/** A reservation attempt, with the payment as the refused write found it (undefined when RESERVED or absent). */
export interface Reservation {
  readonly result: ReserveResult;
  readonly payment?: LedgerRecord;
}

export interface ListOptions {
  /** Items per Query page (DynamoDB Limit); default 500. */
  readonly pageSize?: number;
}

export interface DayListOptions extends ListOptions {
  /**
   * Only orders created at or after this instant (a FilterExpression: DynamoDB still reads the day's index
   * partition, but only these items come back; the bill's boundary window of the day before).
   */
  readonly createdFrom?: Date;
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
  /**
   * PENDING → SUCCESS/FAILED and, in the same conditional write, the outbox mark of its event; never
   * touches a settled item; appends the status to history with `mark` (default: by gateway). `from` (default PENDING): NEW when the request that created the order settles it.
   */
  settle(orderNo: string, outcome: SettleOutcome, at: Date, from?: SettledFrom, mark?: StatusMark): Promise<SettleResult>;
  /** Removes the outbox mark once the event is published; false when there was none (published already). */
  clearOutbox(orderNo: string): Promise<boolean>;
  /** Orders whose event awaits publishing (sparse index), oldest updated_at first; only those updated before `olderThan`. */
  listOutbox(olderThan?: Date, options?: ListOptions): AsyncIterable<LedgerRecord>;
  /** Records that an order is still PENDING (and why); undefined when it is no longer PENDING or absent. */
  notePending(orderNo: string, lastError: LedgerError | undefined, at: Date): Promise<LedgerRecord | undefined>;
  /** `notePending`, with the stored record also when it was not noted (undefined only when absent). */
  note(orderNo: string, lastError: LedgerError | undefined, at: Date): Promise<NoteResult>;
  /** Reserves amountFen of a SUCCESS payment for refundNo; a refusal comes with the payment as stored. */
  reserve(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<Reservation>;
  /** `reserve`, the result alone. */
  reserveRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<ReserveResult>;
  /** Turns refundNo's reservation into refunded_fen; false when refundNo holds none (already done). */
  completeRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<boolean>;
  /** Gives refundNo's reservation back to refundable_fen; false when refundNo holds none (already done). */
  releaseRefund(paymentNo: string, refundNo: string, amountFen: number, at: Date): Promise<boolean>;
  /** Every order of a China trade day, ascending order_no (Query on by_day, page by page, never all at once). */
  listByDay(tradeDay: string, options?: DayListOptions): AsyncIterable<LedgerRecord>;
  /**
   * listByDay with only what the bill's reconciliation reads (a ProjectionExpression: smaller pages from
   * DynamoDB, no history parsed), ascending order_no; pages of up to 5000 (pageSize), the next one prefetched.
   * This store's answer is also a DayOrderPages (day-orders.ts: `pages()` a page per await, `readInto` field by
   * field into the bill's merge, no object per order).
   */
  listDayOrders(tradeDay: string, options?: DayListOptions): AsyncIterable<DayOrder>;
  /** PENDING orders (sparse index), oldest first; only those created before `olderThan` when given. */
  listPending(olderThan?: Date, options?: ListOptions): AsyncIterable<LedgerRecord>;
}

export interface LedgerStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Default Query page size for the list methods. */
  readonly pageSize?: number;
}
