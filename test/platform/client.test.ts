// The platform client with an injected fake transport: wire shape, typed results in fen, error
// mapping, and the retry rules (40017 once, 40004 once, never on an unknown money outcome).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BILL_HEAD_BYTES, createPlatformClient, defaultBillUrl, type Transport, type TransportRequest } from '../../lib/platform/client.js';
import { billRowBatches } from '../../lib/bills/bill-stream.js';
import type { AccessTokenSource, Credentials, CredentialsSource, PlatformClient } from '../../lib/platform/types.js';
import { formatBill } from '../../lib/protocol/bill.js';
import { desEcbEncryptNoPadding } from '../../lib/protocol/crypto.js';
import { ValidationError } from '../../lib/errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import {
  BusinessError,
  GarbledResponseError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { MAX_SENDS_PER_CALL, TOKEN_CALL_SENDS } from '../../lib/platform/sends.js';
import { testKeyPair } from '../support/keys.js';
import { platformResponse, readClientRequest, type DecodedRequest } from '../protocol/fake-platform.js';
import { rejection } from '../support/rejection.js';
import { downloadWholeBill } from '../support/whole-bill.js';

const clientKeys = testKeyPair('client-test-client');
const platformKeys = testKeyPair('client-test-platform');
const tripleDesKey = randomBytes(24);
const API_URL = 'http://platform.test:8080/onecard/uap/gateway.action';

function makeCredentials(): CredentialsSource & { gets: number; refreshes: number } {
  const credentials: Credentials = {
    appKey: 'app-key-1',
    tripleDesKey,
    billDesKey: tripleDesKey.subarray(0, 8),
    privateKey: clientKeys.privateKey,
    platformPublicKey: platformKeys.publicKey,
  };
  const source = {
    gets: 0,
    refreshes: 0,
    async get() {
      source.gets += 1;
      return credentials;
    },
    async refresh() {
      source.refreshes += 1;
      return credentials;
    },
  };
  return source;
}

function makeTokens(): AccessTokenSource & { invalidated: string[]; current: string } {
  const tokens = {
    current: 'token-1',
    invalidated: [] as string[],
    async get() {
      return tokens.current;
    },
    async invalidate(failed: string) {
      tokens.invalidated.push(failed);
      tokens.current = `token-${tokens.invalidated.length + 1}`;
    },
  };
  return tokens;
}

type Responder = (request: TransportRequest) => { status?: number; body: Buffer } | Error;

interface Harness {
  readonly client: PlatformClient;
  readonly sent: Array<TransportRequest & { decoded: DecodedRequest }>;
  readonly credentials: ReturnType<typeof makeCredentials>;
  readonly tokens: ReturnType<typeof makeTokens>;
}

function harness(responders: Responder[], options: { now?: () => Date; billUrl?: string } = {}): Harness {
  const sent: Harness['sent'] = [];
  const queue = [...responders];
  const transport: Transport = async (request) => {
    sent.push({ ...request, decoded: readClientRequest(request.body, tripleDesKey, clientKeys.publicKey) });
    const responder = queue.shift();
    if (!responder) throw new Error('unexpected extra call');
    const result = responder(request);
    if (result instanceof Error) throw result;
    return { status: result.status ?? 200, body: result.body };
  };
  const credentials = makeCredentials();
  const tokens = makeTokens();
  const client = createPlatformClient({
    apiUrl: API_URL,
    credentials,
    tokens,
    transport,
    timeoutMs: 1234,
    ...(options.now ? { now: options.now } : {}),
    ...(options.billUrl ? { billUrl: options.billUrl } : {}),
  });
  return { client, sent, credentials, tokens };
}

const ok =
  (rootKey: string, payload: Record<string, unknown>): Responder =>
  () => ({
    body: platformResponse({
      errcode: '0',
      json: { [rootKey]: { retcode: '0', errmsg: '', ...payload } },
      tripleDesKey,
      platformPrivateKey: platformKeys.privateKey,
    }).body,
  });
const system =
  (errcode: string): Responder =>
  () => ({ body: platformResponse({ errcode, tripleDesKey, platformPrivateKey: platformKeys.privateKey }).body });
const business =
  (rootKey: string, retcode: string, errmsg: string): Responder =>
  () => ({
    body: platformResponse({
      errcode: '0',
      json: { [rootKey]: { retcode, errmsg } },
      tripleDesKey,
      platformPrivateKey: platformKeys.privateKey,
    }).body,
  });
const networkError = (code: string): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
const payRequest = { orderNo: 'P-1', account: '32718', acctype: '###', mercacc: '100000', amountFen: 1050, termid: 12 };

describe('wire shape', () => {
  it('fetchAccessToken sends 128 zeros and reads expires_in', async () => {
    const h = harness([ok('authorize_access_token', { access_token: 'T', expires_in: '7200' })]);
    await expect(h.client.fetchAccessToken()).resolves.toEqual({ accessToken: 'T', expiresInSeconds: 7200 });
    const request = h.sent[0]!;
    expect(request.url).toBe(API_URL);
    expect(request.timeoutMs).toBe(1234);
    expect(request.decoded.fields.access_token).toBe('0'.repeat(128));
    expect(request.decoded.fields.method).toBe('synjones.authorize.access_token');
    expect(request.decoded.json).toEqual({ authorize_access_token: {} });
    expect(request.decoded.signatureValid).toBe(true);
  });

  it('pay sends yuan with two decimals, termid as a string, and a timestamp computed once', async () => {
    const at = new Date('2026-11-25T16:00:00Z');
    let calls = 0;
    const h = harness([ok('gdccard_pay', { out_id: 'OUT1', tranamt: '10.5' })], {
      now: () => {
        calls += 1;
        return at;
      },
    });
    await expect(h.client.pay({ ...payRequest, remark: '饭卡', attach: 'a,b' })).resolves.toEqual({ outId: 'OUT1', amountFen: 1050 });
    expect(calls).toBe(1);
    const { fields, json, signatureValid } = h.sent[0]!.decoded;
    expect(signatureValid).toBe(true);
    expect(fields.timestamp).toBe('2026-11-26 00:00:00');
    expect(fields.access_token).toBe('token-1');
    expect(fields.app_key).toBe('app-key-1');
    expect(json).toEqual({
      gdccard_pay: {
        account: '32718', tranamt: '10.50', acctype: '###', mercacc: '100000', remark: '饭卡', attach: 'a,b', order_no: 'P-1', termid: '12',
      },
    });
  });

  it('refund sends refund_order_no and reads reund_order_no replies', async () => {
    const h = harness([ok('gdccard_refund', { out_id: 'R1', tranamt: 10, reund_order_no: 'P-1' })]);
    await expect(
      h.client.refund({ orderNo: 'R-1', refundOrderNo: 'P-1', account: '1', acctype: '###', mercacc: '2', amountFen: 1000 }),
    ).resolves.toEqual({ outId: 'R1', amountFen: 1000 });
    expect(h.sent[0]!.decoded.json).toEqual({
      gdccard_refund: { account: '1', tranamt: '10.00', acctype: '###', mercacc: '2', order_no: 'R-1', refund_order_no: 'P-1' },
    });
  });

  it('queryCard accepts a single card object and sends get_merge as 0/1', async () => {
    const h = harness([ok('query_card', { card: { account: '7654', db_balance: '10000' } })]);
    await expect(h.client.queryCard({ idtype: 'sno', id: '2015', getMerge: true })).resolves.toEqual([
      { account: '7654', db_balance: '10000' },
    ]);
    expect(h.sent[0]!.decoded.json).toEqual({ query_card: { idtype: 'sno', id: '2015', get_merge: '1' } });
  });

  it('payQuery sends pay_queries and reads pay_querys', async () => {
    const h = harness([
      ok('pay_query', {
        pay_querys: [{ account: '98', acctype: '###', order_no: 'A', out_id: 'O', tranamt: '100.0', order_status: '60' }],
      }),
    ]);
    await expect(h.client.payQuery([{ account: '98', acctype: '###', orderNo: 'A' }])).resolves.toEqual([
      { orderNo: 'A', account: '98', acctype: '###', amountFen: 10000, outId: 'O', orderStatus: '60' },
    ]);
    expect(h.sent[0]!.decoded.json).toEqual({ pay_query: { pay_queries: [{ account: '98', acctype: '###', order_no: 'A' }] } });
  });

  it('validates wire limits before sending anything', async () => {
    const h = harness([]);
    expect(await rejection(h.client.pay({ ...payRequest, account: '12345678901' }))).toBeInstanceOf(ValidationError);
    expect(await rejection(h.client.pay({ ...payRequest, amountFen: 0 }))).toBeInstanceOf(ValidationError);
    expect(await rejection(h.client.payQuery([]))).toBeInstanceOf(ValidationError);
    expect(h.sent).toHaveLength(0);
  });
});

describe('errors', () => {
  it('maps errcodes, retcodes, bad signatures, text and garbled bodies to typed errors', async () => {
    const unsigned: Responder = () => ({ body: platformResponse({ errcode: '0', json: { gdccard_pay: { retcode: '0' } }, tripleDesKey }).body });
    const forged: Responder = () => ({
      body: platformResponse({ errcode: '0', json: { gdccard_pay: { retcode: '0', out_id: 'X' } }, tripleDesKey, platformPrivateKey: clientKeys.privateKey }).body,
    });
    const gbk: Responder = () => ({ body: Buffer.from([0xc7, 0xa9, 0xc3, 0xfb, 0xb4, 0xed, 0xce, 0xf3]) });
    const garbled: Responder = () => ({
      body: platformResponse({ errcode: '0', rawRequest: 'AAAAAAAAAAA=', tripleDesKey, platformPrivateKey: platformKeys.privateKey }).body,
    });
    const cases: Array<[Responder, new (...args: never[]) => Error, string]> = [
      [system('-1'), PlatformBusyError, 'UNKNOWN'],
      [system('40018'), PlatformSystemError, 'REJECTED'],
      [business('gdccard_pay', '60010', '余额不足'), BusinessError, 'REJECTED'],
      [unsigned, SignatureMismatchError, 'UNKNOWN'],
      [forged, SignatureMismatchError, 'UNKNOWN'],
      [gbk, UpstreamTextError, 'UNKNOWN'],
      [garbled, GarbledResponseError, 'UNKNOWN'],
      [ok('gdccard_pay', { tranamt: '10.50' }), GarbledResponseError, 'UNKNOWN'],
    ];
    for (const [responder, type, delivery] of cases) {
      const h = harness([responder]);
      const error = await rejection(h.client.pay(payRequest));
      expect(error).toBeInstanceOf(type);
      expect((error as { delivery: string }).delivery).toBe(delivery);
      expect(h.sent).toHaveLength(1);
    }
    const text = await rejection(harness([gbk]).client.queryCard({ idtype: 'sno', id: '1' }));
    expect((text as UpstreamTextError).text).toBe('签名错误');
  });

  it('maps transport failures to delivery states and never retries a money call on them', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    const cases: Array<[Error, new (...args: never[]) => Error, string]> = [
      [networkError('ECONNREFUSED'), PlatformUnreachableError, 'NOT_SENT'],
      [networkError('ENOTFOUND'), PlatformUnreachableError, 'NOT_SENT'],
      [networkError('ECONNRESET'), PlatformUnreachableError, 'UNKNOWN'],
      [networkError('UND_ERR_SOCKET'), PlatformUnreachableError, 'UNKNOWN'],
      [new Error('something odd'), PlatformUnreachableError, 'UNKNOWN'],
      [timeout, PlatformTimeoutError, 'UNKNOWN'],
    ];
    for (const [thrown, type, delivery] of cases) {
      for (const call of ['pay', 'refund'] as const) {
        const h = harness([() => thrown, ok('gdccard_pay', { out_id: 'never' })]);
        const error =
          call === 'pay'
            ? await rejection(h.client.pay(payRequest))
            : await rejection(h.client.refund({ ...payRequest, refundOrderNo: 'P-0' }));
        expect(error).toBeInstanceOf(type);
        expect((error as { delivery: string }).delivery).toBe(delivery);
        expect(h.sent).toHaveLength(1);
      }
    }
    const h = harness([() => Object.assign(new Error('t'), { name: 'TimeoutError' })]);
    expect(((await rejection(h.client.pay(payRequest))) as PlatformTimeoutError).timeoutMs).toBe(1234);
  });
});

describe('retries', () => {
  it('40017: invalidates exactly the failed token and retries once with a new one', async () => {
    const h = harness([system('40017'), ok('gdccard_pay', { out_id: 'OUT', tranamt: '10.50' })]);
    await expect(h.client.pay(payRequest)).resolves.toEqual({ outId: 'OUT', amountFen: 1050 });
    expect(h.tokens.invalidated).toEqual(['token-1']);
    expect(h.sent.map((s) => s.decoded.fields.access_token)).toEqual(['token-1', 'token-2']);
    expect(h.sent[1]!.decoded.json).toEqual(h.sent[0]!.decoded.json); // same order_no, same body
  });

  it('40017 twice then success: the second retry covers a token killed by an unanswered token call', async () => {
    const h = harness([system('40017'), system('40017'), ok('query_card', { card: [] })]);
    await expect(h.client.queryCard({ idtype: 'sno', id: '1' })).resolves.toEqual([]);
    expect(h.sent).toHaveLength(3);
    expect(h.tokens.invalidated).toHaveLength(2);
  });

  it('40017 three times: gives up with TokenInvalidError after two retries', async () => {
    const h = harness([system('40017'), system('40017'), system('40017')]);
    expect(await rejection(h.client.queryCard({ idtype: 'sno', id: '1' }))).toBeInstanceOf(TokenInvalidError);
    expect(h.sent).toHaveLength(3);
    expect(h.tokens.invalidated).toHaveLength(2);
    expect(h.tokens.invalidated[0]).toBe('token-1');
  });

  it('a failed token call surfaces as TokenUnavailableError (the business call was never sent)', async () => {
    const h = harness([ok('gdccard_pay', { out_id: 'never' })]);
    h.tokens.get = async () => {
      throw new PlatformBusyError('-1');
    };
    const error = await rejection(h.client.pay(payRequest));
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).cause).toBeInstanceOf(PlatformBusyError);
    expect((error as TokenUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect(h.sent).toHaveLength(0);
  });

  it('a token call that never left keeps its NOT_SENT error', async () => {
    const h = harness([]);
    h.tokens.get = async () => {
      throw new PlatformUnreachableError('connect ECONNREFUSED', 'NOT_SENT');
    };
    expect(await rejection(h.client.pay(payRequest))).toBeInstanceOf(PlatformUnreachableError);
  });

  it('40004: re-reads credentials and retries once; twice → PlatformSystemError', async () => {
    const h = harness([system('40004'), ok('query_card', { card: [] })]);
    await expect(h.client.queryCard({ idtype: 'sno', id: '1' })).resolves.toEqual([]);
    expect(h.credentials.refreshes).toBe(1);
    const h2 = harness([system('40004'), system('40004')]);
    const error = await rejection(h2.client.pay(payRequest));
    expect(error).toBeInstanceOf(PlatformSystemError);
    expect((error as PlatformSystemError).errcode).toBe('40004');
    expect(h2.sent).toHaveLength(2);
    expect(h2.credentials.refreshes).toBe(1);
  });

  it('40017 then 40004 then success: each retried once', async () => {
    const h = harness([system('40017'), system('40004'), ok('gdccard_pay', { out_id: 'O' })]);
    await expect(h.client.pay(payRequest)).resolves.toEqual({ outId: 'O', amountFen: 1050 });
    expect(h.sent).toHaveLength(3);
  });

  it('one call sends at most MAX_SENDS_PER_CALL times (lib/timings.ts derives from it); the token call TOKEN_CALL_SENDS', async () => {
    // Every retry the client allows, in the order that uses them all: 40017, 40017, 40004, then 40017 again.
    const rejections = [system('40017'), system('40017'), system('40004'), system('40017'), system('40004'), system('40017')];
    const h = harness(rejections);
    expect(await rejection(h.client.pay(payRequest))).toBeInstanceOf(TokenInvalidError);
    expect(h.sent).toHaveLength(MAX_SENDS_PER_CALL);
    const h2 = harness([system('40004'), system('40017'), system('40017'), system('40017'), system('40004')]);
    await rejection(h2.client.queryCard({ idtype: 'sno', id: '1' }));
    expect(h2.sent).toHaveLength(MAX_SENDS_PER_CALL);
    for (const responder of [system('40017'), system('40004'), system('-1')]) {
      const token = harness([responder, ok('authorize_access_token', { access_token: 'never', expires_in: '7200' })]);
      await rejection(token.client.fetchAccessToken());
      expect(token.sent).toHaveLength(TOKEN_CALL_SENDS);
    }
  });

  it('the token call never invalidates a token', async () => {
    const h = harness([system('40017')]);
    expect(await rejection(h.client.fetchAccessToken())).toBeInstanceOf(TokenInvalidError);
    expect(h.tokens.invalidated).toEqual([]);
    expect(h.sent).toHaveLength(1);
  });

  it('busy, business refusals and bad signatures are not retried', async () => {
    for (const responder of [system('-1'), business('gdccard_pay', '60070', 'paid'), system('40018')]) {
      const h = harness([responder, ok('gdccard_pay', { out_id: 'never' })]);
      await rejection(h.client.pay(payRequest));
      expect(h.sent).toHaveLength(1);
    }
  });
});

describe('the whole bill (downloadBillStream collected: test/support/whole-bill.ts)', () => {
  const rows = [
    {
      tradeTime: '2026-11-26T10:00:00+08:00', account: '1', acctype: '###', mercacc: '2', outId: 'O1', orderNo: 'P-1',
      tradeType: '01', orderStatus: '60', amountFen: 1050, attach: 'x,y',
    },
  ];
  const text = formatBill(rows, { lineEnding: '\r\n' });

  it('posts to the default bill URL and parses a crypt_type 0 bill', async () => {
    const h = harness([() => ({ body: Buffer.from(text) })]);
    const result = await downloadWholeBill(h.client, { billDate: '20261126', billType: 'ALL', cryptType: '0' });
    expect(h.sent[0]!.url).toBe('http://platform.test:8080/onecard/uap/downbill.do');
    expect(h.sent[0]!.decoded.json).toEqual({ down_bill: { bill_date: '20261126', bill_type: 'ALL', crypt_type: '0' } });
    expect(result.text).toBe(text);
    expect(result.bill).toEqual({ rows, count: 1, totalFen: 1050 });
  });

  it('decrypts a crypt_type 1 bill with the bill DES key', async () => {
    const plain = Buffer.from(text);
    const padded = Buffer.concat([plain, Buffer.alloc((8 - (plain.length % 8)) % 8)]);
    const body = desEcbEncryptNoPadding(padded, tripleDesKey.subarray(0, 8)).toString('base64');
    const h = harness([() => ({ body: Buffer.from(body) })], { billUrl: 'http://bills.test/x' });
    const result = await downloadWholeBill(h.client, { billDate: '20261126', billType: 'SUCCESS', cryptType: '1' });
    expect(h.sent[0]!.url).toBe('http://bills.test/x');
    expect(result.bill.totalFen).toBe(1050);
  });

  it('a failure envelope (errcode or down_bill retcode) becomes its typed error', async () => {
    const bill = { billDate: '20261126', billType: 'ALL', cryptType: '1' } as const;
    expect(await rejection(downloadWholeBill(harness([system('40012')]).client, bill))).toBeInstanceOf(PlatformSystemError);
    const refused = await rejection(downloadWholeBill(harness([business('down_bill', '60038', '无数据')]).client, bill));
    expect(refused).toBeInstanceOf(BusinessError);
    expect((refused as BusinessError).retcode).toBe('60038');
    const gbk = await rejection(downloadWholeBill(harness([() => ({ body: Buffer.from([0xc7, 0xa9, 0xc3, 0xfb, 0xb4, 0xed, 0xce, 0xf3]) })]).client, bill));
    expect((gbk as UpstreamTextError).text).toBe('签名错误');
    const corrupt = await rejection(
      downloadWholeBill(harness([() => ({ body: Buffer.from(text.replace('1,10.50', '2,10.50')) })]).client, { ...bill, cryptType: '0' }),
    );
    expect((corrupt as Error).message).toMatch(/^bill is corrupt/);
  });

  it('defaultBillUrl keeps only the origin', () => {
    expect(defaultBillUrl('https://h:9/a/b/gateway.action?x=1')).toBe('https://h:9/onecard/uap/downbill.do');
  });
});

describe('downloadBillStream', () => {
  const bigRows = Array.from({ length: 4000 }, (_, i) => ({
    tradeTime: '2026-11-26T10:00:00+08:00', account: String(1000 + i), acctype: '###', mercacc: '2', outId: `O${i}`, orderNo: `P-${i}`,
    tradeType: '01', orderStatus: '60', amountFen: 100 + i, attach: i % 2 ? 'a,b' : '',
  }));
  const bigText = formatBill(bigRows);
  const encrypted = (text: string): Buffer => {
    const plain = Buffer.from(text);
    const padded = Buffer.concat([plain, Buffer.alloc((8 - (plain.length % 8)) % 8)]);
    return Buffer.from(desEcbEncryptNoPadding(padded, tripleDesKey.subarray(0, 8)).toString('base64'));
  };
  const collect = async (plain: AsyncIterable<Uint8Array>): Promise<Buffer> => {
    const parts: Uint8Array[] = [];
    for await (const part of plain) parts.push(part);
    return Buffer.concat(parts);
  };
  const request = { billDate: '20261126', billType: 'ALL', cryptType: '1' } as const;

  it('streams a bill larger than its head, crypt 1 and crypt 0, to the same bytes the whole-bill path reads', async () => {
    expect(encrypted(bigText).length).toBeGreaterThan(4 * BILL_HEAD_BYTES);
    const one = await harness([() => ({ body: encrypted(bigText) })]).client.downloadBillStream(request);
    expect(one.wholeText).toBeUndefined();
    expect((await collect(one.plain)).toString('utf8')).toBe(bigText);
    const zero = await harness([() => ({ body: Buffer.from(bigText) })]).client.downloadBillStream({ ...request, cryptType: '0' });
    const batches = billRowBatches(zero.plain);
    let count = 0;
    for await (const batch of batches) count += batch.length;
    expect(count).toBe(4000);
    expect(batches.footer().count).toBe(4000);
  });

  it('checks a small body whole: a small bill, refusal envelopes and platform text', async () => {
    const small = formatBill(bigRows.slice(0, 2));
    const streamed = await harness([() => ({ body: encrypted(small) })]).client.downloadBillStream(request);
    expect(streamed.wholeText).toBe(small.trimEnd());
    expect(await rejection(harness([system('40012')]).client.downloadBillStream(request))).toBeInstanceOf(PlatformSystemError);
    expect(await rejection(harness([business('down_bill', '60038', '无数据')]).client.downloadBillStream(request))).toBeInstanceOf(BusinessError);
    const gbk = await rejection(harness([() => ({ body: Buffer.from([0xc7, 0xa9, 0xc3, 0xfb, 0xb4, 0xed, 0xce, 0xf3]) })]).client.downloadBillStream(request));
    expect((gbk as UpstreamTextError).text).toBe('签名错误');
  });

  it('refuses a long answer that is not a 2xx bill, and a long corrupt bill while it is read', async () => {
    const page = Buffer.from('<p>'.repeat(BILL_HEAD_BYTES));
    expect(await rejection(harness([() => ({ status: 502, body: page })]).client.downloadBillStream(request))).toBeInstanceOf(UpstreamTextError);
    expect(await rejection(harness([() => ({ body: page })]).client.downloadBillStream(request))).toBeInstanceOf(GarbledResponseError);
    const corrupt = await harness([() => ({ body: Buffer.from(bigText.replace('\n4000,', '\n3999,')) })]).client.downloadBillStream({ ...request, cryptType: '0' });
    await expect(async () => {
      for await (const _batch of billRowBatches(corrupt.plain)) void _batch;
    }).rejects.toThrow(/the footer says 3999 rows, found 4000/);
  });
});
