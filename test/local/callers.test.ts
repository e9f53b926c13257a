// Callers over HTTP through the local server, with a callers file of three: every 401 and 403, the
// routes that need no caller, and no platform call and no DynamoDB command for a refused request
// (counted at the sandbox and by a middleware on the server's DynamoDB client).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/server.js';
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
    { name: 'library', routes: ['payments.create', 'payments.read', 'payments.query', 'refunds.create'], mercacc: ['2001'] },
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
    ['a refund into another merchant', 'POST', '/v1/refunds', 'library', { ...payment('r-6'), refund_order_no: 'x-1' }, 403, 'FORBIDDEN_MERCHANT'],
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
