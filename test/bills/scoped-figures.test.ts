// A caller whose merchant accounts hold every row of the day sees, from its scoped figures (rebuilt from the stored
// report.csv, scoped-views.ts), the unscoped reconciliation exactly (API.md "Callers": counts and lists alike), also
// for a download stored before the pending list was kept.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { currentKey } from '../../lib/bills/downloads.js';
import { createBillService } from '../../lib/bills/service.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { BillRow } from '../../lib/platform/types.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { PlatformClient } from '../../lib/platform/types.js';
import { billBody, billRow, paymentsSettlingNothing } from '../support/bill-fakes.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const DAY = '20261126';
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });

function order(orderNo: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  const createdAt = '2026-11-26T09:00:00.000+08:00';
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt, updatedAt: createdAt, tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

/** A platform whose bill of DAY holds `rows` and whose bill of the next day holds `nextDay`. */
function platform(rows: readonly BillRow[], nextDay: readonly BillRow[]): PlatformClient {
  return {
    async downloadBillStream(request: { billDate: string }) {
      return { plain: chunksOf(billBody(request.billDate === DAY ? rows : nextDay), 64) };
    },
  } as unknown as PlatformClient;
}

/** The bill service on a directory archive (`root`), a bill of `rows` and a ledger of `records` (any day's), at `at`. */
async function setup(rows: readonly BillRow[], records: readonly LedgerRecord[], nextDay: readonly BillRow[] = [], at = '2026-11-27T01:00:00+08:00') {
  const root = await mkdtemp(join(tmpdir(), 'onecard-scoped-figures-'));
  roots.push(root);
  const archive = createDirectoryArchive(root);
  const ledger = {
    async *listDayOrders(day: string, options: { createdFrom?: Date } = {}) {
      const from = options.createdFrom?.getTime() ?? -Infinity;
      yield* records.filter((r) => r.tradeDay === day && Date.parse(r.createdAt) >= from).sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
  const bills = createBillService({
    platform: platform(rows, nextDay), ledger, payments: paymentsSettlingNothing(), archive, defaultCryptType: '0', now: () => new Date(at),
  });
  return { bills, root, archive };
}

const service = async (rows: readonly BillRow[], records: readonly LedgerRecord[], nextDay: readonly BillRow[] = []) => (await setup(rows, records, nextDay)).bills;

/** The unscoped answer's reconciliation, then that of a caller of `mercacc` (read from the stored download). */
async function bothAnswers(rows: readonly BillRow[], records: readonly LedgerRecord[], mercacc: readonly string[] = ['1001'], nextDay: readonly BillRow[] = []) {
  const bills = await service(rows, records, nextDay);
  const all = await bills.getBill({ billDate: DAY });
  const scoped = await bills.getBill({ billDate: DAY, scope: scope(...mercacc) });
  expect(scoped.rows).toHaveLength(all.rows.length);
  return { all: all.reconciliation, scoped: scoped.reconciliation };
}

describe('scoped figures of a scope holding every merchant', () => {
  it('a PENDING order with an unpaid row on equal terms, still PENDING after settlement: no mismatch either way', async () => {
    const { all, scoped } = await bothAnswers([billRow('P1', { orderStatus: '77' }), billRow('M1')], [order('P1', { status: 'PENDING' }), order('M1')]);
    expect(all.counts.mismatched).toBe(0);
    expect(all).toMatchObject({ pending: ['P1'], counts: { pending: 1 } });
    expect(scoped).toEqual(all);
  });

  it('PENDING orders left PENDING, with a row and without: the pending list in report order, scoped or not', async () => {
    const { all, scoped } = await bothAnswers([billRow('P1', { orderStatus: '77' })], [order('P1', { status: 'PENDING' }), order('P0', { status: 'PENDING' })]);
    expect(all).toMatchObject({ pending: ['P0', 'P1'], counts: { mismatched: 0, pending: 2 } });
    expect(scoped).toEqual(all);
  });

  it('a PENDING order whose row differs in a term is a mismatch, not a pending order', async () => {
    const { all, scoped } = await bothAnswers([billRow('P3', { amountFen: 151 })], [order('P3', { status: 'PENDING' })]);
    expect(all).toMatchObject({ pending: [], counts: { mismatched: 1, pending: 0 }, mismatched: [{ orderNo: 'P3', field: 'tranamt' }] });
    expect(scoped).toEqual(all);
  });

  it('an unpaid (77) row whose order_no is a ledger order of another day: not a matched order either way', async () => {
    const other = order('X1', { tradeDay: '20261120', createdAt: '2026-11-20T09:00:00.000+08:00', status: 'FAILED' });
    const { all, scoped } = await bothAnswers([billRow('X1', { orderStatus: '77' }), billRow('M1')], [other, order('M1')]);
    expect(all.matched).toBe(1);
    expect(scoped).toEqual(all);
  });
});

/** One case of the day: its bill rows, its ledger orders (any day's), its rows on the next day's bill. */
interface Case {
  readonly rows: readonly BillRow[];
  readonly records: readonly LedgerRecord[];
  readonly nextDay?: readonly BillRow[];
}

const late = '2026-11-26T23:57:00.000+08:00';
const CASES: Readonly<Record<string, Case>> = {
  'a paid row matching its SUCCESS order': { rows: [billRow('M1')], records: [order('M1')] },
  'a PENDING order with an unpaid row on equal terms': { rows: [billRow('P1', { orderStatus: '77', mercacc: '1002' })], records: [order('P1', { status: 'PENDING', mercacc: '1002' })] },
  'a PENDING order with a paid row on equal terms, left PENDING': { rows: [billRow('P2')], records: [order('P2', { status: 'PENDING' })] },
  'a PENDING order with a paid row of another amount': { rows: [billRow('P3', { amountFen: 151 })], records: [order('P3', { status: 'PENDING' })] },
  'a PENDING order booked on another merchant': { rows: [billRow('P4', { mercacc: '1002' })], records: [order('P4', { status: 'PENDING' })] },
  'an unpaid row of another day\'s order': { rows: [billRow('X1', { orderStatus: '77' })], records: [order('X1', { tradeDay: '20261120', status: 'FAILED' })] },
  'an unpaid row without any order': { rows: [billRow('X2', { orderStatus: '77', mercacc: '1002' })], records: [] },
  'an unpaid row of the day before\'s boundary window': {
    rows: [billRow('W1', { orderStatus: '77' })], records: [order('W1', { tradeDay: '20261125', createdAt: '2026-11-25T23:58:00.000+08:00', status: 'FAILED' })],
  },
  'an unpaid row of the day before, outside its window': {
    rows: [billRow('W2', { orderStatus: '77' })], records: [order('W2', { tradeDay: '20261125', createdAt: '2026-11-25T12:00:00.000+08:00', status: 'FAILED' })],
  },
  'an unpaid row of a FAILED order': { rows: [billRow('F1', { orderStatus: '77' })], records: [order('F1', { status: 'FAILED' })] },
  'a paid row without an order': { rows: [billRow('L1', { mercacc: '1002' })], records: [] },
  'a SUCCESS order the bill lacks': { rows: [], records: [order('R1')] },
  'a FAILED order the bill lacks': { rows: [], records: [order('F2', { status: 'FAILED', mercacc: '1002' })] },
  'a PENDING order the bill lacks': { rows: [], records: [order('P5', { status: 'PENDING' })] },
  'a late PENDING order neither bill holds': { rows: [], records: [order('P6', { status: 'PENDING', createdAt: late })] },
  'late SUCCESS and PENDING orders on the next day\'s bill': {
    rows: [], records: [order('B1', { createdAt: late }), order('B2', { createdAt: late, status: 'PENDING' })], nextDay: [billRow('B1'), billRow('B2')],
  },
};

describe('scoped figures equal the unscoped ones for a scope of every merchant (1001 and 1002)', () => {
  const all: Case = {
    rows: Object.values(CASES).flatMap((c) => c.rows),
    records: Object.values(CASES).flatMap((c) => c.records),
    nextDay: Object.values(CASES).flatMap((c) => c.nextDay ?? []),
  };
  it.each([...Object.entries(CASES), ['every case in one day', all] as const])('%s', async (_, c) => {
    // A matched row of another merchant beside it: the scope must hold both merchants' lines.
    const rows = [billRow('M0', { mercacc: '1002' }), ...c.rows];
    const { all: unscoped, scoped } = await bothAnswers(rows, [order('M0', { mercacc: '1002' }), ...c.records], ['1001', '1002'], c.nextDay);
    expect(scoped).toEqual(unscoped);
  });
});

describe('a final download stored before the pending list was kept (its header has none)', () => {
  it('reads as none, unscoped and for a scope of every merchant alike (rebuilt from a report that names them)', async () => {
    const rows: BillRow[] = [billRow('P1', { orderStatus: '77' }), billRow('M1')];
    const records = [order('P1', { status: 'PENDING' }), order('M1'), order('P0', { status: 'PENDING' })];
    // Past BILL_FINAL_AFTER: final, then served from the archive.
    const { bills, root, archive } = await setup(rows, records, [], '2026-11-27T05:00:00+08:00');
    const first = await bills.getBill({ billDate: DAY });
    expect(first.final).toBe(true);
    expect(first.reconciliation.counts.pending).toBe(2);

    // The header as a download before the pending list stored it: no pending list, no counts.pending.
    const headerFiles: string[] = [currentKey(DAY, 'ALL')];
    const all = (await readdir(root, { recursive: true })) as string[];
    for (const file of all) if (file.endsWith('header.json')) headerFiles.push(file);
    for (const key of new Set(headerFiles)) {
      const text = await archive.getText(key);
      if (text === undefined) continue;
      const header = JSON.parse(text);
      delete header.reconciliation.pending;
      delete header.reconciliation.counts.pending;
      await archive.putText(key, JSON.stringify(header), { contentType: 'application/json' });
    }

    const unscoped = await bills.getBill({ billDate: DAY });
    const scoped = await bills.getBill({ billDate: DAY, scope: scope('1001') });
    expect(unscoped.reconciliation.pending ?? []).toEqual([]); // "downloads stored before it read as none"
    expect(scoped.rows).toHaveLength(unscoped.rows.length);
    // API.md "Callers": a caller of every merchant sees the unscoped counts and lists.
    expect({ pending: scoped.reconciliation.pending, count: scoped.reconciliation.counts.pending })
      .toEqual({ pending: unscoped.reconciliation.pending ?? [], count: unscoped.reconciliation.counts.pending ?? 0 });
  });
});
