// Proves the sandbox platform is strict at the system level: fields, format, version, app_key,
// timestamp skew, signature, method, token rules and payload decryption, and signs its envelopes.
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptPayload, rsaSha1Sign } from '../../lib/protocol/crypto.js';
import { signString } from '../../lib/protocol/envelope.js';
import { startSandbox, type Sandbox } from '../../lib/sandbox/index.js';
import { testKeyPair } from '../support/keys.js';
import {
  issueSandboxToken,
  manualClock,
  sandboxCall,
  sendSandboxRequest,
  startTestSandbox,
  type TestSandbox,
} from '../support/sandbox.js';


const clock = manualClock(new Date('2026-11-26T08:00:00.000Z'));
let sandbox: TestSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: clock.now });
  token = await issueSandboxToken(sandbox, clock.now());
});
afterAll(async () => sandbox.close());

const card = { idtype: 'sno', id: '2015032719' };

/** Re-signs mutated fields with the client key (so only the mutation is wrong). */
function resign(fields: Record<string, string>): void {
  delete fields.sign;
  fields.sign = rsaSha1Sign(signString(fields), sandbox.clientPrivateKey);
}

async function errcodeOf(mutate: (fields: Record<string, string>) => void, at = clock.now()): Promise<string | undefined> {
  const result = await sandboxCall(sandbox, 'queryCard', card, { accessToken: token, at, mutate });
  return result.envelope?.errcode;
}

describe('request fields', () => {
  it('answers a well-formed call with errcode 0', async () => {
    const result = await sandboxCall(sandbox, 'queryCard', card, { accessToken: token, at: clock.now() });
    expect(result.envelope?.errcode).toBe('0');
    expect(result.root?.retcode).toBe('0');
  });

  it.each(['method', 'timestamp', 'format', 'app_key', 'access_token', 'v', 'sign_method', 'request', 'sign'])(
    'refuses a call without %s with 40001',
    async (name) => {
      expect(await errcodeOf((fields) => delete fields[name])).toBe('40001');
    },
  );

  it('refuses an empty required field with 40001', async () => {
    expect(await errcodeOf((fields) => (fields.v = ''))).toBe('40001');
  });

  it('checks format, version and sign method', async () => {
    expect(await errcodeOf((f) => ((f.format = 'xml'), resign(f)))).toBe('40015');
    expect(await errcodeOf((f) => ((f.v = '1.0'), resign(f)))).toBe('40016');
    expect(await errcodeOf((f) => ((f.sign_method = 'md5'), resign(f)))).toBe('40003');
  });

  it('refuses an unknown app_key with 40002', async () => {
    expect(await errcodeOf((f) => ((f.app_key = 'someone-else'), resign(f)))).toBe('40002');
  });

  it('refuses an unknown method with 40012, and down.bill on the API URL', async () => {
    expect(await errcodeOf((f) => ((f.method = 'synjones.onecard.unknown'), resign(f)))).toBe('40012');
    expect(await errcodeOf((f) => ((f.method = 'synjones.onecard.down.bill'), resign(f)))).toBe('40012');
  });

  it('refuses a non-form body and a repeated field with 40001', async () => {
    const json = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await json.text()).toMatch(/^errcode=40001&sign=/);
    let captured: Record<string, string> = {};
    await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: token, at: clock.now(), mutate: (f) => (captured = { ...f }) });
    const form = Object.entries(captured).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const post = (body: string): Promise<Response> =>
      fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(await (await post(form)).text()).toMatch(/^errcode=0&/);
    expect(await (await post(`${form}&v=2.0`)).text()).toMatch(/^errcode=40001&/);
  });

  it('answers 404 for other paths and 405 for GET', async () => {
    expect((await fetch(sandbox.url.replace('gateway.action', 'other.action'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(sandbox.url)).status).toBe(405);
  });
});

describe('timestamp', () => {
  it('accepts up to 6 minutes of skew either way and refuses more with 40018', async () => {
    const at = (ms: number): Date => new Date(clock.now().getTime() + ms);
    expect(await errcodeOf(() => {}, at(-360_000))).toBe('0');
    expect(await errcodeOf(() => {}, at(359_000))).toBe('0');
    expect(await errcodeOf(() => {}, at(-361_000))).toBe('40018');
    expect(await errcodeOf(() => {}, at(361_000))).toBe('40018');
  });

  it('reads the timestamp as China time, not UTC', async () => {
    const utcLooking = clock.now().toISOString().slice(0, 19).replace('T', ' ');
    expect(await errcodeOf((f) => ((f.timestamp = utcLooking), resign(f)))).toBe('40018');
  });

  it.each(['2026-11-26T16:00:00', '2026-11-26 16:00', '2026-02-30 16:00:00', '1764144000'])(
    'refuses the malformed timestamp %s with 40018',
    async (text) => {
      expect(await errcodeOf((f) => ((f.timestamp = text), resign(f)))).toBe('40018');
    },
  );
});

describe('signature', () => {
  it('refuses a call signed with another key with 40004', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(await errcodeOf((f) => (delete f.sign, (f.sign = rsaSha1Sign(signString(f), other))))).toBe('40004');
  });

  it('refuses a field changed after signing with 40004', async () => {
    const other = encryptPayload(JSON.stringify({ query_card: { idtype: 'sno', id: '2015032720' } }), sandbox.tripleDesKey);
    expect(await errcodeOf((f) => (f.request = other))).toBe('40004');
  });

  it('refuses a signature over URL-encoded values with 40004', async () => {
    expect(
      await errcodeOf((f) => {
        delete f.sign;
        const encoded = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, encodeURIComponent(v)]));
        f.sign = rsaSha1Sign(signString(encoded), sandbox.clientPrivateKey);
      }),
    ).toBe('40004');
  });

  it('leaves empty fields out of the sign string and signs extra non-empty ones', async () => {
    expect(await errcodeOf((f) => (f.extra = ''))).toBe('0');
    expect(await errcodeOf((f) => (f.extra = 'x'))).toBe('40004');
    expect(await errcodeOf((f) => ((f.extra = 'x'), resign(f)))).toBe('0');
  });
});

describe('payload', () => {
  it('refuses a request that does not decrypt with 40001', async () => {
    const wrongKey = Buffer.alloc(24, 7);
    const bad = encryptPayload(JSON.stringify({ query_card: card }), wrongKey);
    expect(await errcodeOf((f) => ((f.request = bad), resign(f)))).toBe('40001');
    expect(await errcodeOf((f) => ((f.request = 'not base64!'), resign(f)))).toBe('40001');
  });

  it('answers 40001 for every wrong key, also when the garbage happens to end in valid padding', async () => {
    // About 1 wrong key in 256 yields bytes with valid PKCS#5 padding; 300 keys meet that case in most runs.
    const codes = new Set<string | undefined>();
    for (let i = 0; i < 300; i++) {
      const wrongKey = Buffer.alloc(24);
      wrongKey.writeUInt32BE(i + 1, 0);
      const bad = encryptPayload(JSON.stringify({ query_card: card }), wrongKey);
      codes.add(await errcodeOf((f) => ((f.request = bad), resign(f))));
    }
    expect([...codes]).toEqual(['40001']);
  });

  it('refuses non-JSON and a wrong root key with 40015', async () => {
    expect(await errcodeOf((f) => ((f.request = encryptPayload('{oops', sandbox.tripleDesKey)), resign(f)))).toBe('40015');
    const wrongRoot = encryptPayload(JSON.stringify({ gdccard_pay: card }), sandbox.tripleDesKey);
    expect(await errcodeOf((f) => ((f.request = wrongRoot), resign(f)))).toBe('40015');
  });
});

describe('response envelope', () => {
  it('is form-encoded once and signed by the platform over errcode+request', async () => {
    const { body } = await sendSandboxRequest(sandbox, 'queryCard', card, { accessToken: token, at: clock.now() });
    const text = body.toString('utf8');
    expect(text).toMatch(/^errcode=0&request=[A-Za-z0-9%]+&sign=[A-Za-z0-9%]+$/);
    const fields = Object.fromEntries(text.split('&').map((pair) => pair.split('=').map(decodeURIComponent) as [string, string]));
    const verified = createVerify('RSA-SHA1')
      .update(`errcode${fields.errcode}request${fields.request}`, 'utf8')
      .verify(sandbox.platformPublicKey, Buffer.from(fields.sign ?? '', 'base64'));
    expect(verified).toBe(true);
  });

  it('has no request field when errcode is not 0', async () => {
    const { body } = await sendSandboxRequest(sandbox, 'queryCard', card, {
      accessToken: token,
      at: clock.now(),
      mutate: (f) => (f.app_key = 'x'),
    });
    expect(body.toString()).toMatch(/^errcode=40002&sign=[^&]+$/);
  });
});

describe('access token', () => {
  it('issues a token with expires_in as a string, for 128 zeros only', async () => {
    const local = manualClock(new Date('2026-11-26T08:00:00.000Z'));
    const fresh = await startTestSandbox({ now: local.now, tokenTtlSeconds: 3600 });
    try {
      const wrongZeros = await sandboxCall(fresh, 'accessToken', {}, { accessToken: '0'.repeat(127), at: local.now() });
      expect(wrongZeros.envelope?.errcode).toBe('40017');
      const issued = await sandboxCall(fresh, 'accessToken', {}, { at: local.now() });
      expect(issued.root).toMatchObject({ retcode: '0', expires_in: '3600' });
      expect(typeof issued.root?.access_token).toBe('string');
      expect(fresh.state.tokenIssueCount).toBe(1);
      expect(fresh.state.currentToken?.value).toBe(issued.root?.access_token);
    } finally {
      await fresh.close();
    }
  });

  it('refuses business calls with the zero token or a made-up token (40017)', async () => {
    expect((await sandboxCall(sandbox, 'queryCard', card, { at: clock.now() })).envelope?.errcode).toBe('40017');
    const madeUp = await sandboxCall(sandbox, 'queryCard', card, { accessToken: 'f'.repeat(64), at: clock.now() });
    expect(madeUp.envelope?.errcode).toBe('40017');
  });

  it('refuses a token call within the minimum interval with retcode 60066, then issues after it', async () => {
    const local = manualClock(new Date('2026-11-26T08:00:00.000Z'));
    const fresh = await startTestSandbox({ now: local.now, minTokenIntervalMs: 120_000 });
    try {
      const first = await issueSandboxToken(fresh, local.now());
      local.advance(119_000);
      const early = await sandboxCall(fresh, 'accessToken', {}, { at: local.now() });
      expect(early.envelope?.errcode).toBe('0');
      expect(early.root).toMatchObject({ retcode: '60066' });
      expect(early.root?.access_token).toBeUndefined();
      expect(fresh.state.currentToken?.value).toBe(first);
      local.advance(1_000);
      const second = await issueSandboxToken(fresh, local.now());
      expect(second).not.toBe(first);
      expect(fresh.state.tokenIssueCount).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('kills the previous token as soon as a new one is issued (40017)', async () => {
    const local = manualClock(new Date('2026-11-26T08:00:00.000Z'));
    const fresh = await startTestSandbox({ now: local.now });
    try {
      const old = await issueSandboxToken(fresh, local.now());
      expect((await sandboxCall(fresh, 'queryCard', card, { accessToken: old, at: local.now() })).envelope?.errcode).toBe('0');
      local.advance(120_000);
      const current = await issueSandboxToken(fresh, local.now());
      expect((await sandboxCall(fresh, 'queryCard', card, { accessToken: old, at: local.now() })).envelope?.errcode).toBe('40017');
      expect((await sandboxCall(fresh, 'queryCard', card, { accessToken: current, at: local.now() })).envelope?.errcode).toBe('0');
    } finally {
      await fresh.close();
    }
  });

  it('expires a token after tokenTtlSeconds', async () => {
    const local = manualClock(new Date('2026-11-26T08:00:00.000Z'));
    const fresh = await startTestSandbox({ now: local.now, tokenTtlSeconds: 600 });
    try {
      const issued = await issueSandboxToken(fresh, local.now());
      local.advance(599_000);
      expect((await sandboxCall(fresh, 'queryCard', card, { accessToken: issued, at: local.now() })).envelope?.errcode).toBe('0');
      local.advance(1_000);
      expect((await sandboxCall(fresh, 'queryCard', card, { accessToken: issued, at: local.now() })).envelope?.errcode).toBe('40017');
      expect(fresh.state.currentToken).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});

describe('keys and secret', () => {
  let generated: Sandbox;
  beforeAll(async () => {
    generated = await startSandbox({ billKey: 'generate' });
  });
  afterAll(async () => generated.close());

  it('generates its own keys and exposes a client secret shaped like API.md', () => {
    const { secret } = generated;
    expect(secret.app_key).toBe('onecard-sandbox');
    expect(Buffer.from(secret.app_secret, 'base64')).toHaveLength(24);
    expect(secret.private_key).toMatch(/^-----BEGIN PRIVATE[ ]KEY-----/);
    expect(secret.platform_public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(Buffer.from(secret.bill_key ?? '', 'base64')).toHaveLength(8);
    expect(generated.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onecard\/uap\/gateway\.action$/);
    expect(generated.billUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onecard\/uap\/downbill\.do$/);
  });

  it('omits private_key when given the client public key', async () => {
    const given = await startTestSandbox();
    const raw = await startSandbox({
      clientPublicKeyPem: given.secret.platform_public_key,
      platformPrivateKeyPem: testKeyPair('sandbox-platform').privatePem,
    });
    try {
      expect(raw.secret.private_key).toBeUndefined();
    } finally {
      await Promise.all([raw.close(), given.close()]);
    }
  });

  it('accepts a 16-byte app_secret (expanded K1K2K1)', async () => {
    const sixteen = await startTestSandbox({ appSecret: Buffer.alloc(16, 3).toString('base64') });
    try {
      expect(sixteen.tripleDesKey).toHaveLength(24);
      const result = await sandboxCall(sixteen, 'accessToken', {});
      expect(result.root?.retcode).toBe('0');
    } finally {
      await sixteen.close();
    }
  });
});

describe('logging', () => {
  it('never logs tokens, secrets, keys or pwd', async () => {
    const lines: string[] = [];
    const logged = await startTestSandbox({ logger: (line) => lines.push(line) });
    try {
      const issued = await issueSandboxToken(logged);
      await sandboxCall(logged, 'queryCard', { idtype: 'sno', id: '2015032718', pwd: '123456' }, { accessToken: issued });
      const text = lines.join('\n');
      expect(lines.length).toBeGreaterThan(2);
      for (const secret of [issued, logged.secret.app_secret, '123456', 'PRIVATE KEY', '110101199001010011']) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
