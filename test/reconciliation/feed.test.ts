// Reconciliation exceptions fed by reconcileStream against real DynamoDB semantics (dynalite): opened per difference,
// deduplicated when found again, resolved (also an acknowledged one) by a later run that finds the order matched,
// reopened when a resolved difference comes back, and listed newest first_seen first in bounded pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileStream } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';
import { callerScope } from '../../lib/callers/access.js';
import type { Caller } from '../../lib/callers/registry.js';
import { exceptionConsumers } from '../../lib/reconciliation/bill-consumer.js';
import { exceptionId, ExceptionKind } from '../../lib/reconciliation/exceptions.js';
import { createReconciliationService, type ReconciliationService } from '../../lib/reconciliation/service.js';
import { createExceptionStore, type ExceptionStore } from '../../lib/reconciliation/store.js';
import { ensureTables } from '../../lib/tables.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const DAY = '20261126';

function order(orderNo: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '1001', acctype: '###', mercacc: '9001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt: '2026-11-26T10:00:00.000+08:00', updatedAt: '2026-11-26T10:00:00.000+08:00',
    tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

function row(orderNo: string, overrides: Partial<BillRow> = {}): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:01+08:00', account: '1001', acctype: '###', mercacc: '9001', outId: `OUT-${orderNo}`,
    orderNo, tradeType: '01', orderStatus: '60', amountFen: 150, attach: '', ...overrides,
  };
}

let dynamo: TestDynamo;
let store: ExceptionStore;
let clock = Date.parse('2026-11-27T03:30:00.000+08:00');
const now = (): Date => new Date(clock);
let service: ReconciliationService;
let tableCounter = 0;

const caller = (mercacc: '*' | string[]): Caller => ({ mercacc: mercacc === '*' ? '*' : new Set(mercacc) }) as unknown as Caller;
const ALL = callerScope(caller('*'));

async function freshTable(): Promise<void> {
  tableCounter += 1;
  const tableName = `exceptions-feed-${tableCounter}`;
  await ensureTables(dynamo.client, { ...dynamo.tables, exceptionsTable: tableName });
  store = createExceptionStore({ client: dynamo.client, tableName });
  service = createReconciliationService({ store, now });
}

/** One final reconciliation of DAY through the feed, as the bill service runs it (with the next day's bill so far). */
async function run(rows: BillRow[], ledger: LedgerRecord[], billDate = DAY, nextDay?: BillRow[]) {
  const feed = await service.startFeed(billDate);
  const sorted = [...ledger].sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
  const result = await reconcileStream(rows, sorted, { sink: feed, ...(nextDay ? { nextDayRows: async function* () { yield nextDay; } } : {}) });
  return { result, summary: await feed.finish(result) };
}

let calls: DynamoCallLog;

beforeAll(async () => {
  dynamo = await startDynalite();
  calls = countDynamoCalls(dynamo.client);
});
afterAll(async () => {
  await dynamo?.close();
});

describe('exception feed', () => {
  it('opens one exception per difference, of every kind, with the order merchant accounts kept', async () => {
    await freshTable();
    const { summary } = await run(
      [row('A'), row('B', { account: '2', amountFen: 151 }), row('L'), row('P', { orderStatus: '20' }), row('M', { mercacc: '9002' })],
      [order('A'), order('B'), order('R'), order('P', { status: 'PENDING', outId: undefined }), order('M')],
    );
    expect(summary).toEqual({ opened: 6, seen: 0, reopened: 0, resolved: 0, notKept: 0 });
    const { exceptions, nextCursor } = await service.list({ scope: ALL });
    expect(nextCursor).toBeNull();
    const brief = exceptions.map((e) => `${e.orderNo}:${e.kind}:${e.field ?? ''}:${e.ledger}:${e.bill}:${e.mercacc.join('+')}`).sort();
    expect(brief).toEqual([
      'B:mismatched:account:1001:2:9001',
      'B:mismatched:tranamt:1.50:1.51:9001',
      'L:missing_local::(none):60:9001',
      'M:mismatched:mercacc:9001:9002:9001+9002',
      'P:unresolved_pending::PENDING:20:9001',
      'R:missing_remote::SUCCESS:(none):9001',
    ]);
    for (const exception of exceptions) {
      expect(exception.status).toBe('open');
      expect(exception.firstSeen).toBe('2026-11-27T03:30:00.000+08:00');
      expect(exception.lastSeen).toBe(exception.firstSeen);
      expect(exception.id).toBe(exceptionId(exception));
    }
  });

  it('the same difference found again is the same exception: last_seen moves, first_seen and status stay', async () => {
    await freshTable();
    await run([row('B', { amountFen: 151 })], [order('B')]);
    const [first] = (await service.list({ scope: ALL })).exceptions;
    await service.acknowledge({ scope: ALL, id: first!.id, note: 'asked the canteen' });
    clock += 3600_000;
    const { summary } = await run([row('B', { amountFen: 151 })], [order('B')]);
    expect(summary).toEqual({ opened: 0, seen: 1, reopened: 0, resolved: 0, notKept: 0 });
    expect((await service.list({ scope: ALL })).exceptions).toEqual([]);
    const [again, ...others] = (await service.list({ scope: ALL, status: 'acknowledged' })).exceptions;
    expect(others).toEqual([]);
    expect(again).toMatchObject({ id: first!.id, firstSeen: first!.firstSeen, status: 'acknowledged', note: 'asked the canteen' });
    expect(again!.lastSeen > first!.lastSeen).toBe(true);
  });

  it('a later run that finds the order matched resolves its exceptions, acknowledged ones too; others stay', async () => {
    await freshTable();
    await run(
      [row('B', { amountFen: 151 }), row('P', { orderStatus: '20' }), row('K', { account: '3' })],
      [order('B'), order('P', { status: 'PENDING', outId: undefined }), order('K')],
    );
    const opened = (await service.list({ scope: ALL })).exceptions;
    expect(opened).toHaveLength(3);
    const b = opened.find((e) => e.orderNo === 'B')!;
    await service.acknowledge({ scope: ALL, id: b.id, note: 'looked at it' });
    clock += 3600_000;
    // B's row is corrected on the platform, P was settled SUCCESS by pay.query and its row is paid now; K still differs.
    const { summary } = await run([row('B'), row('P'), row('K', { account: '3' })], [order('B'), order('P'), order('K')]);
    expect(summary).toEqual({ opened: 0, seen: 1, reopened: 0, resolved: 2, notKept: 0 });
    const resolved = (await service.list({ scope: ALL, status: 'resolved' })).exceptions;
    expect(resolved.map((e) => e.orderNo).sort()).toEqual(['B', 'P']);
    for (const e of resolved) expect(e.resolvedAt).toBe('2026-11-27T05:30:00.000+08:00');
    expect(resolved.find((e) => e.orderNo === 'B')?.note).toBe('looked at it');
    expect((await service.list({ scope: ALL })).exceptions.map((e) => e.orderNo)).toEqual(['K']);
    await expect(service.acknowledge({ scope: ALL, id: b.id, note: 'late' })).rejects.toMatchObject({ code: 'EXCEPTION_RESOLVED' });
  });

  it('a boundary order is no exception: missing_remote while the next day\'s bill lacks it, resolved once it holds it (next_day)', async () => {
    await freshTable();
    const late = { createdAt: '2026-11-26T23:57:00.000+08:00' };
    const nextDayRow = (orderNo: string) => row(orderNo, { tradeTime: '2026-11-27T00:00:30+08:00' });
    // The next day's bill does not hold them yet: the SUCCESS one is missing_remote, the FAILED one agrees.
    const first = await run([row('A')], [order('A'), order('B', late), order('F', { ...late, status: 'FAILED', outId: undefined })], DAY, []);
    expect(first.result.counts).toMatchObject({ missingRemote: 1, nextDay: 0 });
    expect(first.summary).toMatchObject({ opened: 1, resolved: 0 });
    expect((await service.list({ scope: ALL })).exceptions.map((e) => [e.orderNo, e.kind])).toEqual([['B', ExceptionKind.MISSING_REMOTE]]);
    clock += 3600_000;
    // Booked after midnight, both are on the next day's bill: next_day on this day, no exception, B's resolved.
    const second = await run([row('A')], [order('A'), order('B', late), order('F', { ...late, status: 'FAILED', outId: undefined })], DAY, [nextDayRow('B'), nextDayRow('F')]);
    expect(second.result.counts).toMatchObject({ missingRemote: 0, nextDay: 2 });
    expect(second.result.nextDay).toEqual(['B', 'F']);
    expect(second.summary).toEqual({ opened: 0, seen: 0, reopened: 0, resolved: 1, notKept: 0 });
    expect((await service.list({ scope: ALL })).exceptions).toEqual([]);
    expect((await service.list({ scope: ALL, status: 'resolved' })).exceptions.map((e) => e.orderNo)).toEqual(['B']);
  });

  it('a matched row costs no DynamoDB call; only the day load, the differences and the resolutions do', async () => {
    await freshTable();
    const rows = Array.from({ length: 300 }, (_, i) => row(`OK${String(i).padStart(4, '0')}`));
    const ledger = rows.map((r) => order(r.orderNo));
    calls.reset();
    await run([...rows, row('X')], ledger);
    // Two day queries (open, acknowledged) and one conditional put for missing_local X.
    expect(calls.calls).toEqual(['QueryCommand', 'QueryCommand', 'PutItemCommand']);
  });

  it('a resolved difference that comes back is opened again (one exception, first_seen kept)', async () => {
    await freshTable();
    await run([], [order('R')]);
    clock += 60_000;
    await run([row('R')], [order('R')]);
    clock += 60_000;
    const { summary } = await run([], [order('R')]);
    expect(summary).toMatchObject({ opened: 0, reopened: 1 });
    const all = [
      ...(await service.list({ scope: ALL })).exceptions,
      ...(await service.list({ scope: ALL, status: 'resolved' })).exceptions,
    ];
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: ExceptionKind.MISSING_REMOTE, status: 'open' });
    expect(all[0]!.resolvedAt).toBeUndefined();
    expect(all[0]!.firstSeen < all[0]!.lastSeen).toBe(true);
  });


  it('lists newest first_seen first in pages, by day, and only within the caller merchant accounts', async () => {
    await freshTable();
    const days = ['20261120', '20261121', '20261122'];
    for (const [at, day] of days.entries()) {
      clock = Date.parse('2026-11-25T00:00:00.000+08:00') + at * 60_000;
      const ledger = Array.from({ length: 5 }, (_, i) => order(`D${at}N${i}`, { tradeDay: day, mercacc: i % 2 === 0 ? '9001' : '9002' }));
      await run([], ledger, day);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service.list({ scope: ALL, limit: 4, ...(cursor ? { cursor } : {}) });
      expect(page.exceptions.length).toBeLessThanOrEqual(4);
      seen.push(...page.exceptions.map((e) => `${e.billDate}:${e.orderNo}`));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
    // Newest first_seen first: the last day's run was the latest.
    expect(seen.slice(0, 5).every((s) => s.startsWith('20261122'))).toBe(true);
    expect(seen.slice(10).every((s) => s.startsWith('20261120'))).toBe(true);

    const oneDay = await service.list({ scope: ALL, billDate: '20261121' });
    expect(oneDay.exceptions.map((e) => e.orderNo).sort()).toEqual(['D1N0', 'D1N1', 'D1N2', 'D1N3', 'D1N4']);

    const only9002 = callerScope(caller(['9002']));
    const mine: string[] = [];
    cursor = undefined;
    do {
      const page = await service.list({ scope: only9002, limit: 2, ...(cursor ? { cursor } : {}) });
      mine.push(...page.exceptions.map((e) => e.orderNo));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(mine.sort()).toEqual(['D0N1', 'D0N3', 'D1N1', 'D1N3', 'D2N1', 'D2N3']);
    const theirs = (await service.list({ scope: ALL, billDate: '20261120' })).exceptions.find((e) => e.mercacc[0] === '9001')!;
    await expect(service.acknowledge({ scope: only9002, id: theirs.id, note: 'not mine' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.acknowledge({ scope: ALL, id: '20261120-AAAAAAAAAAAAAAAAAAAAAA', note: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.countOpen()).toBe(15);
  });

  it('a cursor that is not this list\'s is refused (edited, another status or day)', async () => {
    await freshTable();
    await run([], [order('R1'), order('R2'), order('R3')]);
    const { nextCursor } = await service.list({ scope: ALL, limit: 1 });
    expect(nextCursor).not.toBeNull();
    const cursor = nextCursor as string;
    const edited = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
    await expect(service.list({ scope: ALL, cursor: edited })).rejects.toMatchObject({ code: 'VALIDATION', field: 'cursor' });
    await expect(service.list({ scope: ALL, cursor, status: 'resolved' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(service.list({ scope: ALL, cursor, billDate: DAY })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(service.list({ scope: ALL, cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await service.list({ scope: ALL, cursor, limit: 5 })).exceptions).toHaveLength(2);
  });

  it('the bill service consumer: nothing for a download that is not final or not ALL; unresolved checked against the ledger', async () => {
    await freshTable();
    const stored = new Map([['P1', order('P1', { status: 'PENDING', outId: undefined })], ['P2', order('P2', { status: 'FAILED', outId: undefined })]]);
    const consumersOf = exceptionConsumers({
      startFeed: (billDate, pendingNow) => service.startFeed(billDate, pendingNow),
      getMany: async (orderNos) => new Map(orderNos.flatMap((no) => (stored.has(no) ? [[no, stored.get(no)!] as const] : []))),
      onSummary: () => undefined,
    });
    expect(consumersOf({ billDate: DAY, billType: 'ALL', final: false })).toEqual([]);
    expect(consumersOf({ billDate: DAY, billType: 'SUCCESS', final: true })).toEqual([]);
    const [consumer] = consumersOf({ billDate: DAY, billType: 'ALL', final: true });
    const ledger = [order('P1', { status: 'PENDING', outId: undefined }), order('P2', { status: 'PENDING', outId: undefined }), order('R')];
    const result = await reconcileStream([row('P1', { orderStatus: '20' }), row('P2', { orderStatus: '77' })], ledger, { sink: consumer! });
    expect(result.unresolved.map((o) => o.orderNo)).toEqual(['P1', 'P2']);
    await consumer!.end({ unresolved: result.unresolved });
    // P2 was made FAILED by the download's settlement after the bill was read: only P1 is still unresolved.
    const open = (await service.list({ scope: ALL })).exceptions.map((e) => `${e.orderNo}:${e.kind}`).sort();
    expect(open).toEqual(['P1:unresolved_pending', 'R:missing_remote']);
  });

  it('a difference found again with another value shows what the latest run found (one small batch)', async () => {
    await freshTable();
    for (const amountFen of [151, 200]) {
      await run([row('B', { amountFen })], [order('B')]);
      clock += 3600_000;
    }
    const [exception, ...others] = (await service.list({ scope: ALL })).exceptions;
    expect(others).toEqual([]);
    expect(exception).toMatchObject({ field: 'tranamt', ledger: '1.50', bill: '2.00', status: 'open' });
  });

  it('a batch found again refreshes ledger, bill and mercacc in its one UpdateItem each; acknowledged stays so', async () => {
    await freshTable();
    const orders = ['B1', 'B2', 'B3'];
    await run(orders.map((no) => row(no, { amountFen: 151 })), orders.map((no) => order(no)));
    const first = (await service.list({ scope: ALL })).exceptions;
    const b1 = first.find((e) => e.orderNo === 'B1')!;
    await service.acknowledge({ scope: ALL, id: b1.id, note: 'asked the canteen' });
    clock += 3600_000;
    calls.reset();
    const ledger = orders.map((no) => order(no, { mercacc: '9002' }));
    const { summary } = await run(orders.map((no) => row(no, { amountFen: 200, mercacc: '9002' })), ledger);
    expect(summary).toEqual({ opened: 0, seen: 3, reopened: 0, resolved: 0, notKept: 0 });
    // The day load and the resolution pass (two queries each), one BatchGetItem, one UpdateItem per exception:
    // nothing more for the refreshed values.
    expect(calls.calls.filter((name) => name !== 'QueryCommand')).toEqual(['BatchGetItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    expect(calls.calls.filter((name) => name === 'QueryCommand')).toHaveLength(4);
    const again = await store.get(b1.id);
    expect(again).toMatchObject({ status: 'acknowledged', note: 'asked the canteen', firstSeen: b1.firstSeen, ledger: '1.50', bill: '2.00', mercacc: ['9002'] });
    expect(again!.lastSeen > b1.lastSeen).toBe(true);
    for (const e of (await service.list({ scope: ALL })).exceptions) expect(e).toMatchObject({ bill: '2.00', mercacc: ['9002'], firstSeen: b1.firstSeen });
  });

  it('a resolved difference that comes back with other values is opened again showing them', async () => {
    await freshTable();
    await run([row('B', { amountFen: 151 })], [order('B')]);
    clock += 60_000;
    await run([row('B')], [order('B')]);
    clock += 60_000;
    const { summary } = await run([row('B', { amountFen: 200, mercacc: '9002' })], [order('B', { mercacc: '9002' })]);
    expect(summary).toMatchObject({ opened: 0, reopened: 1 });
    const [reopened, ...others] = (await service.list({ scope: ALL })).exceptions;
    expect(others).toEqual([]);
    expect(reopened).toMatchObject({ field: 'tranamt', ledger: '1.50', bill: '2.00', mercacc: ['9002'], status: 'open' });
    expect(reopened!.resolvedAt).toBeUndefined();
  });

  it('store.record: a side the latest difference lacks is removed, not kept from before', async () => {
    await freshTable();
    const difference = { billDate: DAY, orderNo: 'S', kind: ExceptionKind.MISMATCHED, field: 'status', ledger: 'SUCCESS', bill: '20', mercacc: ['9001'] };
    expect(await store.record(difference, new Date(clock))).toBe('opened');
    const { bill: _bill, ...withoutBill } = difference;
    expect(await store.record({ ...withoutBill, ledger: 'FAILED' }, new Date(clock + 1000), { status: 'open' })).toBe('seen');
    const stored = await store.get(exceptionId(difference));
    expect(stored).toMatchObject({ ledger: 'FAILED', status: 'open' });
    expect(stored!.lastSeen > stored!.firstSeen).toBe(true);
    expect(stored!.bill).toBeUndefined();
    // A run that could not tell the merchants (none given) keeps the stored ones: scoped callers still see it.
    expect(await store.record({ ...difference, mercacc: [] }, new Date(clock + 2000), { status: 'open' })).toBe('seen');
    expect((await store.get(exceptionId(difference)))!.mercacc).toEqual(['9001']);
  });
});
