// Callers over HTTP through the local server, with a callers file of three: every 401 and 403, the
// routes that need no caller, and no platform call and no DynamoDB command for a refused request
// (counted at the sandbox and by a middleware on the server's DynamoDB client).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

export const THREE_CALLERS = {
  callers: [
    {
      name: 'canteen',
      principals: ['arn:aws:iam::111122223333:role/canteen-app'],
      routes: ['cards.query', 'payments.create', 'payments.read', 'payments.query', 'refunds.create'],
      mercacc: ['1001', '1002'],
      max_tranamt: '500.00',
    },
    // Shares merchant 1001 with canteen (two systems, one merchant), so ownership is what separates them.
    { name: 'library', routes: ['payments.create', 'payments.read', 'payments.query', 'refunds.create'], mercacc: ['2001', '1001'] },
    { name: 'finance', routes: ['payments.read', 'payments.query', 'bills.read'], mercacc: '*' },
  ],
};

let sandbox: TestSandbox;
let server: LocalServer;
let dataRoot: string;
let dynamoCalls: DynamoCallLog;
const logs: string[] = [];

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-callers-test-'));
  const callersFile = join(dataRoot, 'callers.json');
  await writeFile(callersFile, JSON.stringify(THREE_CALLERS));
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0 });
  server = await startLocalServer({
    port: 0,
    sandbox,
    dataDir: join(dataRoot, 'data'),
    logSink: (line) => logs.push(line),
    config: { ...loadConfig({}), callersFile, platformTimeoutMs: 1_000 },
    runtime: { tokenOptions: { minIssueIntervalMs: 0 } },
  });
  dynamoCalls = countDynamoCalls((await server.scope.runtime()).dynamo);
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

export interface Answer {
  readonly status: number;
  readonly body: any;
}

async function http(method: string, path: string, caller: string | undefined, body?: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(caller === undefined ? {} : { 'x-onecard-caller': caller }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** The answer, and the platform calls and DynamoDB commands the request caused. */
async function counted(method: string, path: string, caller: string | undefined, body?: unknown) {
  const platformBefore = sandbox.state.calls.length;
  dynamoCalls.reset();
  const answer = await http(method, path, caller, body);
  return { ...answer, platformCalls: sandbox.state.calls.length - platformBefore, dynamoCalls: [...dynamoCalls.calls] };
}

const payment = (orderNo: string, extra: Record<string, unknown> = {}) => ({ order_no: orderNo, account: '32718', tranamt: '1', mercacc: '1001', ...extra });
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replaceAll('-', '');

describe('refused requests (callers file of three)', () => {
  const cases: [string, string, string, string | undefined, unknown, number, string][] = [
    ['no header', 'POST', '/v1/payments', undefined, payment('r-1'), 401, 'UNAUTHENTICATED'],
    ['an unknown caller', 'POST', '/v1/payments', 'kiosk', payment('r-2'), 401, 'UNAUTHENTICATED'],
    ['no header on a read', 'GET', '/v1/payments/r-1', undefined, undefined, 401, 'UNAUTHENTICATED'],
    ['no header on a bill', 'GET', `/v1/bills/${today}`, undefined, undefined, 401, 'UNAUTHENTICATED'],
    ['cards.query without the route', 'POST', '/v1/cards/query', 'library', { idtype: 'sno', id: '2015032718' }, 403, 'FORBIDDEN_ROUTE'],
    ['payments.create without the route', 'POST', '/v1/payments', 'finance', payment('r-3'), 403, 'FORBIDDEN_ROUTE'],
    ['refunds.create without the route', 'POST', '/v1/refunds', 'finance', { ...payment('r-4'), refund_order_no: 'x-1' }, 403, 'FORBIDDEN_ROUTE'],
    ['bills.read without the route', 'GET', `/v1/bills/${today}`, 'canteen', undefined, 403, 'FORBIDDEN_ROUTE'],
    ['a route refusal comes before the body is read', 'POST', '/v1/payments', 'finance', 'not json', 403, 'FORBIDDEN_ROUTE'],
    ['a payment into another merchant', 'POST', '/v1/payments', 'canteen', payment('r-5', { mercacc: '2001' }), 403, 'FORBIDDEN_MERCHANT'],
    ['a refund into another merchant', 'POST', '/v1/refunds', 'library', { ...payment('r-6', { mercacc: '1002' }), refund_order_no: 'x-1' }, 403, 'FORBIDDEN_MERCHANT'],
    ['a payment above max_tranamt', 'POST', '/v1/payments', 'canteen', payment('r-7', { tranamt: '500.01' }), 403, 'AMOUNT_OVER_LIMIT'],
    ['a refund above max_tranamt', 'POST', '/v1/refunds', 'canteen', { ...payment('r-8', { tranamt: 501 }), refund_order_no: 'x-1' }, 403, 'AMOUNT_OVER_LIMIT'],
  ];

  it.each(cases)('%s: %s %s → %i %s, no platform call, no ledger command', async (_name, method, path, caller, body, status, code) => {
    const answer = await counted(method, path, caller, body);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.platformCalls).toBe(0);
    expect(answer.dynamoCalls).toEqual([]);
  });

  it('the limit itself is allowed: 500.00 by canteen into 1002 is paid', async () => {
    const answer = await counted('POST', '/v1/payments', 'canteen', payment('ok-500', { tranamt: '500.00', mercacc: '1002' }));
    expect(answer.status).toBe(200);
    expect(answer.platformCalls).toBeGreaterThan(0);
    expect(answer.dynamoCalls).toContain('PutItemCommand'); // the counting middleware sees the ledger's writes
  });

  it('GET /v1/health and GET /openapi.json need no caller', async () => {
    expect((await http('GET', '/v1/health', undefined)).status).toBe(200);
    expect((await http('GET', '/openapi.json', undefined)).status).toBe(200);
  });

  it('a card query by canteen is logged with its name, the identity masked', async () => {
    const answer = await http('POST', '/v1/cards/query', 'canteen', { idtype: 'sno', id: '2015032718' });
    expect(answer.status).toBe(200);
    const line = logs.find((entry) => entry.includes('"card query"'));
    expect(line).toContain('"caller":"canteen"');
    expect(line).not.toContain('2015032718');
  });
});

const WRITES = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand'];

describe('ownership: every route refuses another caller\'s order without a platform call or a ledger write', () => {
  let paid: Answer;
  beforeAll(async () => {
    paid = await http('POST', '/v1/payments', 'canteen', payment('own-1', { tranamt: '3' }));
    expect(paid.status).toBe(200);
    const refunded = await http('POST', '/v1/refunds', 'canteen', { ...payment('own-r1'), refund_order_no: 'own-1' });
    expect(refunded.status).toBe(200);
  });

  it('the order records its caller and a history of every status with who set it and why', () => {
    expect(paid.body.caller).toBe('canteen');
    expect(paid.body.history).toEqual([
      { at: paid.body.created_at, status: 'PENDING', by: 'canteen', reason: 'order created' },
      { at: expect.any(String), status: 'SUCCESS', by: 'canteen', reason: expect.stringMatching(/^gdccard\.pay: paid/) },
    ]);
  });

  it('GET /v1/payments/{order_no}: 404 for another caller, 200 for the owner and for mercacc "*"', async () => {
    const foreign = await counted('GET', '/v1/payments/own-1', 'library');
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    expect(foreign.body.error.message).toBe((await http('GET', '/v1/payments/no-such-order', 'library')).body.error.message.replace('no-such-order', 'own-1'));
    expect([foreign.platformCalls, foreign.dynamoCalls.filter((name) => WRITES.includes(name))]).toEqual([0, []]);
    expect((await http('GET', '/v1/payments/own-1', 'canteen')).body.order_no).toBe('own-1');
    expect((await http('GET', '/v1/payments/own-1', 'finance')).body.caller).toBe('canteen');
  });

  it('POST /v1/refunds of another caller\'s payment: 422 ORIGINAL_NOT_PAID, worded as for an unknown payment', async () => {
    const foreign = await counted('POST', '/v1/refunds', 'library', { ...payment('lib-r1'), refund_order_no: 'own-1' });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.code).toBe('ORIGINAL_NOT_PAID');
    expect(foreign.body.error.message).toBe('refund_order_no own-1 is not a payment made through this gateway');
    expect([foreign.platformCalls, foreign.dynamoCalls.filter((name) => WRITES.includes(name))]).toEqual([0, []]);
    expect((await http('GET', '/v1/payments/lib-r1', 'library')).status).toBe(404); // nothing was written
  });

  it('POST /v1/payments/query: NOT_FOUND for another caller\'s order without asking the platform; its own are asked', async () => {
    const foreign = await counted('POST', '/v1/payments/query', 'library', { queries: [{ account: '32718', order_no: 'own-1' }] });
    expect(foreign.status).toBe(200);
    expect(foreign.body.results).toEqual([
      { order_no: 'own-1', account: '32718', acctype: '###', tranamt: null, out_id: null, order_status: '78', status: 'NOT_FOUND', order_desc: null },
    ]);
    expect(foreign.platformCalls).toBe(0);
    const own = await counted('POST', '/v1/payments/query', 'canteen', { queries: [{ account: '32718', order_no: 'own-1' }] });
    expect(own.body.results[0].status).toBe('SUCCESS');
    expect(own.platformCalls).toBe(1);
    const all = await counted('POST', '/v1/payments/query', 'finance', { queries: [{ account: '32718', order_no: 'own-1' }] });
    expect(all.body.results[0].status).toBe('SUCCESS');
  });

  it('POST /v1/payments and /v1/refunds reusing another caller\'s order_no: 409 naming nothing of that order', async () => {
    for (const [path, body] of [
      ['/v1/payments', payment('own-1', { tranamt: '3' })],
      ['/v1/payments', payment('own-1', { tranamt: '4', account: '32719' })],
      ['/v1/refunds', { ...payment('own-r1'), refund_order_no: 'own-1' }],
    ] as const) {
      const foreign = await counted('POST', path, 'library', body);
      expect(foreign.status).toBe(409);
      expect(foreign.body.error).toEqual({ code: 'ORDER_CONFLICT', message: `order_no ${body.order_no} is already used; choose another`, retryable: false });
      expect(foreign.platformCalls).toBe(0);
      // At most the conditional put that found the order_no taken (it writes nothing); never an update or delete.
      expect(foreign.dynamoCalls.filter((name) => name !== 'PutItemCommand' && WRITES.includes(name))).toEqual([]);
    }
    const stored = await http('GET', '/v1/payments/own-1', 'canteen');
    expect(stored.body).toEqual({ ...paid.body, refunded: '1.00', updated_at: stored.body.updated_at });
    expect((await http('POST', '/v1/payments', 'canteen', payment('own-1', { tranamt: '3' }))).status).toBe(200); // the owner's replay
  });

  it('a PENDING order resolved on a GET records who resolved it', async () => {
    sandbox.faults.inject({ type: 'timeout' }, { methods: ['synjones.onecard.gdccard.pay'] });
    const pending = await http('POST', '/v1/payments', 'canteen', payment('own-p1'));
    expect(pending.status).toBe(202);
    const resolved = await http('GET', '/v1/payments/own-p1', 'finance');
    expect(resolved.body.status).toBe('SUCCESS');
    expect(resolved.body.caller).toBe('canteen');
    expect(resolved.body.history.map((entry: { status: string; by: string }) => [entry.status, entry.by])).toEqual([
      ['PENDING', 'canteen'],
      ['SUCCESS', 'finance'],
    ]);
    expect(resolved.body.history[1].reason).toMatch(/^pay\.query: paid/);
  });
});
