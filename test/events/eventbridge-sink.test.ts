// The deployed sink against a mocked EventBridge: one entry per event on the named bus, the detail as
// decided by lib/events/event.ts, and entries refused in a partial failure (FailedEntryCount) handed back.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { orderSettledEvent, type OrderSettledEvent } from '../../lib/events/event.js';
import { createEventBridgeSink } from '../../lib/events/eventbridge-sink.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';

const record = (orderNo: string): LedgerRecord => ({
  orderNo,
  type: 'PAYMENT',
  status: 'SUCCESS',
  account: '32718',
  acctype: '1',
  mercacc: '1001',
  amountFen: 250,
  outId: 'OUT',
  refundedFen: 0,
  createdAt: '2026-12-01T10:00:00.000+08:00',
  updatedAt: '2026-12-01T10:00:01.000+08:00',
  tradeDay: '20261201',
  requestHash: 'h',
  version: 2,
  attempts: 1,
  settledFrom: 'PENDING',
  outboxDue: true,
});
const event = (orderNo: string): OrderSettledEvent => orderSettledEvent(record(orderNo))!;

describe('EventBridge sink', () => {
  it('puts one entry per event on the bus and returns the refused ones', async () => {
    const mock = mockClient(EventBridgeClient);
    mock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
    const sink = createEventBridgeSink({ busName: 'onecard-bus', client: new EventBridgeClient({ region: 'cn-north-1' }) });
    const refused = await sink.put([event('A'), event('B')]);
    expect(refused.map((entry) => entry.detail.order_no)).toEqual(['B']);
    const [call] = mock.commandCalls(PutEventsCommand);
    const entries = call!.args[0].input.Entries!;
    expect(entries.map((entry) => [entry.EventBusName, entry.Source, entry.DetailType])).toEqual([
      ['onecard-bus', 'onecard.gateway', 'Order Settled'],
      ['onecard-bus', 'onecard.gateway', 'Order Settled'],
    ]);
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({ order_no: 'A', status: 'SUCCESS', tranamt: '2.50', previous_status: 'PENDING' });
    mock.restore();
  });

  it('a full success hands nothing back; a PENDING or pre-events order has no event', async () => {
    const mock = mockClient(EventBridgeClient);
    mock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
    const sink = createEventBridgeSink({ busName: 'b', client: new EventBridgeClient({ region: 'cn-north-1' }) });
    expect(await sink.put([event('A')])).toEqual([]);
    expect(orderSettledEvent({ ...record('P'), status: 'PENDING' })).toBeUndefined();
    const { settledFrom: _dropped, ...legacy } = record('L');
    expect(orderSettledEvent(legacy)).toBeUndefined();
    expect(event('A').detail.event_id).toBe(event('A').detail.event_id);
    expect(event('A').detail.event_id).not.toBe(event('B').detail.event_id);
    mock.restore();
  });
});
