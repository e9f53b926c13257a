// Every bill page stays far below 6 MB whatever its rows hold: a bill whose rows cost far more than the spec's
// (an attach of 512 control characters, the parser's longest, six JSON bytes each) is paged by bytes as well as by
// `limit`, each page's rows within ANSWER_ROWS_BYTES, and paging to the end returns every row exactly once, for a
// caller with every merchant and for one scoped to some.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_ROWS_BYTES, rowBytes } from '../../lib/bills/answer-budget.js';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { createBillService } from '../../lib/bills/service.js';
import type { BillService } from '../../lib/bills/service-types.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { billRowJson } from '../../lib/presenters/bill.js';
import { formatBill } from '../../lib/protocol/bill.js';
import { MAX_ATTACH_CHARS } from '../../lib/protocol/bill-parser.js';

const DAY = '20261126';
const ROWS = 2000;
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });

const rows: BillRow[] = Array.from({ length: ROWS }, (_, i) => ({
  tradeTime: '2026-11-26T10:00:00+08:00', account: '32718', acctype: '###', mercacc: i % 3 === 0 ? '2001' : '1001',
  outId: `OUT-${i}`, orderNo: `N${String(i).padStart(5, '0')}`, tradeType: '01', orderStatus: '77', amountFen: 100,
  // A control character is written \u0001 in JSON: six bytes for one character, the most a character costs.
  attach: `${i}`.padEnd(MAX_ATTACH_CHARS, '\u0001'),
}));

let dir: string;
let bills: BillService;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'answer-budget-'));
  const body = Buffer.from(formatBill(rows), 'utf8');
  const platform = { downloadBillStream: async () => ({ plain: chunksOf(body, 65536) }) } as unknown as PlatformClient;
  const ledger = { async *listDayOrders() {}, getMany: async () => new Map() } as unknown as LedgerStore;
  // Downloaded after BILL_FINAL_AFTER of the next day: final, served from the stored download.
  bills = createBillService({ platform, ledger, payments: {} as PaymentService, archive: createDirectoryArchive(dir), defaultCryptType: '0', now: () => new Date('2026-11-28T04:00:00+08:00') });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pageThrough(viewScope?: MerchantScope): Promise<{ orderNos: string[]; pages: number }> {
  const orderNos: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await bills.getBill({ billDate: DAY, limit: 5000, ...(cursor ? { cursor } : {}), ...(viewScope ? { scope: viewScope } : {}) });
    pages += 1;
    expect(page.rows.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(page.rows))).toBeLessThanOrEqual(ANSWER_ROWS_BYTES);
    orderNos.push(...page.rows.map((row) => row.orderNo));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { orderNos, pages };
}

describe('bill pages within a byte budget', () => {
  it('property: a row is counted as the bytes it takes in the answer (billRowJson), a comma included', () => {
    const text = fc.string({ maxLength: 40, unit: fc.constantFrom('a', '\u0001', '"', '\\', 'é', '食', '\ud83d\ude00', '\ud800') });
    fc.assert(
      fc.property(fc.record({ tradeTime: text, account: text, acctype: text, mercacc: text, outId: text, orderNo: text, tradeType: text, orderStatus: text, amountFen: fc.integer({ min: -1e12, max: 1e12 }), attach: text }), (row) => {
        expect(rowBytes(row)).toBe(Buffer.byteLength(JSON.stringify(billRowJson(row))) + 1);
      }),
      { numRuns: 300 },
    );
  });

  it('pages a bill of very long rows by bytes: every page within the budget, every row once, in order', async () => {
    const { orderNos, pages } = await pageThrough();
    expect(orderNos).toEqual(rows.map((row) => row.orderNo));
    // ~3.3 KB a row: the 2000 rows take at least 6 pages where `limit` alone would give one of ~6.5 MB.
    const bytes = rows.reduce((sum, row) => sum + rowBytes(row), 0);
    expect(bytes).toBeGreaterThan(6 * ANSWER_ROWS_BYTES);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(bytes / ANSWER_ROWS_BYTES));
  });

  it('pages a scoped caller the same way, only its merchants\' rows', async () => {
    const { orderNos, pages } = await pageThrough(scope('2001'));
    expect(orderNos).toEqual(rows.filter((row) => row.mercacc === '2001').map((row) => row.orderNo));
    expect(pages).toBeGreaterThan(1);
  });
});
