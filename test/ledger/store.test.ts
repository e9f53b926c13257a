// Proves the ledger store on a real DynamoDB (dynalite): item shape, conditional writes that never
// overwrite a settled order, refund reservations consumed at most once, and the two ordered listings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import type { LedgerRecord, NewOrder } from '../../lib/ledger/records.js';

let dynamo: TestDynamo;
let store: LedgerStore;
let counter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
});
afterAll(async () => dynamo.close());

function payment(overrides: Partial<NewOrder> = {}): NewOrder {
  counter += 1;
  return {
    orderNo: `S${String(counter).padStart(6, '0')}`,
    type: 'PAYMENT',
    account: '1001',
    acctype: '###',
    mercacc: '9001',
    amountFen: 1000,
    requestHash: 'h',
    ...overrides,
  };
}

async function collect<T = LedgerRecord>(iterable: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const record of iterable) all.push(record);
  return all;
}

describe('item shape', () => {
  it('writes a PENDING order with fen as N, China timestamps, trade_day and the pending marker', async () => {
    const order = payment({ remark: 'lunch', attach: 'a,b', termid: 7 });
    // 2026-11-26T17:30:00Z is 2026-11-27 01:30 in China: the trade day is the China one.
    const at = new Date('2026-11-26T17:30:00.000Z');
    const { created, record } = await store.createPending(order, at);
    expect(created).toBe(true);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tables.ledgerTable, Key: { order_no: { S: order.orderNo } } }),
    );
    expect(Item).toMatchObject({
      order_no: { S: order.orderNo },
      type: { S: 'PAYMENT' },
      status: { S: 'PENDING' },
      pending: { S: 'PENDING' },
      amount_fen: { N: '1000' },
      refundable_fen: { N: '1000' },
      refunded_fen: { N: '0' },
      termid: { N: '7' },
      created_at: { S: '2026-11-27T01:30:00.000+08:00' },
      trade_day: { S: '20261127' },
      version: { N: '1' },
      attempts: { N: '0' },
    });
    expect(record).toMatchObject({ orderNo: order.orderNo, status: 'PENDING', amountFen: 1000, remark: 'lunch', attach: 'a,b' });
  });

  it('returns the stored record instead of overwriting an existing order_no', async () => {
    const order = payment();
    await store.createPending(order, new Date());
    const second = await store.createPending({ ...order, amountFen: 5, requestHash: 'other' }, new Date());
    expect(second.created).toBe(false);
    expect(second.record).toMatchObject({ amountFen: 1000, requestHash: 'h' });
  });
});

describe('settling', () => {
  it('settles once, removes the pending marker, and never overwrites a settled order', async () => {
    const order = payment();
    await store.createPending(order, new Date());
    const first = await store.settle(order.orderNo, { status: 'SUCCESS', outId: 'OUT1' }, new Date());
    expect(first.settled).toBe(true);
    expect(first.record).toMatchObject({ status: 'SUCCESS', outId: 'OUT1', version: 2, attempts: 1 });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tables.ledgerTable, Key: { order_no: { S: order.orderNo } } }),
    );
    expect(Item?.pending).toBeUndefined();

    const again = await store.settle(order.orderNo, { status: 'FAILED', error: { code: '60010', message: 'no' } }, new Date());
    expect(again.settled).toBe(false);
    expect(again.record).toEqual(first.record);
    expect(await store.notePending(order.orderNo, { code: 'X', message: 'x' }, new Date())).toBeUndefined();
    expect(await store.get(order.orderNo)).toEqual(first.record);
  });

  it('records why an order is still PENDING', async () => {
    const order = payment();
    await store.createPending(order, new Date());
    const noted = await store.notePending(order.orderNo, { code: 'UPSTREAM_TIMEOUT', message: 'late' }, new Date());
    expect(noted).toMatchObject({ status: 'PENDING', attempts: 1, lastError: { code: 'UPSTREAM_TIMEOUT', message: 'late' } });
    const failed = await store.settle(order.orderNo, { status: 'FAILED', error: { code: '60010', message: 'poor' } }, new Date());
    expect(failed.record).toMatchObject({ status: 'FAILED', error: { code: '60010', message: 'poor' }, attempts: 2 });
  });
});

describe('refund reservations', () => {
  it('reserves only from a SUCCESS payment, within what is refundable, once per refund, consumed once', async () => {
    const order = payment();
    await store.createPending(order, new Date());
    expect(await store.reserveRefund(order.orderNo, 'R1', 100, new Date())).toBe('NOT_REFUNDABLE');
    await store.settle(order.orderNo, { status: 'SUCCESS', outId: 'O' }, new Date());

    expect(await store.reserveRefund(order.orderNo, 'R1', 600, new Date())).toBe('RESERVED');
    expect(await store.reserveRefund(order.orderNo, 'R1', 600, new Date())).toBe('ALREADY_RESERVED');
    expect(await store.reserveRefund(order.orderNo, 'R2', 401, new Date())).toBe('INSUFFICIENT');
    expect(await store.reserveRefund(order.orderNo, 'R2', 400, new Date())).toBe('RESERVED');
    expect(await store.get(order.orderNo)).toMatchObject({ refundableFen: 0, refundedFen: 0, refundReservations: ['R1', 'R2'] });

    expect(await store.completeRefund(order.orderNo, 'R1', 600, new Date())).toBe(true);
    expect(await store.completeRefund(order.orderNo, 'R1', 600, new Date())).toBe(false);
    expect(await store.releaseRefund(order.orderNo, 'R1', 600, new Date())).toBe(false);
    expect(await store.releaseRefund(order.orderNo, 'R2', 400, new Date())).toBe(true);
    expect(await store.releaseRefund(order.orderNo, 'R2', 400, new Date())).toBe(false);
    const final = await store.get(order.orderNo);
    expect(final).toMatchObject({ refundableFen: 400, refundedFen: 600 });
    expect(final?.refundReservations).toBeUndefined();
    expect(await store.reserveRefund('ABSENT', 'R3', 1, new Date())).toBe('NOT_REFUNDABLE');
  });
});

describe('listings', () => {
  it('lists one trade day in ascending order_no across pages, and nothing of other days', async () => {
    const day = new Date('2026-05-12T04:00:00.000Z');
    const names = Array.from({ length: 23 }, (_, i) => `D${String((i * 7919) % 1000).padStart(4, '0')}`);
    for (const orderNo of names) await store.createPending(payment({ orderNo }), day);
    await store.createPending(payment({ orderNo: 'D0000X' }), new Date('2026-05-13T04:00:00.000Z'));

    const listed = await collect(store.listByDay('20260512', { pageSize: 4 }));
    expect(listed.map((record) => record.orderNo)).toEqual([...names].sort());
    expect(listed.every((record) => record.tradeDay === '20260512')).toBe(true);
    expect(await collect(store.listByDay('20260514'))).toEqual([]);
  });

  it("lists a day's orders as the bill reconciles them (projected, ascending order_no), optionally only the late ones", async () => {
    const names = Array.from({ length: 11 }, (_, i) => `N${String((i * 7919) % 100).padStart(3, '0')}`);
    for (const [i, orderNo] of names.entries()) await store.createPending(payment({ orderNo }), new Date(Date.UTC(2026, 5, 1, 15, 50 + i))); // 23:50 … 00:00 China
    const settled = await store.settle(names[3]!, { status: 'SUCCESS', outId: 'OUT-3' }, new Date());
    expect(settled.settled).toBe(true);
    const listed = await collect(store.listDayOrders('20260601', { pageSize: 3 }));
    const ofDay = names.slice(0, 10);
    expect(listed.map((order) => order.orderNo)).toEqual([...ofDay].sort());
    const full = await store.get(names[3]!);
    expect(listed.find((order) => order.orderNo === names[3])).toEqual({
      orderNo: names[3], type: full!.type, status: 'SUCCESS', account: full!.account, acctype: full!.acctype,
      mercacc: full!.mercacc, amountFen: full!.amountFen, outId: 'OUT-3', createdAt: full!.createdAt,
    });
    const late = await collect(store.listDayOrders('20260601', { createdFrom: new Date(Date.UTC(2026, 5, 1, 15, 55)) }));
    expect(late.map((order) => order.orderNo)).toEqual(ofDay.slice(5).sort());
  });

  it('lists only PENDING orders, oldest first, optionally only those older than a cut-off', async () => {
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    const orders = Array.from({ length: 9 }, (_, i) => payment({ orderNo: `P${i}` }));
    for (const [i, order] of orders.entries()) await store.createPending(order, new Date(base + i * 60_000));
    await store.settle('P3', { status: 'SUCCESS', outId: 'x' }, new Date());
    await store.settle('P5', { status: 'FAILED', error: { code: '1', message: 'm' } }, new Date());

    const small = createLedgerStore({ client: dynamo.newClient(), tableName: dynamo.tables.ledgerTable, pageSize: 2 });
    const all = (await collect(small.listPending())).filter((record) => record.orderNo.startsWith('P'));
    expect(all.map((record) => record.orderNo)).toEqual(['P0', 'P1', 'P2', 'P4', 'P6', 'P7', 'P8']);
    const old = (await collect(small.listPending(new Date(base + 4 * 60_000 + 1)))).filter((record) =>
      record.orderNo.startsWith('P'),
    );
    expect(old.map((record) => record.orderNo)).toEqual(['P0', 'P1', 'P2', 'P4']);
  });

  it('reads many orders at once, more than one batch', async () => {
    const orders = Array.from({ length: 110 }, (_, i) => payment({ orderNo: `M${i}` }));
    await Promise.all(orders.map((order) => store.createPending(order, new Date())));
    const found = await store.getMany([...orders.map((order) => order.orderNo), 'M-absent', 'M1']);
    expect(found.size).toBe(110);
    expect(found.get('M109')?.orderNo).toBe('M109');
  });
});
