// Issue 10 items 4 and 5 over HTTP through the local server: each defect a client could send is
// refused with 400 VALIDATION naming the field, and none of them reaches the platform.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

let sandbox: TestSandbox;
let server: LocalServer;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-input-rules-'));
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0, logger: () => undefined });
  server = await startLocalServer({
    port: 0,
    sandbox,
    dataDir: join(dataRoot, 'data'),
    logSink: () => undefined,
    config: { ...loadConfig({}), platformTimeoutMs: 1_000 },
    runtime: { tokenOptions: { minIssueIntervalMs: 0 } },
  });
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** Sends `body` as raw bytes (so invalid UTF-8 and exact number text reach the server as written). */
function send(method: string, path: string, body?: Buffer | string): Promise<Answer> {
  const { hostname, port } = new URL(server.url);
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port: Number(port), method, path, headers: { 'content-type': 'application/json', ...(bytes ? { 'content-length': bytes.length } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

let orderCounter = 0;
const payment = (fields: Record<string, string> = {}): Record<string, string> => ({
  order_no: `rules-${++orderCounter}`,
  account: '32718',
  tranamt: '1.00',
  mercacc: '1001',
  ...fields,
});
/** A JSON body with the members written as given (values already JSON text). */
const rawObject = (members: readonly (readonly [string, string])[]): string => `{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
const paymentText = (tranamt: string): string =>
  rawObject([
    ['order_no', JSON.stringify(`rules-${++orderCounter}`)],
    ['account', '"32718"'],
    ['tranamt', tranamt],
    ['mercacc', '"1001"'],
  ]);

/** Sends and expects 400 VALIDATION whose message names `field`, with no platform call at all. */
async function expectRefused(method: string, path: string, body: Buffer | string | undefined, field: string): Promise<string> {
  const before = sandbox.state.calls.length;
  const answer = await send(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error?.code).toBe('VALIDATION');
  expect(answer.body.error?.message).toContain(field);
  expect(sandbox.state.calls.length - before).toBe(0);
  return answer.body.error?.message ?? '';
}

describe('issue 10 item 4: rounded money', () => {
  it('refuses the JSON number 12.3400000000000000001 (it was charged 12.34)', async () => {
    await expectRefused('POST', '/v1/payments', paymentText('12.3400000000000000001'), 'tranamt');
  });

  it('refuses the JSON number 0.009999999999999999999 (it was charged 0.01)', async () => {
    await expectRefused('POST', '/v1/payments', paymentText('0.009999999999999999999'), 'tranamt');
  });

  it('still takes 12.340 and 1234e-2 as 12.34 yuan (the exact decimal has two decimals)', async () => {
    for (const written of ['12.340', '1234e-2']) {
      const answer = await send('POST', '/v1/payments', paymentText(written));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.tranamt).toBe('12.34');
    }
  });
});

describe('issue 10 item 5: inputs that can never reconcile', () => {
  it('refuses an account with a leading space and a mercacc with a trailing one (never trimmed)', async () => {
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ account: ' 32719' })), 'account');
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ mercacc: '1001 ' })), 'mercacc');
  });

  it('refuses a lone surrogate in attach (it became U+FFFD in the bill)', async () => {
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ attach: 'x\ud800y' })), 'attach');
    // Also written as a JSON escape.
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment()).replace(/}$/, ',"attach":"x\\udc00"}'), 'attach');
  });

  it('refuses invalid UTF-8 in remark (it was stored as U+FFFD)', async () => {
    const text = JSON.stringify(payment({ remark: 'AB' }));
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf(Buffer.from('AB'));
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    await expectRefused('POST', '/v1/payments', bytes, 'UTF-8');
  });

  it('refuses an account of six characters outside [0-9A-Za-z] (the platform counts bytes)', async () => {
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ account: '☕☕☕☕☕☕' })), 'account');
  });

  it('limits remark and attach to 128 UTF-8 bytes, not characters', async () => {
    const message = await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ remark: '账'.repeat(43) })), 'remark');
    expect(message).toContain('128 bytes');
    const ok = await send('POST', '/v1/payments', JSON.stringify(payment({ remark: '账'.repeat(42), attach: 'a,b' })));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('refuses a repeated member name at any depth (last did win)', async () => {
    const body = JSON.stringify(payment()).replace(/}$/, ',"tranamt":"100.00"}');
    await expectRefused('POST', '/v1/payments', body, 'tranamt');
    const nested = '{"queries":[{"account":"32718","order_no":"q1","order_no":"q2"}]}';
    await expectRefused('POST', '/v1/payments/query', nested, 'queries[0].order_no');
  });
});

describe('the other input rules of API.md', () => {
  it('refuses control characters, including C1 (U+0080–U+009F)', async () => {
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ remark: 'a\u0085b' })), 'remark');
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ remark: 'a\u0007b' })), 'remark');
  });

  it('refuses surrounding whitespace in any string (id, pwd, remark)', async () => {
    await expectRefused('POST', '/v1/cards/query', JSON.stringify({ idtype: 'sno', id: '2015032718 ' }), 'id');
    await expectRefused('POST', '/v1/cards/query', JSON.stringify({ idtype: 'sno', id: '2015032718', pwd: '\u3000123456' }), 'pwd');
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ remark: ' x' })), 'remark');
  });

  it('holds acctype to ### or 1–3 of [0-9A-Za-z], order_no to [A-Za-z0-9_-]', async () => {
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ acctype: '0 1' })), 'acctype');
    await expectRefused('POST', '/v1/payments', JSON.stringify(payment({ acctype: '##' })), 'acctype');
    await expectRefused('POST', '/v1/refunds', JSON.stringify({ ...payment(), refund_order_no: 'a,b' }), 'refund_order_no');
  });

  it('takes bill_date only as a real day from 20000101 to today (China)', async () => {
    await expectRefused('GET', '/v1/bills/19991231', undefined, 'bill_date');
    const tomorrow = chinaDate(new Date(Date.now() + 24 * 3600 * 1000));
    await expectRefused('GET', `/v1/bills/${tomorrow}`, undefined, 'bill_date');
    await expectRefused('GET', '/v1/bills/20250229', undefined, 'bill_date');
    const today = await send('GET', `/v1/bills/${chinaDate(new Date())}`);
    expect(today.status).toBe(200);
  });
});
