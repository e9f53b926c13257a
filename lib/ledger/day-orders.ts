// A China trade day's orders as the bill's reconciliation reads them (LedgerStore.listDayOrders): a Query on the
// by_day index, only the attributes it needs (ProjectionExpression), pages of up to 5000, the next page asked for
// while the caller works on this one; read as orders, as pages of orders, or field by field into a sink.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { queryPages } from '../dynamo/paging.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { LEDGER_TABLE_KEY } from '../tables.js';
import { DAY_ORDER_ATTRIBUTES, dayOrderFromItem, readDayOrder } from './items.js';
import type { DayOrder, DayOrderPages, DayOrderSink } from './records.js';

/**
 * The page asked for: a projected order is ~200 bytes, so DynamoDB's 1 MB page cut comes first; a million-order
 * day is ~200 round trips, not 2000, each overlapping the merge's work on the page before (prefetch).
 */
export const DAY_ORDER_PAGE_SIZE = 5000;

export interface DayOrderQuery {
  /** Items per Query page (DynamoDB Limit); default DAY_ORDER_PAGE_SIZE. */
  readonly pageSize?: number;
  /** Only orders created at or after this instant (a FilterExpression on the day's partition). */
  readonly createdFrom?: Date;
}

/** The orders of `tradeDay` in ascending order_no (nothing is read until one of its forms is iterated). */
export function dayOrderPages(client: DynamoDBClient, tableName: string, tradeDay: string, options: DayOrderQuery = {}): DayOrderPages {
  const { byDayIndex } = LEDGER_TABLE_KEY;
  const from = options.createdFrom;
  const names: Record<string, string> = { '#day': byDayIndex.partitionKey };
  DAY_ORDER_ATTRIBUTES.forEach((name, index) => (names[`#p${index}`] = name));
  const input = {
    TableName: tableName,
    IndexName: byDayIndex.name,
    KeyConditionExpression: '#day = :day',
    ProjectionExpression: DAY_ORDER_ATTRIBUTES.map((_, index) => `#p${index}`).join(', '),
    ...(from ? { FilterExpression: `#p${DAY_ORDER_ATTRIBUTES.indexOf('created_at')} >= :from` } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ':day': { S: tradeDay }, ...(from ? { ':from': { S: toChinaIso(from) } } : {}) },
    ScanIndexForward: true,
    Limit: options.pageSize ?? DAY_ORDER_PAGE_SIZE,
  };
  const itemPages = () => queryPages(client, input, { prefetch: true });
  async function* pages(): AsyncIterable<DayOrder[]> {
    for await (const items of itemPages()) yield items.map(dayOrderFromItem);
  }
  return {
    pages,
    async readInto(sink: DayOrderSink): Promise<number> {
      let count = 0;
      for await (const items of itemPages()) {
        for (let at = 0; at < items.length; at++) readDayOrder(items[at]!, sink);
        count += items.length;
      }
      return count;
    },
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page;
    },
  };
}
