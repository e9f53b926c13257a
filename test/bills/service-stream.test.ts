// The bills use case over the streamed pipeline, with an in-memory ledger and platform and a directory archive:
// a boundary order on both days (next_day, then matched; never a mismatch), one the next day lacks, a GBK bill
// that looked like UTF-8 read again, PENDING orders whose lines wait for pay.query's word, and report consumers
// given every entry once in its final category.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive, rawKey } from '../../lib/bills/archive.js';
import { readCurrent, reportKeyOf } from '../../lib/bills/downloads.js';
import type { ReportEntry } from '../../lib/bills/reconcile.js';
import { createBillService } from '../../lib/bills/service.js';
import type { ReportConsumer } from '../../lib/bills/service-types.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { DayListOptions, LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { formatBill } from '../../lib/protocol/bill.js';
import { BusinessError } from '../../lib/protocol/errors.js';
import { BILL_DOWNLOADS_PER_RUN, DEFAULT_TIMINGS } from '../../lib/timings.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

function order(orderNo: string, createdAt: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt, updatedAt: createdAt, tradeDay: createdAt.slice(0, 10).replace(/-/g, ''),
    requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

function row(orderNo: string, tradeTime: string, overrides: Partial<BillRow> = {}): BillRow {
  return {
    tradeTime, account: '32718', acctype: '###', mercacc: '1001', outId: `OUT-${orderNo}`, orderNo,
    tradeType: '01', orderStatus: '60', amountFen: 150, attach: '', ...overrides,
  };
}

/** A ledger in memory, listed as the store lists (ascending order_no, by trade day, created_at filter). */
function memoryLedger(records: LedgerRecord[]): LedgerStore {
  return {
    async *listDayOrders(day: string, options?: DayListOptions) {
      const from = options?.createdFrom?.getTime();
      const list = records
        .filter((r) => r.tradeDay === day && (from === undefined || Date.parse(r.createdAt) >= from))
        .sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
      yield* list;
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
}

interface Fixture {
  bills: Map<string, Buffer>;
  downloads: string[];
  records: LedgerRecord[];
  /** What pay.query says of an order: its new status. */
  queried: Map<string, 'SUCCESS' | 'FAILED'>;
  /** The size of each resolvePending batch, when given. */
  asked?: number[];
}

async function setup(fixture: Fixture, nowIso: string, consumers?: () => ReportConsumer[]) {
  const root = await mkdtemp(join(tmpdir(), 'bill-service-'));
  roots.push(root);
  const archive = createDirectoryArchive(root);
  const platform = {
    async downloadBillStream(request: { billDate: string }) {
      fixture.downloads.push(request.billDate);
      const bytes = fixture.bills.get(request.billDate);
      if (!bytes) throw new BusinessError('60038', '无数据');
      return { plain: chunksOf(bytes, 7) };
    },
  } as unknown as PlatformClient;
  const setStatus = (orderNo: string, status: LedgerRecord['status'], outId?: string) => {
    const at = fixture.records.findIndex((r) => r.orderNo === orderNo);
    fixture.records[at] = { ...fixture.records[at]!, status, ...(outId ? { outId } : {}) };
  };
  const payments = {
    async settleFromBill(entries: readonly { orderNo: string; outId: string }[]) {
      for (const entry of entries) setStatus(entry.orderNo, 'SUCCESS', entry.outId);
      return { examined: entries.length, succeeded: entries.length, failed: 0, stillPending: 0, queryErrors: 0 };
    },
    async resolvePending(orderNos: readonly string[]) {
      fixture.asked?.push(orderNos.length);
      let succeeded = 0;
      let failed = 0;
      for (const orderNo of orderNos) {
        const status = fixture.queried.get(orderNo);
        if (status) setStatus(orderNo, status);
        if (status === 'SUCCESS') succeeded++;
        if (status === 'FAILED') failed++;
      }
      return { examined: orderNos.length, succeeded, failed, stillPending: orderNos.length - succeeded - failed, queryErrors: 0 };
    },
  } as unknown as PaymentService;
  const bills = createBillService({
    platform,
    ledger: memoryLedger(fixture.records),
    payments,
    archive,
    defaultCryptType: '0',
    now: () => new Date(nowIso),
    ...(consumers ? { reportConsumers: consumers } : {}),
  });
  const report = async (day: string): Promise<string[][]> =>
    // The report of the current download (its header names it).
    (await readFile(join(root, reportKeyOf((await readCurrent(archive, day, 'ALL'))!)), 'utf8'))
      .split('\r\n')
      .filter(Boolean)
      .map((line) => line.split(','));
  return { bills, root, report };
}

const utf8Bill = (rows: BillRow[]): Buffer => Buffer.from(formatBill(rows), 'utf8');

describe('the bills use case, streamed', () => {
  it('a boundary order is next_day on its own day and matched on the next, never a mismatch on either', async () => {
    const late = order('L', '2026-11-26T23:58:30.000+08:00');
    const gone = order('G', '2026-11-26T23:59:00.000+08:00');
    const fixture: Fixture = {
      bills: new Map([
        ['20261126', utf8Bill([row('A', '2026-11-26T10:00:00+08:00')])],
        ['20261127', utf8Bill([row('L', '2026-11-27T00:00:04+08:00'), row('B', '2026-11-27T09:00:00+08:00')])],
      ]),
      downloads: [],
      records: [order('A', '2026-11-26T09:59:59.000+08:00'), late, gone, order('B', '2026-11-27T08:59:59.000+08:00')],
      queried: new Map(),
    };
    const { bills, report } = await setup(fixture, '2026-11-28T04:00:00+08:00');

    const first = await bills.runDaily({ billDate: '20261126' });
    // The next day's bill was read because L (late, SUCCESS) was missing: G stays missing_remote.
    expect(fixture.downloads).toEqual(['20261126', '20261127']);
    expect(first).toMatchObject({ count: 1, matched: 1, mismatched: 0, missingLocal: 0, missingRemote: 1 });
    const day1 = await report('20261126');
    expect(day1.filter((f) => f[0] === 'L').map((f) => f[2])).toEqual(['next_day']);
    expect(day1.filter((f) => f[0] === 'G').map((f) => f[2])).toEqual(['missing_remote']);
    const page1 = await bills.getBill({ billDate: '20261126' });
    expect(page1.reconciliation).toMatchObject({ missingRemote: ['G'], mismatched: [], counts: { missingLocal: 0, missingRemote: 1, mismatched: 0 } });

    const second = await bills.runDaily({ billDate: '20261127' });
    expect(second).toMatchObject({ count: 2, matched: 2, mismatched: 0, missingLocal: 0, missingRemote: 0 });
    const day2 = await report('20261127');
    expect(day2.filter((f) => f[0] === 'L').map((f) => f[2])).toEqual(['matched']);
  });

  it('does not read the next day when no late order is missing, nor a next day that has not begun', async () => {
    const fixture: Fixture = {
      bills: new Map([['20261126', utf8Bill([row('A', '2026-11-26T10:00:00+08:00')])]]),
      downloads: [],
      records: [order('A', '2026-11-26T09:59:59.000+08:00'), order('E', '2026-11-26T12:00:00.000+08:00')],
      queried: new Map(),
    };
    const { bills } = await setup(fixture, '2026-11-26T23:59:59+08:00');
    await bills.runDaily({ billDate: '20261126' });
    expect(fixture.downloads).toEqual(['20261126']);
    fixture.records.push(order('L', '2026-11-26T23:58:00.000+08:00'));
    // L is late and missing, but the 27th has not begun in China: no download of it.
    expect((await bills.runDaily({ billDate: '20261126' })).missingRemote).toBe(2);
    expect(fixture.downloads).toEqual(['20261126', '20261126']);
  });

  it('a GBK bill whose first non-ASCII text reads as UTF-8 is downloaded again and read as GBK', async () => {
    // GBK "莽" is C3 A7, valid UTF-8 ("ç"); "萌" (C3 C8) is not: known only after "ç" went out.
    const rows = [row('A', '2026-11-26T10:00:00+08:00', { attach: '莽' }), row('B', '2026-11-26T10:00:01+08:00', { attach: '萌' })];
    const text = formatBill(rows).replace(/^#[^\n]*\n/, '#莽\n');
    const fixture: Fixture = {
      bills: new Map([['20261126', iconv.encode(text, 'gbk')]]),
      downloads: [],
      records: [order('A', '2026-11-26T09:59:59.000+08:00'), order('B', '2026-11-26T10:00:00.000+08:00')],
      queried: new Map(),
    };
    const events: string[] = [];
    const consumer = (): ReportConsumer => ({
      write: (entry) => void events.push(`${entry.orderNo}:${entry.category}`),
      abort: () => void events.push('abort'),
      end: () => void events.push('end'),
    });
    const { bills, root } = await setup(fixture, '2026-11-27T04:00:00+08:00', () => [consumer()]);
    const page = await bills.getBill({ billDate: '20261126' });
    expect(fixture.downloads).toEqual(['20261126', '20261126']);
    expect(page.rows.map((r) => r.attach)).toEqual(['莽', '萌']);
    expect(page.reconciliation).toMatchObject({ matched: 2, counts: { missingLocal: 0, missingRemote: 0, mismatched: 0 } });
    expect(await readFile(join(root, rawKey('20261126', 'ALL')), 'utf8')).toBe(text);
    // The first pass's entries were withdrawn (abort) before the second pass gave each once.
    expect(events.slice(events.indexOf('abort') + 1)).toEqual(['A:matched', 'B:matched', 'end']);
  });

  it('at most BILL_DOWNLOADS_PER_RUN downloads in a run: both days GBK read as UTF-8 first, a late order missing', async () => {
    // The worst case lib/timings.ts bounds the platform timeout by: the day's bill read twice, the next day's twice.
    const gbk = (rows: BillRow[]): Buffer => iconv.encode(formatBill(rows).replace(/^#[^\n]*\n/, '#莽\n'), 'gbk');
    const fixture: Fixture = {
      bills: new Map([
        ['20261126', gbk([row('A', '2026-11-26T10:00:00+08:00', { attach: '萌' })])],
        ['20261127', gbk([row('L', '2026-11-27T00:00:04+08:00', { attach: '萌' })])],
      ]),
      downloads: [],
      records: [order('A', '2026-11-26T09:59:59.000+08:00'), order('L', '2026-11-26T23:58:30.000+08:00')],
      queried: new Map(),
    };
    const { bills, report } = await setup(fixture, '2026-11-28T04:00:00+08:00');
    const run = await bills.runDaily({ billDate: '20261126' });
    expect(fixture.downloads).toEqual(['20261126', '20261126', '20261127', '20261127']);
    expect(fixture.downloads).toHaveLength(BILL_DOWNLOADS_PER_RUN);
    expect(run).toMatchObject({ count: 1, matched: 1, mismatched: 0, missingRemote: 0 });
    expect((await report('20261126')).filter((f) => f[0] === 'L').map((f) => f[2])).toEqual(['next_day']);
  });

  it('asks pay.query in batches of 50 only while the function has the settle reserve left; the rest stay PENDING', async () => {
    const pending = (orderNo: string) => {
      const { outId: _none, ...record } = order(orderNo, '2026-11-26T09:00:00.000+08:00', { status: 'PENDING' });
      return record as LedgerRecord;
    };
    const names = Array.from({ length: 120 }, (_, i) => `P${String(i).padStart(3, '0')}`);
    const fixture: Fixture = {
      bills: new Map([['20261126', utf8Bill(names.map((name, i) => row(name, `2026-11-26T10:00:${String(i % 60).padStart(2, '0')}+08:00`, { orderStatus: '77' })))]]),
      downloads: [],
      records: names.map(pending),
      queried: new Map(names.map((name) => [name, 'FAILED'] as const)),
      asked: [],
    };
    const { bills } = await setup(fixture, '2026-11-27T04:00:00+08:00');
    // 80 s left for the first batch, then 70 s: below DEFAULT_TIMINGS.billSettleReserveMs (75 s at the default
    // timeout: one whole pay.query call, a slow token read included, and the time to store the download).
    const left = [80_000];
    const run = await bills.runDaily({ billDate: '20261126', functionRemainingMs: () => left.shift() ?? 70_000 });
    expect(DEFAULT_TIMINGS.billSettleReserveMs).toBe(75_000);
    expect(fixture.asked).toEqual([50]);
    expect(run.settled).toBe(50);
    expect(fixture.records.filter((r) => r.status === 'PENDING')).toHaveLength(70);
    // A route's answer deadline (API Gateway's 29 s) does not stop it: the function goes on after the answer.
    fixture.asked = [];
    await bills.runDaily({ billDate: '20261126', remainingMs: () => 20_000, functionRemainingMs: () => 200_000 });
    expect(fixture.asked).toEqual([50, 20]);
    expect(fixture.records.filter((r) => r.status === 'PENDING')).toHaveLength(0);
  });

  it("PENDING orders' lines wait for settlement: settled by the bill, by pay.query, or a status mismatch", async () => {
    const pending = (orderNo: string) => {
      const { outId: _none, ...record } = order(orderNo, '2026-11-26T09:00:00.000+08:00', { status: 'PENDING' });
      return record as LedgerRecord;
    };
    const fixture: Fixture = {
      bills: new Map([
        [
          '20261126',
          utf8Bill([
            row('P1', '2026-11-26T10:00:00+08:00'), // paid on equal terms: settled from the bill
            row('P2', '2026-11-26T10:00:01+08:00', { orderStatus: '77' }), // unpaid; pay.query says FAILED: agrees
            row('P3', '2026-11-26T10:00:02+08:00', { orderStatus: '77' }), // unpaid; pay.query says SUCCESS: a mismatch
            row('P4', '2026-11-26T10:00:03+08:00', { orderStatus: '77' }), // pay.query knows nothing: still PENDING
          ]),
        ],
      ]),
      downloads: [],
      records: [pending('P1'), pending('P2'), pending('P3'), pending('P4')],
      queried: new Map([['P2', 'FAILED'], ['P3', 'SUCCESS']]),
    };
    const entries: ReportEntry[] = [];
    let unresolved: readonly { orderNo: string }[] = [];
    const { bills, report } = await setup(fixture, '2026-11-27T04:00:00+08:00', () => [
      { write: (entry) => void entries.push(entry), end: (outcome) => void (unresolved = outcome.unresolved) },
    ]);
    const page = await bills.getBill({ billDate: '20261126' });
    expect(page.reconciliation).toMatchObject({
      matched: 0,
      settled: 2,
      mismatched: [{ orderNo: 'P3', field: 'status', ledger: 'SUCCESS', bill: '77' }],
      counts: { mismatched: 1, missingLocal: 0, missingRemote: 0 },
    });
    const lines = await report('20261126');
    expect(lines.slice(1).map((f) => `${f[0]}:${f[2]}:${f[3]}:${f[4]}`)).toEqual([
      'P1:settled::', 'P2:settled::', 'P3:mismatched:status:SUCCESS', 'P4:mismatched:status:PENDING',
    ]);
    expect(entries.map((e) => `${e.orderNo}:${e.category}`)).toEqual(['P1:settled', 'P2:settled', 'P3:mismatched', 'P4:mismatched']);
    expect(unresolved.map((o) => o.orderNo)).toEqual(['P2', 'P3', 'P4']);
  });
});
