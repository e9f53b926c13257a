// The local stack over real HTTP: every route, 404/405, the OpenAPI document, log capture, an
// external platform configured by URL + secret file, a shared database, and a fuzz of malformed
// requests that never produces a 5xx.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer } from '../../lib/local/stack.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { useLocalHttp } from '../support/local-http.js';

const logs: string[] = [];
/** rig.dataRoot holds the data directory of every server here, and is removed at the end. */
const rig = useLocalHttp({
  prefix: 'onecard-local-test-',
  dataDir: 'main',
  // A lenient token rule on both sides, so the token-invalidation recovery does not wait 2 minutes.
  sandbox: { minTokenIntervalMs: 0, logger: (line: string) => logs.push(`[sandbox] ${line}`) },
  server: {
    logSink: (line: string) => logs.push(line),
    config: { ...loadConfig({}), platformTimeoutMs: 1_000 },
    runtime: { tokenOptions: { minIssueIntervalMs: 0 } },
  },
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${rig.server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Sends raw bytes and returns everything the server writes until it closes the connection. */
function rawRequest(request: string): Promise<string> {
  const { hostname, port } = new URL(rig.server.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('every route over HTTP', () => {
  it('GET /v1/health', async () => {
    const answer = await http('GET', '/v1/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
    expect(answer.headers.get('x-request-id')).toBeTruthy();
  });

  it('HEAD /v1/health: the status and headers of GET, and not one byte of body on the wire', async () => {
    const get = await http('GET', '/v1/health');
    const raw = await rawRequest(`HEAD /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(rest.join('\r\n\r\n')).toBe('');
    const headers = Object.fromEntries(
      head.split('\r\n').slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    expect(headers['content-type']).toBe(get.headers.get('content-type'));
    expect(headers['content-length']).toBe(get.headers.get('content-length'));
    expect(headers['x-request-id']).toBeTruthy();
  });

  it('GET /openapi.json', async () => {
    const answer = await http('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths)).toContain('/v1/payments/{order_no}');
  });

  it('POST /v1/cards/query', async () => {
    const answer = await http('POST', '/v1/cards/query', { idtype: 'sno', id: '2015032719' }, { 'x-request-id': 'local-card-1' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBe('local-card-1');
    expect(answer.body.cards[0]).toMatchObject({ account: '32719', db_balance_yuan: '50.00' });
  });

  it('POST /v1/payments, GET /v1/payments/{order_no}, POST /v1/payments/query, POST /v1/refunds, GET /v1/bills/{date}', async () => {
    const paid = await http('POST', '/v1/payments', { order_no: 'loc-1', account: '32718', tranamt: '20', mercacc: '1001' });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'SUCCESS', tranamt: '20.00' });

    const got = await http('GET', '/v1/payments/loc-1');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(paid.body);

    const queried = await http('POST', '/v1/payments/query', { queries: [{ account: '32718', order_no: 'loc-1' }] });
    expect(queried.status).toBe(200);
    expect(queried.body.results[0]).toMatchObject({ order_no: 'loc-1', status: 'SUCCESS', out_id: paid.body.out_id });

    const refunded = await http('POST', '/v1/refunds', { order_no: 'loc-r1', refund_order_no: 'loc-1', account: '32718', tranamt: '5', mercacc: '1001' });
    expect(refunded.status).toBe(200);
    expect((await http('GET', '/v1/payments/loc-1')).body.refunded).toBe('5.00');

    const bill = await http('GET', `/v1/bills/${chinaDate()}?bill_type=ALL&crypt_type=1`);
    expect(bill.status).toBe(200);
    expect(bill.body.rows.map((row: { order_no: string }) => row.order_no).sort()).toEqual(['loc-1', 'loc-r1']);
    expect(bill.body.reconciliation.matched).toBe(2);
  });

  it('keeps what it writes (the bill above, raw and reconciled) in its data directory', async () => {
    expect(rig.server.dataDir).toBe(join(rig.dataRoot, 'main'));
    expect(rig.server.billDir).toBe(join(rig.dataRoot, 'main', 'bills'));
    const files = async (dir: string) => (await readdir(dir, { recursive: true })).filter((entry) => /\.(txt|json)$/.test(entry));
    expect(await files(join(rig.server.billDir, 'raw'))).toEqual([expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/ALL\.txt$/)]);
    expect(await files(join(rig.server.billDir, 'reports'))).toEqual([expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/ALL\.json$/)]);
    expect((await readdir(rig.dataRoot)).sort()).toEqual(['main']);
  });

  it('decodes percent-encoded path parameters', async () => {
    const answer = await http('GET', '/v1/payments/loc%2D1');
    expect(answer.status).toBe(200);
    expect((await http('GET', '/v1/payments/%E0%A4%A')).status).toBe(400);
  });

  it('404 and 405 with the error shape and Allow', async () => {
    const missing = await http('GET', '/v2/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const wrong = await http('PUT', '/v1/payments', {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', retryable: false });
    expect(wrong.headers.get('x-request-id')).toBeTruthy();
  });

  it.each(['constructor=x', 'toString=1', '__proto__=x'])('a query key named like a built-in (%s) is 400, not 500', async (query) => {
    const answer = await http('GET', `/v1/bills/20260101?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION');
  });

  it('bodies over the limits are 400, never 413/5xx', async () => {
    const big = await http('POST', '/v1/payments', JSON.stringify({ remark: 'x'.repeat(20_000) }));
    expect(big.status).toBe(400);
    expect(big.body.error.message).toContain('too large');
    const huge = await http('POST', '/v1/payments', 'x'.repeat(2 * 1024 * 1024));
    expect(huge.status).toBe(400);
  });

  it('a request Node cannot read (a head over 16 KB, a malformed request line) has the error shape and a request id', async () => {
    const raw = (request: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(rig.server.port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.write(request);
      });
    for (const [request, status] of [
      [`GET /v1/bills/20261202?cursor=${'A'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`, 431],
      ['GET /v1/health HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n', 400],
    ] as const) {
      const answer = await raw(request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head, answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
      expect(JSON.parse(body!)).toEqual({ error: { code: 'VALIDATION', message: expect.any(String), retryable: false } });
    }
  });

  it('503 with Retry-After when the platform is busy for a card query', async () => {
    rig.sandbox.faults.inject({ type: 'busy' }, { methods: ['synjones.onecard.query.card'] });
    const answer = await http('POST', '/v1/cards/query', { idtype: 'sno', id: '2015032719' });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('2');
    expect(answer.body.error).toMatchObject({ code: 'UPSTREAM_BUSY', retryable: true });
  });

  it('recovers when the platform invalidated the token (40017 → new token, one retry)', async () => {
    const issued = rig.sandbox.state.tokenIssueCount;
    rig.sandbox.state.invalidateToken();
    const answer = await http('POST', '/v1/cards/query', { idtype: 'acc', id: '32719' });
    expect(answer.status).toBe(200);
    expect(rig.sandbox.state.tokenIssueCount).toBe(issued + 1);
  });

  it('504 when the platform does not answer in time', async () => {
    rig.sandbox.faults.inject({ type: 'latency', ms: 2_500 }, { methods: ['synjones.onecard.query.card'] });
    const answer = await http('POST', '/v1/cards/query', { idtype: 'acc', id: '32719' });
    expect(answer.status).toBe(504);
    expect(answer.body.error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
  });

  it('the log sink captured the requests, without secrets', () => {
    const text = logs.join('\n');
    expect(text).toContain('"request_id":"local-card-1"');
    expect(text).not.toContain(rig.sandbox.secret.app_secret);
    expect(text).not.toContain('PRIVATE KEY');
    const token = rig.sandbox.state.currentToken?.value;
    expect(token).toBeTruthy();
    expect(text).not.toContain(token!);
  });
});

describe('fuzz over HTTP (2,000 malformed requests)', () => {
  const paths = fc.oneof(
    fc.constantFrom('/v1/payments', '/v1/refunds', '/v1/cards/query', '/v1/payments/query', '/v1/payments/x', '/v1/bills/20260101', '/v1/health', '/'),
    fc.webPath(),
    fc.stringMatching(/^\/v1\/(payments|bills)\/[A-Za-z0-9%_.~!*'()-]{0,40}$/),
  );
  const bodies = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 300 }),
    fc.dictionary(
      fc.constantFrom('order_no', 'account', 'tranamt', 'mercacc', 'acctype', 'refund_order_no', 'queries', 'idtype', 'id', 'x'),
      fc.jsonValue(),
    ).map((value) => JSON.stringify(value)),
  );
  const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade', 'te', 'trailer'].includes(name));
  const headers = fc.dictionary(headerName, fc.stringMatching(/^[\x20-\x7e]{0,64}$/), { maxKeys: 4 });

  it('never answers 5xx; every 4xx has the error object and a request id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), paths, bodies, headers, async (method, path, body, extra) => {
        const sendBody = method === 'GET' ? undefined : body;
        const answer = await http(method, path, sendBody, extra);
        expect(answer.status, `${method} ${path} ${answer.text}`).toBeLessThan(500);
        expect(answer.headers.get('x-request-id')).toBeTruthy();
        if (answer.status >= 400) {
          expect(answer.body?.error, answer.text).toEqual({
            code: expect.any(String),
            message: expect.any(String),
            retryable: expect.any(Boolean),
          });
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('other ways to run it', () => {
  it('starts its own sandbox and dynalite when given nothing, and stops them', async () => {
    const own = await startLocalServer({ port: 0, config: loadConfig({}), dataDir: join(rig.dataRoot, 'own'), logSink: () => undefined });
    try {
      expect(own.ownsSandbox).toBe(true);
      expect(own.embeddedDynamo).toBe(true);
      const answer = await fetch(`${own.url}/v1/cards/query`, { method: 'POST', body: JSON.stringify({ idtype: 'acc', id: '32719' }) });
      expect(answer.status).toBe(200);
    } finally {
      await own.close();
    }
    await expect(fetch(`${own.url}/v1/health`)).rejects.toThrow();
  });

  it('talks to an external platform from SYNJONES_API_URL + SYNJONES_SECRET_FILE, sharing one database', async () => {
    const dir = join(rig.dataRoot, 'secret');
    await mkdir(dir);
    const secretFile = join(dir, 'secret.json');
    await writeFile(secretFile, JSON.stringify(rig.sandbox.secret));
    const external = await startLocalServer({
      port: 0,
      config: loadConfig({ SYNJONES_API_URL: rig.sandbox.url, SYNJONES_SECRET_FILE: secretFile, DYNAMODB_ENDPOINT: rig.server.dynamoEndpoint }),
      dataDir: join(rig.dataRoot, 'external'),
      tables: rig.server.tables,
      logSink: () => undefined,
    });
    try {
      expect(external.sandbox).toBeUndefined();
      expect(external.embeddedDynamo).toBe(false);
      // The same ledger as the first server: its payment is visible here.
      const answer = await fetch(`${external.url}/v1/payments/loc-1`);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { order_no: string }).order_no).toBe('loc-1');
    } finally {
      await external.close();
    }
  });

  it('refuses to start against an external platform without a secret file', async () => {
    await expect(
      startLocalServer({ port: 0, config: loadConfig({ SYNJONES_API_URL: rig.sandbox.url }), dataDir: join(rig.dataRoot, 'refused'), dynamoEndpoint: rig.server.dynamoEndpoint, tables: rig.server.tables, logSink: () => undefined }),
    ).rejects.toThrow(/SYNJONES_SECRET_FILE/);
  });

  it('runs the scheduled handlers in its scope', async () => {
    const result = (await rig.server.invoke('access-token', {})) as { renewed: boolean };
    expect(typeof result.renewed).toBe('boolean');
  });
});
