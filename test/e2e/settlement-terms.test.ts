// Settlement sources describing another order, end to end over HTTP: a second deployment ("B", its own
// ledger) already used an order_no on the one platform, so deployment A's order with that order_no is
// refused as a duplicate (60045, PENDING) and pay.query and the bill then describe B's order. Every
// settling path of A (GET resolution, the pay.query pass-through, the settler schedule, the daily bill)
// must leave A's order PENDING, log both values and count SettlementMismatches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { setMetricsOutput } from '../../lib/observability/metrics.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { CUSTOM_METRICS } from '../../lib/observability/names.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

const logsA: string[] = [];
const emf: string[] = [];
let sandbox: TestSandbox;
let a: LocalServer;
let b: LocalServer;
/** Deployment A's clock runs this far ahead (the settler only looks at orders older than its window). */
let offsetMs = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0 });
  const config = { ...loadConfig({}), platformTimeoutMs: 1_000 };
  a = await startLocalServer({
    port: 0,
    sandbox,
    logSink: (line) => logsA.push(line),
    config,
    runtime: { tokenOptions: { minIssueIntervalMs: 0 }, now: () => new Date(Date.now() + offsetMs) },
  });
  // The second deployment: same platform and token table (one app_key), its own ledger table.
  b = await startLocalServer({
    port: 0,
    sandbox,
    dynamoEndpoint: a.dynamoEndpoint,
    tables: { tokenTable: a.tables.tokenTable, ledgerTable: `${a.tables.ledgerTable}-second` },
    logSink: () => undefined,
    config,
    runtime: { tokenOptions: { minIssueIntervalMs: 0 } },
  });
  setMetricsOutput((line) => emf.push(line));
});
afterAll(async () => {
  setMetricsOutput(undefined);
  await b?.close();
  await a?.close();
  await sandbox?.close();
});

async function http(server: LocalServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

/** SettlementMismatches values published since `from` (EMF lines). */
function mismatchCount(from: number): number {
  return emf
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .reduce((sum, doc) => sum + (typeof doc[CUSTOM_METRICS.settlementMismatches] === 'number' ? (doc[CUSTOM_METRICS.settlementMismatches] as number) : 0), 0);
}

/** Log lines since `from` that report a mismatch for `orderNo`. */
function mismatchLogs(from: number, orderNo: string): Record<string, any>[] {
  return logsA
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((doc) => doc.order_no === orderNo && Array.isArray(doc.differences));
}

/** A's two PENDING orders under order_nos B already used: a 50.00 payment (B: 1.00) and a 5.00 refund (B: a 3.00 payment). */
async function plant(tag: string): Promise<{ payment: string; refund: string }> {
  const payment = `xdep-${tag}-pay`;
  const refund = `xdep-${tag}-ref`;
  const original = `xdep-${tag}-orig`;
  expect((await http(b, 'POST', '/v1/payments', { order_no: payment, account: '32718', tranamt: '1.00', mercacc: '1001' })).status).toBeLessThan(300);
  expect((await http(b, 'POST', '/v1/payments', { order_no: refund, account: '32718', tranamt: '3.00', mercacc: '1001' })).status).toBeLessThan(300);
  const paid = await http(a, 'POST', '/v1/payments', { order_no: payment, account: '32718', tranamt: '50.00', mercacc: '1002' });
  expect(paid).toMatchObject({ status: 202, body: { status: 'PENDING' } });
  expect((await http(a, 'POST', '/v1/payments', { order_no: original, account: '32718', tranamt: '10.00', mercacc: '1001' })).status).toBeLessThan(300);
  const refunded = await http(a, 'POST', '/v1/refunds', { order_no: refund, refund_order_no: original, account: '32718', tranamt: '5.00', mercacc: '1001' });
  expect(refunded).toMatchObject({ status: 202, body: { status: 'PENDING' } });
  return { payment, refund };
}

async function ledgerStatus(orderNo: string): Promise<string | undefined> {
  const runtime = await a.scope.runtime();
  return (await runtime.ledger.get(orderNo))?.status;
}

describe('an order_no the platform already knew from another deployment', () => {
  it('GET /v1/payments/{order_no}: pay.query\'s "60" for another order\'s 1.00 leaves the 50.00 payment PENDING, logged and counted', async () => {
    const { payment } = await plant('get');
    const logFrom = logsA.length;
    const emfFrom = emf.length;
    const answer = await http(a, 'GET', `/v1/payments/${payment}`);
    expect(answer).toMatchObject({ status: 202, body: { status: 'PENDING', tranamt: '50.00' } });
    expect(answer.body.out_id).toBeUndefined();
    expect(mismatchCount(emfFrom)).toBe(1);
    const [logged] = mismatchLogs(logFrom, payment);
    expect(logged?.source).toBe('pay.query');
    expect(logged?.differences).toEqual([{ field: 'tranamt', ledger: '50.00', source: '1.00' }]);
  });

  it('GET /v1/payments/{order_no}: a 3.00 payment\'s status leaves a 5.00 refund PENDING', async () => {
    const { refund } = await plant('getref');
    const emfFrom = emf.length;
    const answer = await http(a, 'GET', `/v1/payments/${refund}`);
    expect(answer).toMatchObject({ status: 202, body: { status: 'PENDING', type: 'REFUND', tranamt: '5.00' } });
    expect(mismatchCount(emfFrom)).toBe(1);
  });

  it('POST /v1/payments/query passes the answer through and settles nothing', async () => {
    const { payment, refund } = await plant('query');
    const emfFrom = emf.length;
    const answer = await http(a, 'POST', '/v1/payments/query', {
      queries: [
        { account: '32718', order_no: payment },
        { account: '32718', order_no: refund },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toMatchObject([
      { order_no: payment, order_status: '60', tranamt: '1.00' },
      { order_no: refund, order_status: '60', tranamt: '3.00' },
    ]);
    expect(mismatchCount(emfFrom)).toBe(2);
    expect(await ledgerStatus(payment)).toBe('PENDING');
    expect(await ledgerStatus(refund)).toBe('PENDING');
  });

  it('the settler schedule leaves both PENDING', async () => {
    const { payment, refund } = await plant('settler');
    offsetMs = 60_000; // A's orders are now older than the settler's in-flight window
    try {
      const emfFrom = emf.length;
      const report = (await a.invoke('pay-query', { kind: 'settle-pending' })) as Record<string, number>;
      expect(report).toMatchObject({ succeeded: 0, failed: 0 });
      expect(report.stillPending).toBeGreaterThanOrEqual(2);
      expect(mismatchCount(emfFrom)).toBeGreaterThanOrEqual(2);
      expect(await ledgerStatus(payment)).toBe('PENDING');
      expect(await ledgerStatus(refund)).toBe('PENDING');
    } finally {
      offsetMs = 0;
    }
  });

  it('the day\'s bill: rows of the other orders are `mismatched` per field and settle nothing', async () => {
    const { payment, refund } = await plant('bill');
    const logFrom = logsA.length;
    const emfFrom = emf.length;
    const answer = await http(a, 'GET', `/v1/bills/${chinaDate(new Date())}?bill_type=ALL`);
    expect(answer.status).toBe(200);
    const mismatched = answer.body.reconciliation.mismatched as { order_no: string; field: string; ledger: string; bill: string }[];
    expect(mismatched.filter((entry) => entry.order_no === payment || entry.order_no === refund)).toEqual([
      { order_no: payment, field: 'mercacc', ledger: '1002', bill: '1001' },
      { order_no: payment, field: 'tranamt', ledger: '50.00', bill: '1.00' },
      { order_no: refund, field: 'type', ledger: 'REFUND', bill: 'PAYMENT' },
      { order_no: refund, field: 'tranamt', ledger: '5.00', bill: '3.00' },
    ]);
    expect(await ledgerStatus(payment)).toBe('PENDING');
    expect(await ledgerStatus(refund)).toBe('PENDING');
    // Reported once from the bill row and once from the pay.query the bill service asks after it (the
    // earlier tests' PENDING orders are in the same day's bill, so the metric counts them too).
    expect(mismatchCount(emfFrom)).toBeGreaterThanOrEqual(4);
    expect(mismatchLogs(logFrom, payment).map((doc) => [doc.source, doc.differences])).toEqual([
      ['bill', [{ field: 'mercacc', ledger: '1002', source: '1001' }, { field: 'tranamt', ledger: '50.00', source: '1.00' }]],
      ['pay.query', [{ field: 'tranamt', ledger: '50.00', source: '1.00' }]],
    ]);
  });
});
