// An order booked on another merchant's account with other differences too (amount, account): every exception of
// that order is shown to both merchants, as its report lines are (lib/bills/report-filter.ts scopedRecords), not only
// the mercacc one. Real DynamoDB semantics (dynalite), the feed as a final reconciliation drives it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileStream } from '../../lib/bills/reconcile.js';
import { scopedRecords, csvRecords } from '../../lib/bills/report-filter.js';
import { REPORT_CSV_HEADER, reportCsvLine } from '../../lib/bills/report-csv.js';
import type { ReportEntry } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';
import { callerScope } from '../../lib/callers/access.js';
import type { Caller } from '../../lib/callers/registry.js';
import { createReconciliationService, type ReconciliationService } from '../../lib/reconciliation/service.js';
import { createExceptionStore } from '../../lib/reconciliation/store.js';
import { ensureTables } from '../../lib/tables.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const DAY = '20261126';

const order = (orderNo: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord =>
  ({
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '1001', acctype: '###', mercacc: '9001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt: '2026-11-26T10:00:00.000+08:00', updatedAt: '2026-11-26T10:00:00.000+08:00',
    tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1, ...overrides,
  }) as LedgerRecord;

const row = (orderNo: string, overrides: Partial<BillRow> = {}): BillRow => ({
  tradeTime: '2026-11-26T10:00:01+08:00', account: '1001', acctype: '###', mercacc: '9001', outId: `OUT-${orderNo}`,
  orderNo, tradeType: '01', orderStatus: '60', amountFen: 150, attach: '', ...overrides,
});

const scope = (mercacc: '*' | string[]) =>
  callerScope(({ mercacc: mercacc === '*' ? '*' : new Set(mercacc) }) as unknown as Caller);

let dynamo: TestDynamo;
let service: ReconciliationService;

beforeAll(async () => {
  dynamo = await startDynalite();
  const tableName = 'exceptions-mercacc-both-sides';
  await ensureTables(dynamo.client, { ...dynamo.tables, exceptionsTable: tableName });
  service = createReconciliationService({
    store: createExceptionStore({ client: dynamo.client, tableName }),
    now: () => new Date('2026-11-27T03:30:00.000+08:00'),
  });
});
afterAll(async () => {
  await dynamo?.close();
});

describe('an order booked on another merchant, differing in more than its merchant', () => {
  it('every exception of the order is the ledger merchant\'s and the bill merchant\'s, as its report lines are', async () => {
    // W: made for 9001 (the ledger), booked on 9002 with another amount and account. V: an ordinary difference of 9002.
    const rows = [row('W', { mercacc: '9002', amountFen: 151, account: '2002' }), row('V', { mercacc: '9002', amountFen: 99 })];
    const ledger = [order('V', { mercacc: '9002' }), order('W')];
    const feed = await service.startFeed(DAY);
    const lines: ReportEntry[] = [];
    const result = await reconcileStream(rows, ledger, {
      sink: { write: (entry: ReportEntry) => { lines.push(entry); return feed.write(entry); } },
    });
    await feed.finish(result);
    const fieldsOfW = lines.filter((line) => line.orderNo === 'W').map((line) => line.field).sort();
    expect(fieldsOfW).toEqual(['account', 'mercacc', 'tranamt']);

    // The report kept to 9001 holds all three lines of W (the bill views' rule for such an order).
    const csv = [REPORT_CSV_HEADER, ...lines.map((line) => reportCsvLine(line, true))].join('\r\n') + '\r\n';
    const kept: string[] = [];
    for await (const record of scopedRecords((async function* () { yield* csvRecords(csv); })(), scope(['9001']))) {
      kept.push(`${record.fields[0]}:${record.fields[3]}`);
    }
    expect(kept.slice(1).sort()).toEqual(['W:account', 'W:mercacc', 'W:tranamt']);

    // The exceptions: the same three for the ledger's merchant 9001, all four for the bill's merchant 9002.
    const brief = async (mercacc: string[]) =>
      (await service.list({ scope: scope(mercacc) })).exceptions.map((e) => `${e.orderNo}:${e.field ?? ''}`).sort();
    expect(await brief(['9001'])).toEqual(['W:account', 'W:mercacc', 'W:tranamt']);
    expect(await brief(['9002'])).toEqual(['V:tranamt', 'W:account', 'W:mercacc', 'W:tranamt']);
    for (const exception of (await service.list({ scope: scope('*') })).exceptions.filter((e) => e.orderNo === 'W')) {
      expect([...exception.mercacc].sort()).toEqual(['9001', '9002']);
    }
  });
});
