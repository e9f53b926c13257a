// Proves each injectable fault's observable behaviour on the wire and whether the request was
// applied (so HTTP-level tests can assert exactly-once debits), plus times/methods/clear.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lib/protocol/envelope.js';
import { GarbledResponseError, SignatureMismatchError, UpstreamTextError } from '../../lib/protocol/errors.js';
import { FAULT_PROCESSES_REQUEST, SANDBOX_METHODS, type SandboxFault } from '../../lib/sandbox/index.js';
import {
  issueSandboxToken,
  sandboxCall,
  sendSandboxRequest,
  startTestSandbox,
  type TestSandbox,
} from '../support/sandbox.js';

let sandbox: TestSandbox;
let token: string;
let serial = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0 });
  token = await issueSandboxToken(sandbox);
});
afterAll(async () => sandbox.close());
beforeEach(() => {
  sandbox.faults.clear();
  sandbox.state.setBalance('32719', 100_000);
});

function newOrder(): Record<string, string> {
  serial += 1;
  return { account: '32719', tranamt: '1.00', acctype: '###', mercacc: '100000', order_no: `F${serial}` };
}

function sendPay(order: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return sendSandboxRequest(sandbox, 'pay', order, { accessToken: token });
}

function decode(body: Buffer, verify = true): ReturnType<typeof decodeEnvelope> {
  return decodeEnvelope(body, {
    tripleDesKey: sandbox.tripleDesKey,
    httpStatus: 200,
    ...(verify ? { platformPublicKey: sandbox.platformPublicKey } : {}),
  });
}

function lastCall(): (typeof sandbox.state.calls)[number] | undefined {
  return sandbox.state.calls.at(-1);
}

describe('each fault', () => {
  it('busy: errcode -1, nothing applied', async () => {
    sandbox.faults.inject({ type: 'busy' });
    const order = newOrder();
    const { body } = await sendPay(order);
    expect(decode(body).errcode).toBe('-1');
    expect(sandbox.state.order(order.order_no!)).toBeUndefined();
    expect(sandbox.state.balanceFen('32719')).toBe(100_000);
    expect(lastCall()).toMatchObject({ method: SANDBOX_METHODS.pay, errcode: '-1', fault: 'busy', processed: false });
    const retried = await sandboxCall(sandbox, 'pay', order, { accessToken: token });
    expect(retried.root?.retcode).toBe('0');
  });

  it('systemError: the given errcode, nothing applied', async () => {
    sandbox.faults.inject({ type: 'systemError', errcode: '-2' });
    const order = newOrder();
    expect(decode((await sendPay(order)).body).errcode).toBe('-2');
    expect(sandbox.state.order(order.order_no!)).toBeUndefined();
  });

  it('badSignature: a well-formed envelope whose sign does not verify; the payment is applied', async () => {
    sandbox.faults.inject({ type: 'badSignature' });
    const order = newOrder();
    const { body } = await sendPay(order);
    expect(() => decode(body)).toThrow(SignatureMismatchError);
    const unverified = decode(body, false);
    expect(unverified.errcode).toBe('0');
    expect((unverified.json as { gdccard_pay: { out_id: string } }).gdccard_pay.out_id).toBe(sandbox.state.order(order.order_no!)?.outId);
    expect(sandbox.state.balanceFen('32719')).toBe(99_900);
  });

  it('gbkText: HTTP 200 with 签名错误 in GBK, nothing applied', async () => {
    sandbox.faults.inject({ type: 'gbkText' });
    const order = newOrder();
    const { status, body } = await sendPay(order);
    expect(status).toBe(200);
    expect(body.equals(iconv.encode('签名错误', 'gbk'))).toBe(true);
    expect(() => decode(body)).toThrow(UpstreamTextError);
    try {
      decode(body);
    } catch (error) {
      expect((error as UpstreamTextError).text).toBe('签名错误');
    }
    expect(sandbox.state.order(order.order_no!)).toBeUndefined();
    expect(lastCall()).toMatchObject({ errcode: 'TEXT', processed: false });
  });

  it('gbkText with a custom text', async () => {
    sandbox.faults.inject({ type: 'gbkText', text: '系统维护中' });
    const { body } = await sendPay(newOrder());
    expect(iconv.decode(body, 'gbk')).toBe('系统维护中');
  });

  it('dropAfterCommit: the payment is applied once, the socket closes without an answer', async () => {
    sandbox.faults.inject({ type: 'dropAfterCommit' });
    const order = newOrder();
    await expect(sendPay(order)).rejects.toThrow();
    expect(sandbox.state.order(order.order_no!)).toMatchObject({ status: '60', amountFen: 100 });
    expect(sandbox.state.balanceFen('32719')).toBe(99_900);
    expect(lastCall()).toMatchObject({ errcode: 'DROPPED', fault: 'dropAfterCommit', processed: true });
    const replay = await sandboxCall(sandbox, 'pay', order, { accessToken: token });
    expect(replay.root).toMatchObject({ retcode: '0', out_id: sandbox.state.order(order.order_no!)?.outId });
    const query = await sandboxCall(sandbox, 'payQuery', { pay_queries: [{ account: '32719', acctype: '###', order_no: order.order_no }] }, { accessToken: token });
    expect((query.root?.pay_querys as Array<Record<string, unknown>>)[0]?.order_status).toBe('60');
    expect(sandbox.state.balanceFen('32719')).toBe(99_900);
  });

  it('invalidateToken: the live token dies, the call gets 40017, nothing applied', async () => {
    sandbox.faults.inject({ type: 'invalidateToken' });
    const order = newOrder();
    expect(decode((await sendPay(order)).body).errcode).toBe('40017');
    expect(sandbox.state.currentToken).toBeUndefined();
    expect(sandbox.state.order(order.order_no!)).toBeUndefined();
    token = await issueSandboxToken(sandbox);
    expect((await sandboxCall(sandbox, 'pay', order, { accessToken: token })).root?.retcode).toBe('0');
  });

  it('plusAsSpace: no %2B on the wire, "+" arrives as space, the tolerant decoder restores it', async () => {
    sandbox.faults.inject({ type: 'plusAsSpace' });
    const order = newOrder();
    const { body } = await sendPay(order);
    const text = body.toString('utf8');
    expect(text).not.toContain('%2B');
    const strictlyDecoded = new URLSearchParams(text);
    expect(strictlyDecoded.get('sign')).not.toContain('+');
    expect(strictlyDecoded.get('request')).not.toContain('+');
    const decoded = decode(body);
    expect((decoded.json as { gdccard_pay: { out_id: string } }).gdccard_pay.out_id).toBe(sandbox.state.order(order.order_no!)?.outId);
  });

  it('garbled: errcode 0, signed, but request does not decrypt; the payment is applied', async () => {
    sandbox.faults.inject({ type: 'garbled' });
    const order = newOrder();
    const { body } = await sendPay(order);
    expect(new URLSearchParams(body.toString()).get('errcode')).toBe('0');
    expect(() => decode(body)).toThrow(GarbledResponseError); // thrown after the signature verified
    expect(sandbox.state.order(order.order_no!)?.status).toBe('60');
  });

  it('latency: the request is applied before the delayed answer', async () => {
    sandbox.faults.inject({ type: 'latency', ms: 60_000 });
    const order = newOrder();
    const abort = new AbortController();
    let settled = false;
    const pending = sendSandboxRequest(sandbox, 'pay', order, { accessToken: token, signal: abort.signal }).finally(() => {
      settled = true;
    });
    while (!sandbox.state.order(order.order_no!)) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(settled).toBe(false);
    expect(sandbox.state.balanceFen('32719')).toBe(99_900);
    abort.abort();
    await expect(pending).rejects.toThrow();
  });

  it('latency: a short delay still answers normally', async () => {
    sandbox.faults.inject({ type: 'latency', ms: 20 });
    const result = await sandboxCall(sandbox, 'pay', newOrder(), { accessToken: token });
    expect(result.root?.retcode).toBe('0');
  });

  const everyFault: SandboxFault[] = [
    { type: 'latency', ms: 1 },
    { type: 'busy' },
    { type: 'systemError', errcode: '-10' },
    { type: 'badSignature' },
    { type: 'gbkText' },
    { type: 'dropAfterCommit' },
    { type: 'invalidateToken' },
    { type: 'plusAsSpace' },
    { type: 'garbled' },
  ];
  it.each(everyFault)('$type: applied exactly as FAULT_PROCESSES_REQUEST says', async (fault) => {
    token = sandbox.state.currentToken?.value ?? (await issueSandboxToken(sandbox));
    sandbox.faults.inject(fault);
    const order = newOrder();
    await sendPay(order).catch(() => undefined);
    const applied = FAULT_PROCESSES_REQUEST[fault.type];
    expect(sandbox.state.order(order.order_no!) !== undefined).toBe(applied);
    expect(sandbox.state.balanceFen('32719')).toBe(applied ? 99_900 : 100_000);
    expect(lastCall()).toMatchObject({ fault: fault.type, processed: applied });
  });
});

describe('timeout and retcode faults', () => {
  it.each([{ type: 'timeout' }, { type: 'retcode', retcode: '60017', errmsg: '超过消费限额' }] as SandboxFault[])(
    '$type: applied exactly as FAULT_PROCESSES_REQUEST says',
    async (fault) => {
      token = sandbox.state.currentToken?.value ?? (await issueSandboxToken(sandbox));
      sandbox.faults.inject(fault);
      const order = newOrder();
      const answer = await sendSandboxRequest(sandbox, 'pay', order, { accessToken: token, signal: AbortSignal.timeout(400) }).catch(
        (error: unknown) => error as Error,
      );
      const applied = FAULT_PROCESSES_REQUEST[fault.type];
      expect(sandbox.state.order(order.order_no!) !== undefined).toBe(applied);
      expect(sandbox.state.balanceFen('32719')).toBe(applied ? 99_900 : 100_000);
      expect(lastCall()).toMatchObject({ fault: fault.type, processed: applied });
      if (fault.type === 'timeout') {
        expect((answer as Error).name).toBe('TimeoutError');
        expect(lastCall()?.errcode).toBe('UNANSWERED');
      } else {
        const root = (decode((answer as { body: Buffer }).body).json as { gdccard_pay: unknown }).gdccard_pay;
        expect(root).toEqual({ retcode: '60017', errmsg: '超过消费限额' });
      }
    },
  );
});

describe('fault selection', () => {
  it('applies only to the listed methods and only `times` times', async () => {
    sandbox.faults.inject({ type: 'busy' }, { times: 2, methods: [SANDBOX_METHODS.pay] });
    expect((await sandboxCall(sandbox, 'queryCard', { idtype: 'acc', id: '32719' }, { accessToken: token })).envelope?.errcode).toBe('0');
    expect(decode((await sendPay(newOrder())).body).errcode).toBe('-1');
    expect(sandbox.faults.pending).toHaveLength(1);
    expect(decode((await sendPay(newOrder())).body).errcode).toBe('-1');
    expect(sandbox.faults.pending).toHaveLength(0);
    expect(decode((await sendPay(newOrder())).body).errcode).toBe('0');
  });

  it('fires forever with times: Infinity until cleared', async () => {
    sandbox.faults.inject({ type: 'systemError', errcode: '40014' }, { times: Infinity });
    for (let i = 0; i < 3; i += 1) expect(decode((await sendPay(newOrder())).body).errcode).toBe('40014');
    sandbox.faults.clear();
    expect(decode((await sendPay(newOrder())).body).errcode).toBe('0');
  });

  it('combines a latency fault with another fault on the same call', async () => {
    sandbox.faults.inject({ type: 'latency', ms: 10 });
    sandbox.faults.inject({ type: 'badSignature' });
    const { body } = await sendPay(newOrder());
    expect(() => decode(body)).toThrow(SignatureMismatchError);
    expect(sandbox.faults.pending).toHaveLength(0);
  });

  it('applies to the bill endpoint too', async () => {
    sandbox.faults.inject({ type: 'busy' }, { methods: [SANDBOX_METHODS.downBill] });
    const result = await sandboxCall(sandbox, 'downBill', { bill_date: '20260101', bill_type: 'ALL', crypt_type: '0' }, { accessToken: token });
    expect(result.envelope?.errcode).toBe('-1');
  });

  it('rejects nonsense injections', () => {
    expect(() => sandbox.faults.inject({ type: 'busy' }, { times: 0 })).toThrow();
    expect(() => sandbox.faults.inject({ type: 'latency', ms: -1 })).toThrow();
  });
});
