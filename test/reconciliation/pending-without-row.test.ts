// A PENDING ledger order of the day that the final bill lacks altogether (API.md "Reconciliation exceptions": a PENDING
// order still unresolved after its day's final bill): one unresolved_pending exception (bill "(none)") scoped by the
// ledger order's merchant account, found again without a second, resolved once the order is settled; none for a bill
// that is not final, an order settled before the run records, or a previous-day boundary-window order. Real parts:
// the ledger and exceptions tables on dynalite, reconcileStream over the ledger's day read, the bill consumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileStream } from '../../lib/bills/reconcile.js';
import type { BillRow } from '../../lib/platform/types.js';
import { callerScope } from '../../lib/callers/access.js';
import type { Caller } from '../../lib/callers/registry.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import { exceptionConsumers } from '../../lib/reconciliation/bill-consumer.js';
import type { FeedSummary } from '../../lib/reconciliation/feed.js';
import { createReconciliationService, type ReconciliationService } from '../../lib/reconciliation/service.js';
import { createExceptionStore } from '../../lib/reconciliation/store.js';
import { ensureTables } from '../../lib/tables.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const DAY = '20261126';
const PREVIOUS = '20261125';
const china = (text: string): Date => new Date(`${text}+08:00`);
const DAY_START = china('2026-11-26T00:00:00.000');

let dynamo: TestDynamo;
let ledger: LedgerStore;
let service: ReconciliationService;
let clock = Date.parse('2026-11-27T03:30:00.000+08:00');
const now = (): Date => new Date(clock);
let tables = 0;
let summaries: FeedSummary[] = [];

const caller = (mercacc: '*' | string[]): Caller => ({ mercacc: mercacc === '*' ? '*' : new Set(mercacc) }) as unknown as Caller;
const ALL = callerScope(caller('*'));

/** A fresh ledger and exceptions table: each test's day holds only its own orders. */
async function freshTables(): Promise<void> {
  tables += 1;
  const tableName = `exceptions-rowless-${tables}`;
  const ledgerTable = `ledger-rowless-${tables}`;
  await ensureTables(dynamo.client, { ...dynamo.tables, ledgerTable, exceptionsTable: tableName });
  ledger = createLedgerStore({ client: dynamo.client, tableName: ledgerTable });
  service = createReconciliationService({ store: createExceptionStore({ client: dynamo.client, tableName }), now });
  summaries = [];
}

/** A PENDING order in the ledger, created at `at` (China time), on merchant `mercacc`. */
async function pending(orderNo: string, at = '2026-11-26T10:00:00.000', mercacc = '9001'): Promise<void> {
  const created = await ledger.createPending({ orderNo, type: 'PAYMENT', account: '1001', acctype: '###', mercacc, amountFen: 150, requestHash: 'h' }, china(at));
  expect(created).toMatchObject({ created: true });
}

const succeed = (orderNo: string) => ledger.settle(orderNo, { status: 'SUCCESS', outId: `OUT-${orderNo}` }, now());
const fail = (orderNo: string) => ledger.settle(orderNo, { status: 'FAILED', error: { code: 'ORDER_STATUS_78', message: 'not on the platform' } }, now());

function row(orderNo: string, mercacc = '9001'): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:01+08:00', account: '1001', acctype: '###', mercacc, outId: `OUT-${orderNo}`,
    orderNo, tradeType: '01', orderStatus: '60', amountFen: 150, attach: '',
  };
}

/**
 * One reconciliation of DAY as the bill service runs it: the ledger's day and the previous day's boundary window read
 * from the table, the bill consumer fed the lines, `meanwhile` (the download's settlement, the settler) before end.
 */
async function run(rows: BillRow[], options: { final?: boolean; meanwhile?: () => Promise<unknown> } = {}) {
  const consumers = exceptionConsumers({
    startFeed: (billDate, pendingNow, feedRun) => service.startFeed(billDate, pendingNow, feedRun),
    getMany: (orderNos) => ledger.getMany(orderNos),
    onSummary: (_day, summary) => void summaries.push(summary),
  })({ billDate: DAY, billType: 'ALL', final: options.final ?? true });
  const result = await reconcileStream(rows, ledger.listDayOrders(DAY), {
    previousDayWindow: ledger.listDayOrders(PREVIOUS, { createdFrom: new Date(DAY_START.getTime() - 5 * 60_000) }),
    ...(consumers[0] ? { sink: consumers[0] } : {}),
  });
  await options.meanwhile?.();
  for (const consumer of consumers) await consumer.end({ unresolved: result.unresolved, pendingWithoutRow: result.pendingWithoutRow });
  return result;
}

const open = async (scope = ALL) => (await service.list({ scope })).exceptions;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

describe('a PENDING order the final bill lacks', () => {
  it('opens one unresolved_pending (ledger PENDING, bill "(none)"), never as settling work; a bill not final opens none', async () => {
    await freshTables();
    await pending('NR-A');
    const early = await run([], { final: false });
    // Not in the settling lists: a bill of a day not final must not pay.query an order in flight.
    expect(early.unresolved).toEqual([]);
    expect(early.settleable).toEqual([]);
    expect(early.pendingWithoutRow).toEqual([{ orderNo: 'NR-A', mercacc: '9001' }]);
    expect(await open()).toEqual([]);

    const result = await run([]);
    expect(result.unresolved).toEqual([]);
    expect(result.counts.unresolved).toBe(0);
    const [exception, ...others] = await open();
    expect(others).toEqual([]);
    expect(exception).toMatchObject({
      billDate: DAY, orderNo: 'NR-A', kind: 'unresolved_pending', ledger: 'PENDING', bill: '(none)', mercacc: ['9001'], status: 'open',
    });
    expect(exception!.field).toBeUndefined();
    expect(summaries.at(-1)).toMatchObject({ opened: 1, notKept: 0 });
  });

  it('found again is the same exception (acknowledged stays so); the order FAILED, a later run resolves it', async () => {
    await freshTables();
    await pending('NR-F');
    await run([]);
    const [first] = await open();
    await service.acknowledge({ scope: ALL, id: first!.id, note: 'asked the till' });
    clock += 3600_000;
    await run([]);
    expect(summaries.at(-1)).toMatchObject({ opened: 0, seen: 1, resolved: 0 });
    const acknowledged = (await service.list({ scope: ALL, status: 'acknowledged' })).exceptions;
    expect(acknowledged).toEqual([expect.objectContaining({ id: first!.id, firstSeen: first!.firstSeen, note: 'asked the till' })]);
    expect(acknowledged[0]!.lastSeen > first!.lastSeen).toBe(true);

    // The settler's pay.query found it never booked: FAILED, still no row (nothing on the bill names it).
    await fail('NR-F');
    clock += 3600_000;
    await run([]);
    expect(summaries.at(-1)).toMatchObject({ opened: 0, resolved: 1 });
    const resolved = (await service.list({ scope: ALL, status: 'resolved' })).exceptions;
    expect(resolved.map((e) => `${e.orderNo}:${e.kind}`)).toEqual(['NR-F:unresolved_pending']);
    expect(await open()).toEqual([]);
    expect((await service.list({ scope: ALL, status: 'acknowledged' })).exceptions).toEqual([]);
  });

  it('settled SUCCESS and on a re-run\'s bill with a matching row: resolved', async () => {
    await freshTables();
    await pending('NR-S');
    await pending('NR-T');
    await run([]);
    expect((await open()).map((e) => e.orderNo).sort()).toEqual(['NR-S', 'NR-T']);
    await succeed('NR-S');
    clock += 3600_000;
    await run([row('NR-S')]);
    expect(summaries.at(-1)).toMatchObject({ opened: 0, seen: 1, resolved: 1 });
    expect((await service.list({ scope: ALL, status: 'resolved' })).exceptions.map((e) => e.orderNo)).toEqual(['NR-S']);
    expect((await open()).map((e) => e.orderNo)).toEqual(['NR-T']);
  });

  it('an order settled before the run records its exceptions (no longer PENDING in the ledger) opens none', async () => {
    await freshTables();
    await pending('NR-GONE');
    await pending('NR-STAYS');
    await run([], { meanwhile: () => fail('NR-GONE') });
    expect((await open()).map((e) => `${e.orderNo}:${e.kind}:${e.bill}`)).toEqual(['NR-STAYS:unresolved_pending:(none)']);
  });

  it('scoped by the ledger order\'s merchant account: its caller sees it, another merchant\'s does not', async () => {
    await freshTables();
    await pending('NR-M1', '2026-11-26T10:00:00.000', '9001');
    await pending('NR-M2', '2026-11-26T10:00:00.000', '9002');
    await run([]);
    const mine = await open(callerScope(caller(['9002'])));
    expect(mine.map((e) => e.orderNo)).toEqual(['NR-M2']);
    expect((await open(callerScope(caller(['9001'])))).map((e) => e.orderNo)).toEqual(['NR-M1']);
    expect(await open(callerScope(caller(['9003'])))).toEqual([]);
    await expect(service.acknowledge({ scope: callerScope(caller(['9001'])), id: mine[0]!.id, note: 'not mine' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.acknowledge({ scope: callerScope(caller(['9002'])), id: mine[0]!.id, note: 'mine' })).toMatchObject({ status: 'acknowledged' });
  });

  it('a PENDING order of the previous day\'s boundary window is not this day\'s: none for it', async () => {
    await freshTables();
    await pending('NR-LATE', '2026-11-25T23:58:00.000');
    await pending('NR-DAY', '2026-11-26T00:01:00.000');
    const result = await run([]);
    expect(result.pendingWithoutRow.map((o) => o.orderNo)).toEqual(['NR-DAY']);
    expect((await open()).map((e) => e.orderNo)).toEqual(['NR-DAY']);
    expect(await service.list({ scope: ALL, billDate: PREVIOUS })).toMatchObject({ exceptions: [] });
  });
});
