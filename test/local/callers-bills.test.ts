// Bills filtered to the caller's merchant accounts, over HTTP through the local server with a callers
// file of three: rows (paged, each once), footer figures, summary, reconciliation lists and counts, the
// statement and report.csv, each checked against what the test computes itself from the unfiltered day
// that a caller with mercacc "*" reads; cursors stay the API's (stale and foreign ones refused). And every
// route that needs a caller refuses one that is missing, unknown or not given it, with no platform call
// and no DynamoDB command (test/local/callers.test.ts has the merchant and amount refusals).
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';
import { fen, payPastGateway, useLocalHttp, yuan } from '../support/local-http.js';

const CALLERS = {
  callers: [
    { name: 'canteen', routes: ['payments.create', 'refunds.create', 'bills.read'], mercacc: ['1001', '1002'] },
    { name: 'library', routes: ['payments.create', 'bills.read'], mercacc: ['2001'] },
    { name: 'finance', routes: ['bills.read'], mercacc: '*' },
  ],
};
const MINE: Record<string, ReadonlySet<string>> = { canteen: new Set(['1001', '1002']), library: new Set(['2001']) };

let dynamoCalls: DynamoCallLog;
const day = chinaDate();

async function call(method: string, path: string, caller: string | undefined, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(`${rig.server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(caller === undefined ? {} : { 'x-onecard-caller': caller }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : undefined;
  return { status: response.status, text, json };
}

const rig = useLocalHttp({
  prefix: 'onecard-callers-bills-',
  callers: CALLERS,
  dataDir: 'data',
  setup: async ({ sandbox, server }) => {
    const pay = (caller: string, order: Record<string, string>) => call('POST', '/v1/payments', caller, { account: '32718', ...order });
    expect((await pay('canteen', { order_no: 'c-1', tranamt: '3.30', mercacc: '1001' })).status).toBe(200);
    expect((await pay('canteen', { order_no: 'c-2', tranamt: '7.00', mercacc: '1002' })).status).toBe(200);
    expect((await call('POST', '/v1/refunds', 'canteen', { order_no: 'c-r', refund_order_no: 'c-2', account: '32718', tranamt: '2.50', mercacc: '1002' })).status).toBe(200);
    expect((await pay('library', { order_no: 'l-1', tranamt: '5.00', mercacc: '2001' })).status).toBe(200);
    // Paid past the gateway (missing_local), one into each caller's merchants.
    for (const [orderNo, mercacc] of [['d-1002', '1002'], ['d-2001', '2001']] as const) await payPastGateway(sandbox, { tranamt: '1.10', mercacc, order_no: orderNo });
    sandbox.seedDay(day, 2500, { seed: 5 }); // merchants 1001–1009
    dynamoCalls = countDynamoCalls((await server.scope.runtime()).dynamo);
  },
});

interface Row {
  order_no: string;
  trade_type: string;
  order_status: string;
  mercacc: string;
  tranamt: string;
}
const moved = (row: Row): boolean => row.order_status === '60' || row.order_status === '80';
const GATEWAY_ORDERS = new Set(['c-1', 'c-2', 'c-r', 'l-1']);

/** Every page of one download as `caller` reads it, from a first request without a cursor. */
async function pages(caller: string, limit: number): Promise<any[]> {
  const first = await call('GET', `/v1/bills/${day}?limit=${limit}`, caller);
  expect(first.status).toBe(200);
  const all = [first.json];
  while (all.at(-1).next_cursor) {
    const next = await call('GET', `/v1/bills/${day}?limit=${limit}&cursor=${all.at(-1).next_cursor}`, caller);
    expect(next.status).toBe(200);
    all.push(next.json);
  }
  return all;
}

/** The figures a scoped caller must get, computed here from the unfiltered rows. */
function expectedFor(rows: readonly Row[], mine: ReadonlySet<string>) {
  const own = rows.filter((row) => mine.has(row.mercacc));
  const sum = (list: readonly Row[]) => list.reduce((total, row) => total + fen(row.tranamt), 0);
  const payments = own.filter((row) => moved(row) && row.trade_type === '01');
  const refunds = own.filter((row) => moved(row) && row.trade_type === '02');
  const missingLocal = own.filter((row) => moved(row) && !GATEWAY_ORDERS.has(row.order_no)).map((row) => row.order_no);
  return {
    rows: own.map((row) => row.order_no),
    count: own.length,
    total: yuan(sum(own)),
    summary: { payments: { count: payments.length, amount: yuan(sum(payments)) }, refunds: { count: refunds.length, amount: yuan(sum(refunds)) }, net: yuan(sum(payments) - sum(refunds)) },
    matched: own.filter((row) => GATEWAY_ORDERS.has(row.order_no)).length,
    missingLocal,
  };
}

describe('bills filtered to the caller\'s merchant accounts', () => {
  it.each(['canteen', 'library'])('%s: its rows once each, footer figures, summary and reconciliation of its merchants only', async (caller) => {
    const everything = await pages('finance', 5000);
    expect(everything).toHaveLength(1);
    const rows = everything[0].rows as Row[];
    expect(new Set(rows.map((row) => row.mercacc)).size).toBeGreaterThan(3);
    const expected = expectedFor(rows, MINE[caller]!);
    expect(expected.rows.length).toBeGreaterThan(1);

    const scoped = await pages(caller, 150);
    const got = scoped.flatMap((page) => page.rows as Row[]);
    expect(got.map((row) => row.order_no)).toEqual(expected.rows);
    for (const page of scoped) {
      expect(page.rows.length).toBeLessThanOrEqual(150);
      expect(page).toMatchObject({ bill_date: day, count: expected.count, total: expected.total, summary: expected.summary });
      expect(page.reconciliation.matched + page.reconciliation.settled).toBe(expected.matched);
      expect([...page.reconciliation.missing_local].sort()).toEqual([...expected.missingLocal].sort());
      expect(page.reconciliation.counts).toEqual({ missing_local: expected.missingLocal.length, missing_remote: 0, mismatched: 0, pending: 0 });
    }
    // The unscoped caller sees the whole footer.
    expect(everything[0].count).toBe(rows.length);
    expect(everything[0].reconciliation.counts.missing_local).toBeGreaterThan(expected.missingLocal.length);
  });

  it('library sees only its own payment and the one paid past the gateway into its merchant account', async () => {
    const libraryPage = (await pages('library', 5000))[0];
    expect(libraryPage).toMatchObject({ count: 2, total: '6.10', summary: { payments: { count: 2, amount: '6.10' }, net: '6.10' } });
    expect(libraryPage.rows.map((row: Row) => row.order_no).sort()).toEqual(['d-2001', 'l-1']);
    expect(libraryPage.reconciliation.missing_local).toEqual(['d-2001']);
  });

  it('merchants: only the caller\'s merchant accounts, each as the unscoped statement has it', async () => {
    const all = await call('GET', `/v1/bills/${day}/merchants`, 'finance');
    const canteen = await call('GET', `/v1/bills/${day}/merchants`, 'canteen');
    expect(canteen.status).toBe(200);
    expect(canteen.json.merchants.map((m: { mercacc: string }) => m.mercacc)).toEqual(['1001', '1002']);
    expect(canteen.json.merchants).toEqual(all.json.merchants.filter((m: { mercacc: string }) => MINE.canteen!.has(m.mercacc)));
    const library = await call('GET', `/v1/bills/${day}/merchants`, 'library');
    expect(library.json.merchants).toEqual([{ mercacc: '2001', payments: { count: 2, amount: '6.10' }, refunds: { count: 0, amount: '0.00' }, net: '6.10' }]);
  });

  it('report.csv: the header line and exactly the unscoped report\'s lines of the caller\'s merchants', async () => {
    const all = await call('GET', `/v1/bills/${day}/report.csv`, 'finance');
    const canteen = await call('GET', `/v1/bills/${day}/report.csv`, 'canteen');
    expect(canteen.status).toBe(200);
    const lines = (text: string) => text.split('\r\n').filter(Boolean);
    const [header, ...body] = lines(all.text);
    // No field of these reports is quoted: the merchant account is the 8th comma-separated field.
    const want = body.filter((line) => MINE.canteen!.has(line.split(',')[7]!));
    expect(want.length).toBeGreaterThan(2);
    expect(lines(canteen.text)).toEqual([header, ...want]);
    const library = await call('GET', `/v1/bills/${day}/report.csv`, 'library');
    expect(lines(library.text).slice(1).map((line) => line.split(',').slice(0, 3).join(',')).sort()).toEqual(['d-2001,01,missing_local', 'l-1,01,matched']);
  });

  it('cursors stay the API\'s: a scoped cursor of a replaced download is CURSOR_STALE, a forged one 400', async () => {
    const first = await call('GET', `/v1/bills/${day}?limit=5`, 'canteen');
    const cursor = first.json.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    expect((await call('GET', `/v1/bills/${day}?limit=5&cursor=${cursor}`, 'canteen')).status).toBe(200);
    expect((await call('GET', `/v1/bills/${day}?limit=5`, 'finance')).status).toBe(200); // the day is downloaded afresh
    const stale = await call('GET', `/v1/bills/${day}?limit=5&cursor=${cursor}`, 'canteen');
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('CURSOR_STALE');
    const forged = await call('GET', `/v1/bills/${day}?limit=5&cursor=${cursor.slice(0, -2)}AA`, 'canteen');
    expect(forged.status).toBe(400);
  });
});

describe('every route that needs a caller refuses before it does anything', () => {
  const routes = ROUTES.filter((route) => route.access !== null);
  const pathOf = (resource: string) => resource.replace('{order_no}', 'c-1').replace('{bill_date}', day);
  const refusals = routes.flatMap((route) => [
    [route.routeKey, undefined, 401, 'UNAUTHENTICATED'] as const,
    [route.routeKey, 'kiosk', 401, 'UNAUTHENTICATED'] as const,
    ...CALLERS.callers.filter((caller) => !caller.routes.includes(route.access!)).map((caller) => [route.routeKey, caller.name, 403, 'FORBIDDEN_ROUTE'] as const),
  ]);

  it('each route but the bills routes (refused to canteen in callers.test.ts) is refused to a caller here', () => {
    const refused = new Set(refusals.filter(([, , status]) => status === 403).map(([key]) => key));
    expect([...refused].sort()).toEqual(routes.filter((route) => route.access !== 'bills.read').map((route) => route.routeKey).sort());
  });

  it.each(refusals)('%s as %s → %i %s, no platform call, no DynamoDB command', async (routeKey, caller, status, code) => {
    const route = routes.find((candidate) => candidate.routeKey === routeKey)!;
    const platformBefore = rig.sandbox.state.calls.length;
    dynamoCalls.reset();
    const answer = await call(route.method, pathOf(route.resource), caller, route.method === 'POST' ? {} : undefined);
    expect(answer.status).toBe(status);
    expect(answer.json.error.code).toBe(code);
    expect(rig.sandbox.state.calls.length - platformBefore).toBe(0);
    expect(dynamoCalls.calls).toEqual([]);
  });
});
