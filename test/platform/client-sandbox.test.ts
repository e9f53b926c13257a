// The real client against the sandbox platform over real HTTP: all six methods, both bill crypt
// types, and every fault the sandbox can inject, each mapped to its typed error; the whole suite
// runs once per shape of error envelope (request absent, or empty under either signing reading).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPlatformClient } from '../../lib/platform/client.js';
import type { AccessTokenSource, Credentials, CredentialsSource, PlatformClient } from '../../lib/platform/types.js';
import { billDesKey, tripleDesKey } from '../../lib/protocol/crypto.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import {
  BusinessError,
  GarbledResponseError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import { loadPrivateKey, loadPublicKey } from '../../lib/protocol/keys.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { ERROR_REQUEST_FIELDS, startSandbox, type ErrorRequestField, type Sandbox } from '../../lib/sandbox/index.js';
import { rejection } from '../support/rejection.js';
import { downloadWholeBill } from '../support/whole-bill.js';

let sandbox: Sandbox;
let client: PlatformClient;
let credentialReads = 0;
let orderSeq = 0;

function credentialsOf(s: Sandbox): CredentialsSource {
  const load = async (): Promise<Credentials> => {
    credentialReads += 1;
    const secret = s.secret;
    const key = tripleDesKey(secret.app_secret);
    return {
      appKey: secret.app_key,
      tripleDesKey: key,
      billDesKey: billDesKey(key, secret.bill_key),
      privateKey: loadPrivateKey(secret.private_key ?? '', 'private_key'),
      ...(secret.platform_public_key ? { platformPublicKey: loadPublicKey(secret.platform_public_key, 'platform_public_key') } : {}),
    };
  };
  return { get: load, refresh: load };
}

/** A minimal token source over the client itself (lib/token does this for real). */
function tokensOf(getClient: () => PlatformClient): AccessTokenSource {
  let token: string | undefined;
  return {
    async get() {
      token ??= (await getClient().fetchAccessToken()).accessToken;
      return token;
    },
    async invalidate(failed) {
      if (token === failed) token = undefined;
    },
  };
}

function makeClient(s: Sandbox, timeoutMs = 3000): PlatformClient {
  let made: PlatformClient | undefined;
  made = createPlatformClient({
    apiUrl: s.url,
    credentials: credentialsOf(s),
    tokens: tokensOf(() => made!),
    timeoutMs,
  });
  return made;
}

const nextOrder = (prefix = 'T') => `${prefix}${Date.now()}${(orderSeq += 1)}`;
const payment = (orderNo: string, amountFen = 1050) => ({
  orderNo, account: '32718', acctype: '###', mercacc: '100000', amountFen, attach: 'lunch, canteen 2',
});

describe.each(ERROR_REQUEST_FIELDS)('error envelopes with request %s', (reading: ErrorRequestField) => {
  beforeAll(async () => {
    sandbox = await startSandbox({ minTokenIntervalMs: 0, billKey: 'generate', errorRequestField: reading });
    client = makeClient(sandbox);
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(() => sandbox.faults.clear());

  describe('all six methods', () => {
    it('access token', async () => {
      const issued = await client.fetchAccessToken();
      expect(issued.accessToken.length).toBeGreaterThan(0);
      expect(issued.expiresInSeconds).toBe(7200);
    });

    it('query card (one sno, two cards)', async () => {
      const cards = await client.queryCard({ idtype: 'sno', id: '2015032718' });
      expect(cards.map((card) => card.account).sort()).toEqual(['32718', '32723']);
      const main = cards.find((card) => card.account === '32718');
      expect(main?.db_balance).toBe(String(sandbox.state.balanceFen('32718')));
      expect(await rejection(client.queryCard({ idtype: 'sno', id: '2015032718', pwd: 'wrong' }))).toBeInstanceOf(BusinessError);
    });

    it('pay, refund and pay.query move and report money in fen', async () => {
      const before = sandbox.state.balanceFen('32718');
      const payNo = nextOrder('P');
      const paid = await client.pay(payment(payNo));
      expect(paid.amountFen).toBe(1050);
      expect(paid.outId).toBe(sandbox.state.order(payNo)?.outId);
      expect(sandbox.state.balanceFen('32718')).toBe(before - 1050);

      const refundNo = nextOrder('R');
      const refunded = await client.refund({ ...payment(refundNo, 500), refundOrderNo: payNo });
      expect(refunded.amountFen).toBe(500);
      expect(sandbox.state.balanceFen('32718')).toBe(before - 550);

      const missing = nextOrder('M');
      const results = await client.payQuery([
        { account: '32718', acctype: '###', orderNo: payNo },
        { account: '32718', acctype: '###', orderNo: missing },
      ]);
      expect(results.find((r) => r.orderNo === payNo)).toMatchObject({ orderStatus: '60', amountFen: 1050, outId: paid.outId });
      expect(results.find((r) => r.orderNo === missing)?.orderStatus).toBe('78');
    });

    it('a business refusal is a BusinessError with the retcode (insufficient balance)', async () => {
      const error = await rejection(client.pay({ ...payment(nextOrder()), account: '32720' }));
      expect(error).toBeInstanceOf(BusinessError);
      expect((error as BusinessError).retcode).toBe('60010');
    });

    it('down.bill in both crypt types agrees with the payments of the day', async () => {
      const orderNo = nextOrder('B');
      await client.pay(payment(orderNo, 1234));
      const billDate = chinaDate();
      const plain = await downloadWholeBill(client, { billDate, billType: 'ALL', cryptType: '0' });
      const encrypted = await downloadWholeBill(client, { billDate, billType: 'ALL', cryptType: '1' });
      expect(encrypted.bill).toEqual(plain.bill);
      const row = plain.bill.rows.find((r) => r.orderNo === orderNo);
      expect(row).toMatchObject({ amountFen: 1234, account: '32718', tradeType: '01', attach: 'lunch, canteen 2' });
      expect(plain.bill.totalFen).toBe(plain.bill.rows.reduce((sum, r) => sum + r.amountFen, 0));
    });
  });

  describe('every fault, typed', () => {
    it('latency beyond the timeout → PlatformTimeoutError (UNKNOWN), and the payment was applied', async () => {
      const slow = makeClient(sandbox, 300);
      await slow.queryCard({ idtype: 'sno', id: '2015032719' }); // token first
      sandbox.faults.inject({ type: 'latency', ms: 1000 });
      const orderNo = nextOrder();
      const error = await rejection(slow.pay(payment(orderNo)));
      expect(error).toBeInstanceOf(PlatformTimeoutError);
      expect((error as PlatformTimeoutError).delivery).toBe('UNKNOWN');
      expect(sandbox.state.order(orderNo)?.status).toBe('60');
    });

    it('busy → PlatformBusyError, not processed, not retried', async () => {
      sandbox.state.clearCalls();
      sandbox.faults.inject({ type: 'busy' });
      const orderNo = nextOrder();
      expect(await rejection(client.pay(payment(orderNo)))).toBeInstanceOf(PlatformBusyError);
      expect(sandbox.state.order(orderNo)).toBeUndefined();
      expect(sandbox.state.calls.filter((c) => c.method.endsWith('gdccard.pay'))).toHaveLength(1);
    });

    it('system errcode → PlatformSystemError; 40004 re-reads credentials and retries once', async () => {
      sandbox.faults.inject({ type: 'systemError', errcode: '40018' });
      const error = await rejection(client.queryCard({ idtype: 'sno', id: '2015032719' }));
      expect((error as PlatformSystemError).errcode).toBe('40018');
      await client.queryCard({ idtype: 'sno', id: '2015032719' }); // a live token (another client's token call killed ours)
      const reads = credentialReads;
      sandbox.state.clearCalls();
      sandbox.faults.inject({ type: 'systemError', errcode: '40004' });
      const orderNo = nextOrder();
      await expect(client.pay(payment(orderNo))).resolves.toMatchObject({ amountFen: 1050 });
      expect(credentialReads).toBe(reads + 2); // the call's get() and the refresh()
      expect(sandbox.state.calls.map((c) => c.errcode)).toEqual(['40004', '0']);
    });

    it('bad signature → SignatureMismatchError (UNKNOWN)', async () => {
      sandbox.faults.inject({ type: 'badSignature' });
      const error = await rejection(client.pay(payment(nextOrder())));
      expect(error).toBeInstanceOf(SignatureMismatchError);
      expect((error as SignatureMismatchError).delivery).toBe('UNKNOWN');
    });

    it('GBK plain text → UpstreamTextError with the decoded text', async () => {
      sandbox.faults.inject({ type: 'gbkText' });
      const error = await rejection(client.queryCard({ idtype: 'sno', id: '2015032719' }));
      expect(error).toBeInstanceOf(UpstreamTextError);
      expect((error as UpstreamTextError).text).toBe('签名错误');
    });

    it('connection dropped after the payment is applied → PlatformUnreachableError (UNKNOWN), never retried', async () => {
      sandbox.state.clearCalls();
      sandbox.faults.inject({ type: 'dropAfterCommit' });
      const orderNo = nextOrder();
      const error = await rejection(client.pay(payment(orderNo)));
      expect(error).toBeInstanceOf(PlatformUnreachableError);
      expect((error as PlatformUnreachableError).delivery).toBe('UNKNOWN');
      expect(sandbox.state.order(orderNo)?.status).toBe('60');
      expect(sandbox.state.calls.filter((c) => c.method.endsWith('gdccard.pay'))).toHaveLength(1);
    });

    it('token invalidated → 40017, a new token and one retry succeed', async () => {
      await client.queryCard({ idtype: 'sno', id: '2015032719' });
      const issued = sandbox.state.tokenIssueCount;
      sandbox.faults.inject({ type: 'invalidateToken' });
      const orderNo = nextOrder();
      await expect(client.pay(payment(orderNo))).resolves.toMatchObject({ amountFen: 1050 });
      expect(sandbox.state.tokenIssueCount).toBe(issued + 1);
      expect(sandbox.state.order(orderNo)?.status).toBe('60');
    });

    it('+ sent as a space → decoded and verified all the same', async () => {
      for (let i = 0; i < 5; i += 1) {
        sandbox.faults.inject({ type: 'plusAsSpace' });
        const cards = await client.queryCard({ idtype: 'sno', id: '2015032718' });
        expect(cards).toHaveLength(2);
      }
    });

    it('garbled request value → GarbledResponseError (UNKNOWN)', async () => {
      sandbox.faults.inject({ type: 'garbled' });
      const error = await rejection(client.pay(payment(nextOrder())));
      expect(error).toBeInstanceOf(GarbledResponseError);
      expect((error as GarbledResponseError).delivery).toBe('UNKNOWN');
    });

    it('faults on the bill endpoint: busy and GBK text', async () => {
      const request = { billDate: chinaDate(), billType: 'ALL', cryptType: '1' } as const;
      sandbox.faults.inject({ type: 'busy' }, { methods: ['synjones.onecard.down.bill'] });
      expect(await rejection(downloadWholeBill(client, request))).toBeInstanceOf(PlatformBusyError);
      sandbox.faults.inject({ type: 'gbkText' }, { methods: ['synjones.onecard.down.bill'] });
      expect(await rejection(downloadWholeBill(client, request))).toBeInstanceOf(UpstreamTextError);
    });

    it('connection refused → PlatformUnreachableError (NOT_SENT)', async () => {
      const gone = await startSandbox();
      const goneClient = makeClient(gone);
      await gone.close();
      const error = await rejection(goneClient.queryCard({ idtype: 'sno', id: '1' }));
      expect(error).toBeInstanceOf(PlatformUnreachableError);
      expect((error as PlatformUnreachableError).delivery).toBe('NOT_SENT');
    });
  });
});
