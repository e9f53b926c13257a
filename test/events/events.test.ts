// Order Settled events end to end over HTTP through the local server: exactly one event per final
// transition across payments, refunds, PENDING orders settled later by GET, the settler and the bill;
// none for a withdrawn order; a publish that failed or was cut off by a crash is published by the next sweep.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { eventId, type OrderSettledEvent } from '../../lib/events/event.js';
import { createFileSink } from '../../lib/events/file-sink.js';
import type { EventSink } from '../../lib/events/sink.js';
import { createLedgerStore } from '../../lib/ledger/store.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

const PAY = 'synjones.onecard.gdccard.pay';
const PAY_QUERY = 'synjones.onecard.pay.query';
let sandbox: TestSandbox;
let server: LocalServer;
/** A second instance on the same database whose sink fails while `refusing` is set. */
let flaky: LocalServer;
let refusing = false;
let dataRoot: string;
/** Both instances' clock; the test moves it past the settler's and the sweeper's windows. */
let offsetMs = 0;
const now = (): Date => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-events-test-'));
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0 });
  const config = { ...loadConfig({}), platformTimeoutMs: 1_000 };
  server = await startLocalServer({
    port: 0,
    sandbox,
    dataDir: join(dataRoot, 'data'),
    logSink: () => undefined,
    config,
    runtime: { tokenOptions: { minIssueIntervalMs: 0 }, now },
  });
  const file = createFileSink(server.eventsFile);
  const flakySink: EventSink = {
    target: 'flaky',
    put: async (events) => {
      if (refusing) throw new Error('PutEvents: connection reset');
      return file.put(events);
    },
  };
  flaky = await startLocalServer({
    port: 0,
    sandbox,
    dynamoEndpoint: server.dynamoEndpoint,
    tables: server.tables,
    dataDir: join(dataRoot, 'flaky'),
    logSink: () => undefined,
    config,
    runtime: { tokenOptions: { minIssueIntervalMs: 0 }, now, events: flakySink },
  });
});
afterAll(async () => {
  await flaky?.close();
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

async function http(target: LocalServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
const pay = (orderNo: string, account = '32718', tranamt = '2.00', target = server) =>
  http(target, 'POST', '/v1/payments', { order_no: orderNo, account, tranamt, mercacc: '1001' });

async function events(): Promise<OrderSettledEvent[]> {
  const text = await readFile(server.eventsFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as OrderSettledEvent);
}
const eventsOf = async (orderNo: string) => (await events()).filter((event) => event.detail.order_no === orderNo);
const sweep = () => server.invoke('pay-query', { kind: 'settle-pending' }) as Promise<Record<string, any>>;

describe('Order Settled events', () => {
  it('the local sink is events.jsonl in the data directory', () => {
    expect(server.eventsFile).toBe(join(dataRoot, 'data', 'events.jsonl'));
  });

  it('a payment and a refund settled at once: one event each, previous_status null, the order as GET returns it', async () => {
    const paid = await pay('ev-paid');
    expect(paid.status).toBe(200);
    const [event, ...more] = await eventsOf('ev-paid');
    expect(more).toEqual([]);
    expect(event).toMatchObject({ source: 'onecard.gateway', 'detail-type': 'Order Settled' });
    const got = await http(server, 'GET', '/v1/payments/ev-paid');
    expect(event?.detail).toEqual({ ...got.body, previous_status: null, event_id: event?.detail.event_id });
    expect(event?.detail.event_id).toBe(eventId({ orderNo: 'ev-paid', createdAt: got.body.created_at, status: 'SUCCESS' }, 'NEW'));

    const refunded = await http(server, 'POST', '/v1/refunds', { order_no: 'ev-refund', refund_order_no: 'ev-paid', account: '32718', tranamt: '0.50', mercacc: '1001' });
    expect(refunded.status).toBe(200);
    expect(await eventsOf('ev-refund')).toMatchObject([{ detail: { type: 'REFUND', status: 'SUCCESS', previous_status: null } }]);
    expect(await eventsOf('ev-paid')).toHaveLength(1); // the payment's refunded moved, its status did not

    expect((await pay('ev-poor', '32720')).status).toBe(422);
    expect(await eventsOf('ev-poor')).toMatchObject([{ detail: { status: 'FAILED', previous_status: null } }]);
    // A replay answers the stored result and publishes nothing.
    expect((await pay('ev-paid')).status).toBe(200);
    expect(await eventsOf('ev-paid')).toHaveLength(1);
  });

  it('PENDING orders: no event while PENDING, one with previous_status PENDING once GET, the settler or the bill settles them', async () => {
    for (const orderNo of ['ev-get', 'ev-settler', 'ev-bill']) {
      sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: [PAY] });
      expect((await pay(orderNo)).status).toBe(202);
      expect(await eventsOf(orderNo)).toEqual([]);
    }
    expect((await http(server, 'GET', '/v1/payments/ev-get')).body.status).toBe('SUCCESS');
    expect(await eventsOf('ev-get')).toMatchObject([{ detail: { status: 'SUCCESS', previous_status: 'PENDING' } }]);

    // The bill: rows of status 60 settle the PENDING orders they describe (before any pay.query).
    sandbox.faults.inject({ type: 'timeout' }, { methods: [PAY_QUERY], times: 5 });
    expect((await http(server, 'GET', `/v1/bills/${chinaDate(new Date())}?bill_type=ALL`)).status).toBe(200);
    sandbox.faults.clear();
    expect(await eventsOf('ev-bill')).toMatchObject([{ detail: { status: 'SUCCESS', previous_status: 'PENDING' } }]);

    offsetMs = 10 * 60_000;
    try {
      const report = await sweep();
      expect(report.events).toMatchObject({ failed: 0, overdue: 0 });
    } finally {
      offsetMs = 0;
    }
    const settled = await eventsOf('ev-settler');
    expect(settled).toMatchObject([{ detail: { status: 'SUCCESS', previous_status: 'PENDING' } }]);
    expect(settled[0]?.detail.event_id).not.toBe((await eventsOf('ev-get'))[0]?.detail.event_id);
  });

  it('a withdrawn order (the platform never saw the call) has no event', async () => {
    sandbox.faults.clear();
    sandbox.faults.inject({ type: 'systemError', errcode: '40001' }, { methods: [PAY] });
    expect((await pay('ev-withdrawn')).status).toBeGreaterThanOrEqual(400);
    expect((await http(server, 'GET', '/v1/payments/ev-withdrawn')).status).toBe(404);
    expect(await eventsOf('ev-withdrawn')).toEqual([]);
  });

  it('a failed publish: the order is answered as usual and its event is published by the next sweep, once', async () => {
    refusing = true;
    try {
      expect((await pay('ev-refused', '32718', '1.00', flaky)).status).toBe(200);
    } finally {
      refusing = false;
    }
    expect(await eventsOf('ev-refused')).toEqual([]);
    const early = await sweep(); // within the grace window the mark is left to its request
    expect(early.events).toMatchObject({ published: 0 });
    offsetMs = 2 * 60_000;
    try {
      expect((await sweep()).events).toMatchObject({ published: 1, failed: 0, overdue: 0 });
      expect((await sweep()).events).toMatchObject({ published: 0 });
    } finally {
      offsetMs = 0;
    }
    expect(await eventsOf('ev-refused')).toMatchObject([{ detail: { status: 'SUCCESS', previous_status: null } }]);
  });

  it('a crash between the status write and the publish: the next sweep publishes the event', async () => {
    // The first half of a settlement, as a request that died right after its conditional write leaves it.
    const runtime = await server.scope.runtime();
    const raw = createLedgerStore({ client: runtime.dynamo, tableName: server.tables.ledgerTable });
    await raw.createPending(
      { orderNo: 'ev-crash', type: 'PAYMENT', account: '32718', acctype: '1', mercacc: '1001', amountFen: 300, requestHash: 'h' },
      new Date(),
    );
    const written = await raw.settle('ev-crash', { status: 'SUCCESS', outId: 'OUT-CRASH' }, new Date(), 'NEW');
    expect(written.record.outboxDue).toBe(true);
    expect(await eventsOf('ev-crash')).toEqual([]);
    offsetMs = 2 * 60_000;
    try {
      expect((await sweep()).events).toMatchObject({ published: 1 });
    } finally {
      offsetMs = 0;
    }
    expect(await eventsOf('ev-crash')).toMatchObject([{ detail: { order_no: 'ev-crash', out_id: 'OUT-CRASH', previous_status: null } }]);
    expect((await raw.get('ev-crash'))?.outboxDue).toBeUndefined();
  });

  it('over the whole run: exactly one event per final transition, event_ids unique', async () => {
    const all = await events();
    const orderNos = all.map((event) => event.detail.order_no).sort();
    expect(orderNos).toEqual(['ev-bill', 'ev-crash', 'ev-get', 'ev-paid', 'ev-poor', 'ev-refund', 'ev-refused', 'ev-settler']);
    expect(new Set(all.map((event) => event.detail.event_id)).size).toBe(all.length);
  });
});
