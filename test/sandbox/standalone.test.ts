// `npm run sandbox` as a user runs it (a child process), driven over HTTP by a client written from
// PROTOCOL.md alone and by the control routes: every route, every fault, and their input errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chinaTimestamp, ProtocolClient, type ClientSecret } from './protocol-client.js';

const METHOD = {
  token: ['synjones.authorize.access_token', 'authorize_access_token'],
  card: ['synjones.onecard.query.card', 'query_card'],
  pay: ['synjones.onecard.gdccard.pay', 'gdccard_pay'],
  bill: ['synjones.onecard.down.bill', 'down_bill'],
} as const;

let child: ChildProcess;
let dir: string;
let banner: string[];
let urls: { origin: string; api: string; bill: string; control: string };
let secret: ClientSecret;
let client: ProtocolClient;
let serial = 0;

async function startCli(args: readonly string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const started = spawn(process.execPath, ['--import', 'tsx', 'lib/sandbox/main.ts', ...args], {
    cwd: join(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no banner in 20 s: ${out}${err}`)), 20_000);
    started.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('Ctrl-C stops it.')) {
        clearTimeout(timer);
        resolve(out.split('\n'));
      }
    });
    started.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    started.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
  return { child: started, lines };
}

async function control(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${urls.control}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const queue = (fault: Record<string, unknown>) => control('POST', '/faults', fault);
const errorOf = (json: Record<string, unknown>) => (json.error as { code: string; message: string }).message;

function pay(amount = '1.00', account = '32719'): Promise<ReturnType<ProtocolClient['call']> extends Promise<infer A> ? A : never> {
  serial += 1;
  return client.call(...METHOD.pay, { account, tranamt: amount, acctype: '###', mercacc: '1001', order_no: `SA${Date.now()}${serial}` });
}

const card = () => client.call(...METHOD.card, { idtype: 'sno', id: '2015032719' });

async function balance(account: string): Promise<number> {
  return (await control('GET', `/accounts/${account}`)).json.balance_fen as number;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
  const started = await startCli(['--port', '0', '--secret-out', join(dir, 'nested', 'secret.json'), '--quiet']);
  child = started.child;
  banner = started.lines;
  const origin = /^sandbox listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(banner[0] ?? '')?.[1] ?? '';
  const url = (label: string) => banner.find((line) => line.trim().startsWith(label))?.trim().split(/\s+/)[1] ?? '';
  urls = { origin, api: url('API'), bill: url('bill'), control: url('control') };
  secret = JSON.parse(await readFile(join(dir, 'nested', 'secret.json'), 'utf8')) as ClientSecret;
  client = new ProtocolClient(secret, urls.api, urls.bill);
  await client.fetchToken();
}, 30_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await control('DELETE', '/faults');
  await control('PUT', '/clock', { offset_ms: 0 });
});

describe('npm run sandbox', () => {
  it('prints the listening line, then the API, bill and control URLs', () => {
    expect(urls.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.api).toBe(`${urls.origin}/onecard/uap/gateway.action`);
    expect(urls.bill).toBe(`${urls.origin}/onecard/uap/downbill.do`);
    expect(urls.control).toBe(`${urls.origin}/control`);
  });

  it('writes the secret in API.md shape, readable by its owner only, and never prints key material', async () => {
    expect(Object.keys(secret).sort()).toEqual(['app_key', 'app_secret', 'bill_key', 'platform_public_key', 'private_key']);
    expect(Buffer.from(secret.app_secret, 'base64')).toHaveLength(24);
    expect(Buffer.from(secret.bill_key ?? '', 'base64')).toHaveLength(8);
    expect((await stat(join(dir, 'nested', 'secret.json'))).mode & 0o777).toBe(0o600);
    const printed = banner.join('\n');
    expect(printed).not.toContain(secret.app_secret);
    expect(printed).not.toMatch(/BEGIN|PRIVATE/);
  });

  it('refuses bad arguments with a message and the usage', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', 'lib/sandbox/main.ts', '--port', 'abc'], { cwd: join(import.meta.dirname, '../..') });
    let err = '';
    bad.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--port must be a number from 0 to 65535');
    expect(err).toContain('usage: npm run sandbox');
  }, 20_000);
});

describe('an independent client over the protocol', () => {
  it('gets a token, queries a card and pays; the control route shows the balance move', async () => {
    const cards = await card();
    expect(cards.errcode).toBe('0');
    expect(cards.signedAs).toBe('omitted');
    expect((cards.root?.card as unknown[]).length).toBe(1);
    const before = await balance('32719');
    const paid = await pay('2.50');
    expect(paid.root).toMatchObject({ retcode: '0', tranamt: '2.50' });
    expect(await balance('32719')).toBe(before - 250);
  });
});

describe('control: faults', () => {
  it('queues, lists and clears, optionally for one method (short or full name)', async () => {
    const queued = await queue({ type: 'busy', times: 2, method: 'pay' });
    expect(queued.status).toBe(201);
    expect(queued.json.queued).toEqual({ type: 'busy', remaining: 2, methods: ['synjones.onecard.gdccard.pay'] });
    await queue({ type: 'latency', ms: 10, methods: ['synjones.onecard.query.card'] });
    expect((await control('GET', '/faults')).json.faults).toHaveLength(2);
    expect((await card()).errcode).toBe('0'); // not pay: busy stays queued
    expect((await pay()).errcode).toBe('-1');
    expect((await control('GET', '/faults')).json.faults).toEqual([{ type: 'busy', remaining: 1, methods: ['synjones.onecard.gdccard.pay'] }]);
    expect((await control('DELETE', '/faults')).json).toEqual({ cleared: 1, faults: [] });
    expect((await pay()).root?.retcode).toBe('0');
  });

  it('busy, a system errcode, a business retcode: nothing applied', async () => {
    const before = await balance('32719');
    await queue({ type: 'busy' });
    expect((await pay()).errcode).toBe('-1');
    await queue({ type: 'systemError', errcode: '40018' });
    expect((await pay()).errcode).toBe('40018');
    await queue({ type: 'retcode', retcode: '60010', errmsg: '余额不足' });
    const refused = await pay();
    expect(refused.errcode).toBe('0');
    expect(refused.root).toEqual({ retcode: '60010', errmsg: '余额不足' });
    expect(await balance('32719')).toBe(before);
  });

  it('latency delays the answer, the payment applied', async () => {
    const before = await balance('32719');
    await queue({ type: 'latency', ms: 300 });
    const started = Date.now();
    expect((await pay()).root?.retcode).toBe('0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(await balance('32719')).toBe(before - 100);
  });

  it('timeout keeps the connection open until the client gives up; dropAfterCommit closes it; both apply the payment', async () => {
    const before = await balance('32719');
    await queue({ type: 'timeout' });
    serial += 1;
    const error = await client
      .call(...METHOD.pay, { account: '32719', tranamt: '1.00', acctype: '###', mercacc: '1001', order_no: `TO${serial}` }, { signal: AbortSignal.timeout(500) })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('TimeoutError');
    expect(await balance('32719')).toBe(before - 100);
    await queue({ type: 'dropAfterCommit' });
    await expect(pay()).rejects.toThrow(/fetch failed/);
    expect(await balance('32719')).toBe(before - 200);
  });

  it('badSignature and garbled: the client sees a bad signature or an undecryptable request', async () => {
    await queue({ type: 'badSignature' });
    const bad = await pay();
    expect(bad.errcode).toBe('0');
    expect(bad.signedAs).toBeUndefined();
    await queue({ type: 'garbled' });
    const garbled = await pay();
    expect(garbled.signedAs).toBe('omitted');
    expect(garbled.root).toBeUndefined();
  });

  it('gbkText answers GBK plain text (default or given); plusAsSpace sends + as a space', async () => {
    await queue({ type: 'gbkText' });
    expect(iconv.decode((await card()).raw, 'gbk')).toBe('签名错误');
    await queue({ type: 'gbkText', text: '系统维护中' });
    expect(iconv.decode((await card()).raw, 'gbk')).toBe('系统维护中');
    let sawSpace = false;
    for (let i = 0; i < 8 && !sawSpace; i += 1) {
      await queue({ type: 'plusAsSpace' });
      const answer = await card();
      expect(answer.raw.toString()).not.toContain('%2B');
      sawSpace = /request=[^&]*\+/.test(answer.raw.toString());
      expect(answer.root?.retcode).toBe('0');
    }
    expect(sawSpace).toBe(true);
  });

  it('invalidateToken: 40017, then a new token works; emptyRequest signs `request=` either way', async () => {
    await queue({ type: 'emptyRequest', signing: 'named' });
    await queue({ type: 'invalidateToken' });
    const dead = await card();
    expect(dead.errcode).toBe('40017');
    expect(dead.fields?.request).toBe('');
    expect(dead.signedAs).toBe('named');
    await queue({ type: 'emptyRequest', signing: 'omitted' });
    await queue({ type: 'systemError', errcode: '-1' });
    const busy = await card();
    expect(busy).toMatchObject({ errcode: '-1', signedAs: 'omitted', fields: { errcode: '-1', request: '' } });
    await control('PUT', '/clock', { offset_ms: 3 * 60_000 }); // past the 2-minute token interval
    await client.fetchToken();
    expect((await card()).errcode).toBe('0');
  });

  it.each([
    [{ type: 'nope' }, /type must be one of busy, latency, timeout/],
    [{ type: 'busy', ms: 3 }, /unknown field\(s\) for busy: ms/],
    [{ type: 'busy', times: 0 }, /times must be an integer from 1/],
    [{ type: 'busy', method: 'synjones.onecard.nothing' }, /unknown method "synjones.onecard.nothing": use one of accessToken/],
    [{ type: 'busy', method: 'pay', methods: ['pay'] }, /method or methods, not both/],
    [{ type: 'latency' }, /ms must be an integer from 0/],
    [{ type: 'retcode', retcode: '0' }, /retcode must not be 0/],
    [{ type: 'retcode', retcode: 'abc' }, /retcode must be a business retcode/],
    [{ type: 'systemError' }, /errcode must be a system errcode/],
    [{ type: 'emptyRequest', signing: 'both' }, /signing must be "omitted".*or "named"/],
    [{ type: 'gbkText', text: 'a\nb' }, /text must be a text of 1 to 200 characters on one line/],
    [{ type: 'trickleBody', bytes: 0, everyMs: 10 }, /bytes must be an integer >= 1/],
    [{ type: 'trickleBody', bytes: 100 }, /everyMs must be an integer from 1 to/],
  ])('refuses %j with a 400 that says why', async (body, message) => {
    const { status, json } = await queue(body);
    expect(status).toBe(400);
    expect(errorOf(json)).toMatch(message);
    expect((await control('GET', '/faults')).json.faults).toEqual([]);
  });

  it('refuses a body that is not JSON, not an object, or not sent as JSON', async () => {
    expect((await control('POST', '/faults', '{"type":')).status).toBe(400);
    expect(errorOf((await control('POST', '/faults', '[1]')).json)).toBe('the body must be a JSON object');
    const form = await control('POST', '/faults', 'type=busy', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
  });
});

describe('control: accounts, seeding, clock, calls, index', () => {
  it('lists accounts with balances in fen and yuan, one account, and 404 for an unknown one', async () => {
    const { json } = await control('GET', '/accounts');
    const accounts = json.accounts as Array<Record<string, unknown>>;
    expect(accounts.map((a) => a.account)).toEqual(['32718', '32723', '32719', '32720', '32721', '32722']);
    expect(accounts[0]).toMatchObject({ account: '32718', name: '张三', e_accounts: [{ acctype: '001', balance_fen: 5000, balance: '50.00' }] });
    const one = await control('GET', '/accounts/32721');
    expect(one.json).toMatchObject({ account: '32721', lost: true, balance_fen: 10_000, balance: '100.00' });
    const missing = await control('GET', '/accounts/99999');
    expect(missing.status).toBe(404);
    expect(errorOf(missing.json)).toContain('99999');
  });

  it('seeds a day with N generated orders that the bill then carries, footer and all', async () => {
    const seeded = await control('POST', '/days/20261130/orders', { count: 2000, seed: 7 });
    expect(seeded.status).toBe(201);
    expect(seeded.json).toMatchObject({ bill_date: '20261130', created: 2000, orders_that_day: 2000 });
    const { payments, refunds, failed } = seeded.json as { payments: number; refunds: number; failed: number };
    expect(payments + refunds).toBe(2000);
    expect(refunds).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    await control('PUT', '/clock', { now: '2026-12-01T09:00:00+08:00' }); // the bill of a past day
    const bill = await client.call(...METHOD.bill, { bill_date: '20261130', bill_type: 'ALL', crypt_type: '0' }, { at: new Date('2026-12-01T01:00:00Z') });
    const lines = bill.raw.toString('utf8').trim().split('\n');
    const rows = lines.filter((line) => !line.startsWith('#')).slice(0, -1);
    expect(rows).toHaveLength(2000);
    expect(rows.every((row) => row.startsWith('20261130'))).toBe(true);
    const totalFen = rows.reduce((sum, row) => sum + Math.round(Number(row.split(',')[8]) * 100), 0);
    expect(lines.at(-1)).toBe(`2000,${(totalFen / 100).toFixed(2)}`);
  });

  it('refuses a seed with a bad day, count or field', async () => {
    expect(errorOf((await control('POST', '/days/20261131/orders', { count: 1 })).json)).toMatch(/calendar day/);
    expect(errorOf((await control('POST', '/days/20261129/orders', { count: 0 })).json)).toMatch(/count must be an integer from 1 to 1000000/);
    expect(errorOf((await control('POST', '/days/20261129/orders', {})).json)).toMatch(/count is required/);
    expect(errorOf((await control('POST', '/days/20261129/orders', { count: 1, rows: 2 })).json)).toMatch(/unknown field\(s\): rows/);
  });

  it('moves the clock: a 7-minute offset makes an honest timestamp skewed (40018); 5 minutes is tolerated', async () => {
    const set = await control('PUT', '/clock', { offset_ms: 7 * 60_000 });
    expect(set.json.offset_ms).toBe(420_000);
    expect((await card()).errcode).toBe('40018');
    const future = new Date(Date.now() + 7 * 60_000);
    expect((await client.call(...METHOD.card, { idtype: 'sno', id: '2015032719' }, { at: future })).errcode).toBe('0');
    await control('PUT', '/clock', { offset_ms: -5 * 60_000 });
    expect((await card()).errcode).toBe('0');
    const now = await control('PUT', '/clock', { now: '2027-01-01T00:00:00+08:00' });
    expect(now.json.now).toMatch(/^2027-01-01T00:00:0\d\+08:00$/);
    expect((await control('GET', '/clock')).json.offset_ms).toBe(now.json.offset_ms);
    expect(chinaTimestamp(new Date((now.json.now_utc as string)))).toMatch(/^2027-01-01 00:00:0\d$/);
    for (const bad of [{}, { offset_ms: 1.5 }, { now: '2027-01-01' }, { offset_ms: 1, now: '2027-01-01T00:00:00Z' }, { offset_ms: 1e15 }]) {
      expect((await control('PUT', '/clock', bad)).status).toBe(400);
    }
  });

  it('lists the last calls (and clears them); the index names every route and fault type', async () => {
    await control('DELETE', '/calls');
    await card();
    const calls = (await control('GET', '/calls')).json.calls as Array<Record<string, unknown>>;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'synjones.onecard.query.card', errcode: '0', processed: true });
    await card();
    const counted = (await control('GET', '/calls')).json;
    expect(counted.total).toBe(2);
    expect(counted.by_method).toEqual({ 'synjones.onecard.query.card': 2 });
    const index = (await control('GET', '')).json;
    expect((index.routes as string[]).length).toBe(9);
    expect(index.fault_types).toHaveLength(12);
  });

  it('answers 404 for an unknown control route and 405 for a wrong method', async () => {
    expect((await control('GET', '/nothing')).status).toBe(404);
    const wrong = await control('PATCH', '/faults', {});
    expect(wrong.status).toBe(405);
    expect(errorOf(wrong.json)).toMatch(/use GET or POST or DELETE/);
  });
});
