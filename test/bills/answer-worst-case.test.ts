// The largest bill answer any day can give, measured: a page of the costliest rows (1 MB of them) and all three
// reconciliation lists full (1000 entries each) of the costliest text each may hold. The bill's fields at the
// parser's limits (128 characters, attach 512) of a control character, which JSON writes as six bytes; the ledger's
// side at the API's limits (order_no 32 of [A-Za-z0-9_-], account 10). The whole answer, as the handler writes it
// (billJson), stays far below Lambda's and API Gateway's 6 MB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_ROWS_BYTES } from '../../lib/bills/answer-budget.js';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { RECONCILIATION_LIST_CAP } from '../../lib/bills/report.js';
import { createBillService } from '../../lib/bills/service.js';
import type { BillService } from '../../lib/bills/service-types.js';
import type { DayOrder } from '../../lib/ledger/records.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import type { BillRow } from '../../lib/platform/types.js';
import { billJson } from '../../lib/presenters/bill.js';
import { MAX_ATTACH_CHARS, MAX_FIELD_CHARS } from '../../lib/protocol/bill-parser.js';
import { billBody, billRow, platformAnswering } from '../support/bill-fakes.js';

const DAY = '20261126';
const LIST = RECONCILIATION_LIST_CAP;
const MB = 1 << 20;
/** Six JSON bytes a character (\u0001), `i` first so that each is distinct. */
const costly = (i: number, length: number): string => `${i}`.padEnd(length, '\u0001');
/** A ledger order_no at the API's limit (32 characters). */
const ledgerNo = (prefix: string, i: number): string => `${prefix}${String(i).padStart(31, '0')}`;

const row = (over: Partial<BillRow> & Pick<BillRow, 'orderNo'>): BillRow => billRow(over.orderNo, { outId: 'OUT', amountFen: 100, ...over });

const rows: BillRow[] = [];
// Money moved, no ledger order: missing_local, each order_no 128 costly characters.
for (let i = 0; i < LIST + 500; i++) rows.push(row({ orderNo: costly(i, MAX_FIELD_CHARS), attach: costly(i, MAX_ATTACH_CHARS) }));
// A ledger order each, the bill's account and mercacc 128 costly characters: two mismatched entries a row.
for (let i = 0; i < LIST; i++) {
  rows.push(row({ orderNo: ledgerNo('M', i), account: costly(i, MAX_FIELD_CHARS), mercacc: costly(i, MAX_FIELD_CHARS), attach: costly(i, MAX_ATTACH_CHARS) }));
}

const order = (orderNo: string): DayOrder => ({
  orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '3271800000', acctype: '###', mercacc: '1001000000', amountFen: 100,
  outId: 'OUT', createdAt: '2026-11-26T10:00:00.000+08:00',
});
// Ascending order_no: the mismatched rows' orders, then SUCCESS orders the bill lacks (missing_remote).
const orders: DayOrder[] = [
  ...Array.from({ length: LIST }, (_, i) => order(ledgerNo('M', i))),
  ...Array.from({ length: LIST + 500 }, (_, i) => order(ledgerNo('R', i))),
];

let dir: string;
let bills: BillService;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'answer-worst-'));
  const platform = platformAnswering([billBody(rows)], 65536);
  const ledger = {
    async *listDayOrders(day: string) {
      if (day === DAY) yield* orders;
    },
    getMany: async () => new Map(),
  } as unknown as LedgerStore;
  // Final (downloaded after BILL_FINAL_AFTER of the next day): no settlement, no next day's bill to read.
  bills = createBillService({ platform, ledger, payments: {} as PaymentService, archive: createDirectoryArchive(dir), defaultCryptType: '0', now: () => new Date('2026-11-28T04:00:00+08:00') });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the largest bill answer', () => {
  it('holds 1 MB of rows and three full lists of the costliest text, and stays under 3 MB', async () => {
    const page = await bills.getBill({ billDate: DAY, limit: 5000 });
    const json = billJson(page);
    const { reconciliation } = json;
    // Every list full, every count complete.
    expect(reconciliation.missing_local).toHaveLength(LIST);
    expect(reconciliation.missing_remote).toHaveLength(LIST);
    expect(reconciliation.mismatched).toHaveLength(LIST);
    expect(reconciliation.counts).toEqual({ missing_local: LIST + 500, missing_remote: LIST + 500, mismatched: 2 * LIST, pending: 0 });
    expect(reconciliation.mismatched[0]).toMatchObject({ order_no: ledgerNo('M', 0), field: 'account', ledger: '3271800000', bill: costly(0, MAX_FIELD_CHARS) });
    const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
    // The parts at their worst: rows at the page budget, each list ~0.8 MB (missing_local's order_nos and the
    // mismatched bills are 128 × 6 bytes), missing_remote ~36 KB (the ledger's order_nos are 32 ASCII).
    expect(bytes(json.rows)).toBeGreaterThan(ANSWER_ROWS_BYTES - 4 * 1024);
    expect(bytes(json.rows)).toBeLessThanOrEqual(ANSWER_ROWS_BYTES);
    expect(bytes(reconciliation.missing_local)).toBeGreaterThan(0.7 * MB);
    expect(bytes(reconciliation.mismatched)).toBeGreaterThan(0.7 * MB);
    const total = bytes(json);
    expect(total).toBeGreaterThan(2.5 * MB);
    expect(total).toBeLessThan(3 * MB);
  });
});
