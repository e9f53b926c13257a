// The day's orders as the bill's merge reads them (lib/ledger/day-orders.ts) on a real DynamoDB (dynalite):
// readInto hands over, field by field and in ascending order_no across pages, exactly what iterating the
// orders gives, and says how many; an item the ledger did not write stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import { hasDayOrderPages, type DayOrder, type DayOrderSink } from '../../lib/ledger/records.js';

let dynamo: TestDynamo;
let store: LedgerStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
});
afterAll(async () => dynamo.close());

const collector = (): DayOrderSink & { orders: DayOrder[] } => {
  const orders: DayOrder[] = [];
  return {
    orders,
    order(orderNo, type, status, account, acctype, mercacc, amountFen, outId, createdAt) {
      orders.push({ orderNo, type, status, account, acctype, mercacc, amountFen, createdAt, ...(outId === undefined ? {} : { outId }) });
    },
  };
};

describe('listDayOrders readInto', () => {
  it('gives every order of the day field by field, as iterating them does, across pages', async () => {
    const day = new Date(Date.UTC(2026, 6, 1, 2)); // 2026-07-01 10:00 China
    for (let i = 0; i < 13; i++) {
      const orderNo = `D${String((i * 7) % 13).padStart(3, '0')}`;
      await store.createPending({ orderNo, type: i % 4 === 3 ? 'REFUND' : 'PAYMENT', account: String(500 + i), acctype: '###', mercacc: `M${i % 3}`, amountFen: 100 + i, requestHash: 'h' }, new Date(day.getTime() + i * 1000));
      if (i % 2 === 0) await store.settle(orderNo, { status: 'SUCCESS', outId: `OUT-${i}` }, new Date());
    }
    const listed = store.listDayOrders('20260701', { pageSize: 4 });
    expect(hasDayOrderPages(listed)).toBe(true);
    if (!hasDayOrderPages(listed)) return;
    const sink = collector();
    const count = await listed.readInto(sink);
    const iterated: DayOrder[] = [];
    for await (const order of store.listDayOrders('20260701', { pageSize: 5 })) iterated.push(order);
    expect(count).toBe(13);
    expect(sink.orders).toEqual(iterated);
    expect(sink.orders.map((o) => o.orderNo)).toEqual([...sink.orders.map((o) => o.orderNo)].sort());
    expect(sink.orders.filter((o) => o.outId !== undefined)).toHaveLength(7);
    expect(sink.orders.find((o) => o.orderNo === 'D007')).toMatchObject({ type: 'PAYMENT', status: 'PENDING', account: '501', mercacc: 'M1', amountFen: 101 });
  });

  it('stops at an item the ledger did not write', async () => {
    await dynamo.client.send(new PutItemCommand({
      TableName: dynamo.tables.ledgerTable,
      Item: { order_no: { S: 'BAD1' }, trade_day: { S: '20260702' }, type: { S: 'GIFT' }, status: { S: 'SUCCESS' }, account: { S: '1' }, acctype: { S: '#' }, mercacc: { S: '2' }, amount_fen: { N: '1' }, created_at: { S: '2026-07-02T10:00:00.000+08:00' } },
    }));
    const listed = store.listDayOrders('20260702');
    if (!hasDayOrderPages(listed)) throw new Error('listDayOrders is not a DayOrderPages');
    await expect(listed.readInto(collector())).rejects.toThrow(/unknown type GIFT/);
  });
});
