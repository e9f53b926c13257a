// Reconciliation exceptions over HTTP through the local server, with an injected clock shared by the gateway and the
// sandbox and a callers file of three: a bill that is not final opens none; the final one opens them; each caller sees
// and acknowledges only its merchants'; a re-run finds them again without a second one and publishes the gauge;
// lists page newest first; bad status, limit, cursor and note are 400.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { setMetricsOutput } from '../../lib/observability/metrics.js';
import { manualClock, sandboxCall, startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { callerRequest, type CallerAnswer } from '../support/local-http.js';

const CALLERS = {
  callers: [
    { name: 'canteen', routes: ['payments.create', 'reconciliation.read', 'reconciliation.write'], mercacc: ['1001'] },
    { name: 'library', routes: ['payments.create', 'reconciliation.read', 'reconciliation.write'], mercacc: ['2001'] },
    { name: 'finance', routes: ['bills.read', 'reconciliation.read', 'reconciliation.write'], mercacc: '*' },
    { name: 'reader', routes: ['reconciliation.read'], mercacc: '*' },
  ],
};

const china = (text: string): Date => new Date(`${text}+08:00`);
const DAY = '20260309';
const clock = manualClock(china('2026-03-09T12:00:00'));
let sandbox: TestSandbox;
let server: LocalServer;
let dataRoot: string;
const metrics: string[] = [];

type Answer = CallerAnswer;
const http = (method: string, path: string, caller: string, body?: unknown): Promise<Answer> => callerRequest(server.url, method, path, caller, body);

const list = (caller: string, query = ''): Promise<Answer> => http('GET', `/v1/reconciliation/exceptions${query}`, caller);
const acknowledge = (caller: string, id: string, body: unknown): Promise<Answer> =>
  http('POST', `/v1/reconciliation/exceptions/${id}/acknowledge`, caller, body);

/** A payment booked on the platform only (the ledger never hears of it): missing_local on the day's bill. */
async function bookPastTheGateway(orderNo: string, mercacc: string): Promise<void> {
  const token = sandbox.state.currentToken?.value;
  expect(token).toBeTruthy();
  const answer = await sandboxCall(
    sandbox,
    'pay',
    { account: '32718', tranamt: '0.50', acctype: '###', mercacc, order_no: orderNo, remark: '', attach: '' },
    { accessToken: token!, at: clock.now() },
  );
  expect(answer.root?.retcode).toBe('0');
}

/** The gauge values published so far (EMF documents captured from the in-process server). */
const gauge = (): number[] =>
  metrics.flatMap((line) => {
    const doc = JSON.parse(line) as Record<string, unknown>;
    return typeof doc.OpenReconciliationExceptions === 'number' ? [doc.OpenReconciliationExceptions] : [];
  });

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-exceptions-http-'));
  const callersFile = join(dataRoot, 'callers.json');
  await writeFile(callersFile, JSON.stringify(CALLERS));
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0, now: clock.now, logger: () => undefined });
  server = await startLocalServer({
    port: 0,
    sandbox,
    dataDir: join(dataRoot, 'data'),
    logSink: () => undefined,
    config: { ...loadConfig({}), callersFile, platformTimeoutMs: 1_000 },
    runtime: { now: clock.now, tokenOptions: { minIssueIntervalMs: 0 } },
  });
  setMetricsOutput((line) => metrics.push(line));
  expect((await http('POST', '/v1/payments', 'canteen', { order_no: 'ex-ok-1', account: '32718', tranamt: '1.00', mercacc: '1001' })).status).toBe(200);
  expect((await http('POST', '/v1/payments', 'library', { order_no: 'ex-ok-2', account: '32718', tranamt: '2.00', mercacc: '2001' })).status).toBe(200);
  await bookPastTheGateway('ex-lost-c1', '1001');
  await bookPastTheGateway('ex-lost-c2', '1001');
  await bookPastTheGateway('ex-lost-l1', '2001');
}, 60_000);
afterAll(async () => {
  setMetricsOutput(undefined);
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

describe('reconciliation exceptions over HTTP', () => {
  it('a bill that is not final opens none (the same day, and the next night before BILL_FINAL_AFTER)', async () => {
    for (const at of ['2026-03-09T18:00:00', '2026-03-10T02:59:00']) {
      clock.set(china(at));
      const bill = await http('GET', `/v1/bills/${DAY}`, 'finance');
      expect(bill.status).toBe(200);
      expect(bill.body).toMatchObject({ final: false, reconciliation: { counts: { missing_local: 3 } } });
      expect(await list('finance')).toEqual({ status: 200, body: { exceptions: [], next_cursor: null } });
    }
  });

  it('the final bill opens one exception per difference; each caller sees only its merchants\'', async () => {
    clock.set(china('2026-03-10T04:00:00'));
    const bill = await http('GET', `/v1/bills/${DAY}`, 'finance');
    expect(bill.body).toMatchObject({ final: true });
    const all = await list('finance');
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.exceptions.map((e: any) => e.order_no).sort()).toEqual(['ex-lost-c1', 'ex-lost-c2', 'ex-lost-l1']);
    for (const exception of all.body.exceptions) {
      expect(exception).toEqual({
        id: expect.stringMatching(/^20260309-[A-Za-z0-9_-]{22}$/),
        bill_date: DAY,
        order_no: exception.order_no,
        kind: 'missing_local',
        ledger: '(none)',
        bill: '60',
        first_seen: '2026-03-10T04:00:00.000+08:00',
        last_seen: '2026-03-10T04:00:00.000+08:00',
        status: 'open',
      });
    }
    expect((await list('canteen')).body.exceptions.map((e: any) => e.order_no).sort()).toEqual(['ex-lost-c1', 'ex-lost-c2']);
    expect((await list('library')).body.exceptions.map((e: any) => e.order_no)).toEqual(['ex-lost-l1']);
    expect((await list('library', `?bill_date=${DAY}`)).body.exceptions.map((e: any) => e.order_no)).toEqual(['ex-lost-l1']);
    expect((await list('finance', '?bill_date=20260308')).body.exceptions).toEqual([]);
  });

  it('acknowledged with a note by its merchant\'s caller; another merchant\'s caller and an unknown id get 404', async () => {
    const [mine] = (await list('canteen')).body.exceptions.filter((e: any) => e.order_no === 'ex-lost-c1');
    const theirs = (await list('library')).body.exceptions[0];
    const done = await acknowledge('canteen', mine.id, { note: '已核对：食堂补录 order booked at the till' });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ ...mine, status: 'acknowledged', note: '已核对：食堂补录 order booked at the till' });
    expect((await acknowledge('canteen', theirs.id, { note: 'not mine' })).status).toBe(404);
    expect((await acknowledge('finance', `${DAY}-AAAAAAAAAAAAAAAAAAAAAA`, { note: 'x' })).body.error.code).toBe('NOT_FOUND');
    expect((await acknowledge('reader', theirs.id, { note: 'x' })).body.error.code).toBe('FORBIDDEN_ROUTE');
    expect((await list('canteen')).body.exceptions.map((e: any) => e.order_no)).toEqual(['ex-lost-c2']);
    expect((await list('canteen', '?status=acknowledged')).body.exceptions.map((e: any) => e.id)).toEqual([mine.id]);
    expect((await list('library', '?status=acknowledged')).body.exceptions).toEqual([]);
  });

  it('a re-run of the day finds them again without a second one, and publishes the open count', async () => {
    clock.set(china('2026-03-10T09:00:00'));
    const from = gauge().length;
    await server.invoke('down-bill', { kind: 'daily-bill', bill_date: DAY });
    expect(gauge().slice(from)).toEqual([2]);
    const open = (await list('finance')).body.exceptions;
    expect(open.map((e: any) => e.order_no).sort()).toEqual(['ex-lost-c2', 'ex-lost-l1']);
    for (const e of open) expect(e).toMatchObject({ first_seen: '2026-03-10T04:00:00.000+08:00', last_seen: '2026-03-10T09:00:00.000+08:00' });
    const acknowledged = (await list('finance', '?status=acknowledged')).body.exceptions;
    expect(acknowledged).toEqual([expect.objectContaining({ order_no: 'ex-lost-c1', status: 'acknowledged', last_seen: '2026-03-10T09:00:00.000+08:00' })]);
  });

  it('pages newest first_seen first with next_cursor, each exception once', async () => {
    clock.set(china('2026-03-11T04:00:00'));
    // A payment through the gateway first: it renews the token (the day-old one has expired), and matches.
    expect((await http('POST', '/v1/payments', 'library', { order_no: 'ex-ok-3', account: '32718', tranamt: '1.00', mercacc: '2001' })).status).toBe(200);
    await bookPastTheGateway('ex-lost-later', '2001'); // booked on the 11th: the 11th's bill, reconciled on the 12th
    clock.set(china('2026-03-12T04:00:00'));
    await server.invoke('down-bill', { kind: 'daily-bill', bill_date: '20260311' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await list('finance', `?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.exceptions.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.exceptions.map((e: any) => e.order_no));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen[0]).toBe('ex-lost-later');
    expect(seen.slice(1).sort()).toEqual(['ex-lost-c2', 'ex-lost-l1']);
  });

  it('refuses a bad status, limit, cursor or note with 400 VALIDATION naming it', async () => {
    const expectBad = (answer: Answer, field: RegExp): void => {
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION');
      expect(answer.body.error.message).toMatch(field);
    };
    expectBad(await list('finance', '?status=closed'), /status/);
    expectBad(await list('finance', '?limit=0'), /limit/);
    expectBad(await list('finance', '?limit=501'), /limit/);
    expectBad(await list('finance', '?limit=ten'), /limit/);
    expectBad(await list('finance', '?cursor=not-a-cursor'), /cursor/);
    expectBad(await list('finance', '?bill_date=20260230'), /bill_date/);
    const first = await list('finance', '?limit=1');
    const cursor = first.body.next_cursor as string;
    expectBad(await list('finance', `?status=resolved&cursor=${cursor}`), /cursor/);
    expectBad(await list('finance', `?cursor=${cursor.slice(0, -2)}AA`), /cursor/);
    const id = first.body.exceptions[0].id as string;
    expectBad(await acknowledge('finance', id, {}), /note/);
    expectBad(await acknowledge('finance', id, { note: '' }), /note/);
    expectBad(await acknowledge('finance', id, { note: ' padded' }), /note/);
    expectBad(await acknowledge('finance', id, { note: 'x'.repeat(257) }), /note/);
    expectBad(await acknowledge('finance', id, { note: 'ok', extra: 1 }), /extra|unknown|unrecognized/i);
    // 256 characters, each outside the BMP (512 UTF-16 units): within the limit.
    expect((await acknowledge('finance', id, { note: '😀'.repeat(256) })).status).toBe(200);
  });
});
