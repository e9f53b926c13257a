// The sandbox's additions for the campaign: the client registers a new key (the old one then gets 40004,
// the new one is accepted), GET /control/calls lists every token call with the closest gap, and the call
// log names the order_no of each payment and refund.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKeyPair } from '../support/keys.js';
import { sandboxCall, startTestSandbox, type TestSandbox } from '../support/sandbox.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ minTokenIntervalMs: 60_000 });
});
afterAll(() => sandbox.close());

describe('a new client key registered with the platform', () => {
  it('refuses the old key with 40004 and accepts the new one', async () => {
    const first = await sandboxCall(sandbox, 'accessToken', {});
    expect(first.envelope?.errcode).toBe('0');

    const next = testKeyPair('sandbox-client-registered');
    sandbox.registerClientKey(next.publicPem);
    const old = await sandboxCall(sandbox, 'accessToken', {});
    expect(old.envelope?.errcode).toBe('40004');
    const renewed = await sandboxCall({ ...sandbox, clientPrivateKey: next.privateKey }, 'queryCard', { idtype: 'sno', id: '2015032718' }, {
      accessToken: sandbox.state.currentToken?.value ?? '',
    });
    expect(renewed.envelope?.errcode).toBe('0');
  });
});

describe('the token calls in GET /control/calls', () => {
  it('lists the token calls, how many were refused as too frequent, and the closest two', async () => {
    const key = testKeyPair('sandbox-client-registered');
    const current = { ...sandbox, clientPrivateKey: key.privateKey };
    const refused = await sandboxCall(current, 'accessToken', {});
    expect(refused.root?.retcode).toBe('60066');

    const response = await fetch(`${sandbox.controlUrl}/calls`);
    expect(response.status).toBe(200);
    const { tokens: body } = (await response.json()) as { tokens: { total: number; issued: number; refused_too_frequent: number; closest_gap_ms: number; calls: { errcode: string; retcode?: string }[] } };
    // The 40004 call of the old key is a token call too: the sandbox refused it before any business rule.
    expect(body).toMatchObject({ total: 3, issued: 1, refused_too_frequent: 1 });
    expect(body.calls.map((call) => call.errcode)).toEqual(['0', '40004', '0']);
    expect(body.closest_gap_ms).toBeGreaterThanOrEqual(0);
    expect(body.closest_gap_ms).toBeLessThan(60_000);
  });
});

describe('the order_no of payments and refunds in the call log', () => {
  it('is kept for pay and refund calls that passed the system checks, processed or refused by a retcode fault', async () => {
    const key = testKeyPair('sandbox-client-registered');
    const current = { ...sandbox, clientPrivateKey: key.privateKey };
    const accessToken = sandbox.state.currentToken?.value ?? '';
    const before = sandbox.state.calls.length;
    const payment = { order_no: 'log-pay-1', account: '32718', acctype: '###', tranamt: 100, mercacc: '1001' };
    expect((await sandboxCall(current, 'pay', payment, { accessToken })).root?.retcode).toBe('0');
    sandbox.faults.inject({ type: 'retcode', retcode: '60010' });
    await sandboxCall(current, 'pay', { ...payment, order_no: 'log-pay-2' }, { accessToken });
    await sandboxCall(current, 'queryCard', { idtype: 'sno', id: '2015032718' }, { accessToken });
    const logged = sandbox.state.calls.slice(before).map((call) => [call.orderNo, call.processed]);
    expect(logged).toEqual([['log-pay-1', true], ['log-pay-2', false], [undefined, true]]);
  });
});
