// Proves the sandbox sends error envelopes in each shape platforms use (request absent, or empty and
// signed with the empty field left out or named), and applies the spec's byte-length limits.
import { createVerify } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_REQUEST_FIELDS, startSandbox, type ErrorRequestField } from '../../lib/sandbox/index.js';
import { issueSandboxToken, sandboxCall, sendSandboxRequest, startTestSandbox, type TestSandbox } from '../support/sandbox.js';

/** The raw envelope's fields (decoded once), in wire order. */
function fieldsOf(body: Buffer): Array<[string, string]> {
  return body
    .toString('utf8')
    .split('&')
    .map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), decodeURIComponent(pair.slice(at + 1))] as [string, string];
    });
}

function verifies(data: string, sign: string, sandbox: TestSandbox): boolean {
  return createVerify('RSA-SHA1').update(data, 'utf8').verify(sandbox.platformPublicKey, Buffer.from(sign, 'base64'));
}

const card = { idtype: 'sno', id: '2015032719' };

describe.each(ERROR_REQUEST_FIELDS)('errorRequestField %s', (reading: ErrorRequestField) => {
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ errorRequestField: reading });
  });
  afterAll(async () => sandbox.close());

  it('shapes and signs a 40017 as that reading, and only that reading verifies', async () => {
    const { body } = await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: 'f'.repeat(64) });
    const fields = fieldsOf(body);
    const names = fields.map(([name]) => name);
    const sign = fields.find(([name]) => name === 'sign')?.[1] ?? '';
    expect(fields.find(([name]) => name === 'errcode')?.[1]).toBe('40017');
    if (reading === 'absent') expect(names).toEqual(['errcode', 'sign']);
    else expect(fields.find(([name]) => name === 'request')).toEqual(['request', '']);
    expect(verifies('errcode40017', sign, sandbox)).toBe(reading !== 'emptyNamed');
    expect(verifies('errcode40017request', sign, sandbox)).toBe(reading === 'emptyNamed');
    expect(sandbox.state.calls.at(-1)?.errorRequestField).toBe(reading);
  });

  it('leaves a success envelope alone (request holds the payload)', async () => {
    const token = await issueSandboxToken(sandbox);
    const { body } = await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: token });
    const [errcode, request, sign] = fieldsOf(body);
    expect(errcode).toEqual(['errcode', '0']);
    expect(request?.[1].length).toBeGreaterThan(0);
    expect(verifies(`errcode0request${request?.[1]}`, sign?.[1] ?? '', sandbox)).toBe(true);
    expect(sandbox.state.calls.at(-1)?.errorRequestField).toBeUndefined();
  });
});

describe('the emptyRequest fault', () => {
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => sandbox.close());
  beforeEach(() => sandbox.faults.clear());

  it('shapes the next error envelopes only: a success in between does not use it up', async () => {
    sandbox.faults.inject({ type: 'emptyRequest', signing: 'named' }, { times: 2 });
    const token = await issueSandboxToken(sandbox);
    await sandboxCall(sandbox, 'queryCard', card, { accessToken: token }); // errcode 0: not counted
    expect(sandbox.faults.pending).toHaveLength(1);
    sandbox.faults.inject({ type: 'busy' });
    const busy = fieldsOf((await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: token })).body);
    expect(busy.map(([name]) => name)).toEqual(['errcode', 'request', 'sign']);
    expect(verifies('errcode-1request', busy[2]?.[1] ?? '', sandbox)).toBe(true);
    const second = fieldsOf((await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: 'x' })).body);
    expect(verifies('errcode40017request', second[2]?.[1] ?? '', sandbox)).toBe(true);
    expect(sandbox.faults.pending).toHaveLength(0);
    const third = fieldsOf((await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: 'x' })).body);
    expect(third.map(([name]) => name)).toEqual(['errcode', 'sign']);
  });

  it('signs the omitted reading when asked, and refuses a reading that does not exist', async () => {
    sandbox.faults.inject({ type: 'emptyRequest', signing: 'omitted' });
    const fields = fieldsOf((await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: 'x' })).body);
    expect(fields[1]).toEqual(['request', '']);
    expect(verifies('errcode40017', fields[2]?.[1] ?? '', sandbox)).toBe(true);
    expect(() => sandbox.faults.inject({ type: 'emptyRequest', signing: 'both' as 'named' })).toThrow(/omitted' or 'named/);
  });

  it('refuses an unknown errorRequestField option at start', async () => {
    await expect(startSandbox({ errorRequestField: 'empty' as ErrorRequestField })).rejects.toThrow(/errorRequestField/);
  });
});

describe('byte-length limits of the spec (UTF-8 bytes, not characters)', () => {
  let sandbox: TestSandbox;
  let token: string;
  let serial = 0;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    token = await issueSandboxToken(sandbox);
  });
  afterAll(async () => sandbox.close());

  const pay = (fields: Record<string, string>) => {
    serial += 1;
    const order = { account: '32719', tranamt: '0.01', acctype: '###', mercacc: '100000', order_no: `L${Date.now()}${serial}`, ...fields };
    return sandboxCall(sandbox, 'pay', order, { accessToken: token });
  };

  it.each([
    ['account', 10],
    ['mercacc', 10],
    ['acctype', 3],
    ['order_no', 32],
    ['remark', 128],
    ['attach', 128],
  ])('%s: %i bytes pass the length check, one more byte is 60002', async (name, max) => {
    const fits = await pay({ [name]: 'x'.repeat(max) });
    expect(String(fits.root?.errmsg)).not.toMatch(/超长/);
    const over = await pay({ [name]: 'x'.repeat(max + 1) });
    expect(over.root).toMatchObject({ retcode: '60002' });
    expect(String(over.root?.errmsg)).toContain(`${name} 超长`);
  });

  it('counts multi-byte characters by their bytes: 43 汉字 fit remark (129 bytes do not)', async () => {
    expect((await pay({ remark: '汉'.repeat(42) })).root?.retcode).toBe('0'); // 126 bytes
    expect((await pay({ remark: '汉'.repeat(43) })).root).toMatchObject({ retcode: '60002' }); // 129 bytes
    // Six emoji are 6 code points but 24 bytes: refused for a 10-byte account.
    expect(String((await pay({ account: '😀'.repeat(6) })).root?.errmsg)).toContain('account 超长');
  });

  it('limits query.card id and pwd (32 bytes) and refund_order_no (32 bytes)', async () => {
    const query = await sandboxCall(sandbox, 'queryCard', { idtype: 'sno', id: '号'.repeat(11) }, { accessToken: token });
    expect(query.root).toMatchObject({ retcode: '60002' });
    const refund = await sandboxCall(
      sandbox,
      'refund',
      { account: '32719', tranamt: '0.01', acctype: '###', mercacc: '100000', order_no: 'RL1', refund_order_no: 'r'.repeat(33) },
      { accessToken: token },
    );
    expect(String(refund.root?.errmsg)).toContain('refund_order_no 超长');
  });

  it('refuses a system field over its byte limit with 40001 (app_key 128, method 64)', async () => {
    const longKey = await sandboxCall(sandbox, 'queryCard', card, { accessToken: token, mutate: (f) => (f.app_key = 'k'.repeat(129)) });
    expect(longKey.envelope?.errcode).toBe('40001');
    const longMethod = await sandboxCall(sandbox, 'queryCard', card, { accessToken: token, mutate: (f) => (f.method = 'm'.repeat(65)) });
    expect(longMethod.envelope?.errcode).toBe('40001');
  });
});
