// The token call is never repeated within one fetchAccessToken, even after a 40004 (found in review):
// the fleet's 2-minute clock is taken once per lease, so a second call would break the platform's rule.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPlatformClient, type Transport } from '../../lib/platform/client.js';
import type { Credentials } from '../../lib/platform/types.js';
import { testKeyPair } from '../support/keys.js';
import { platformResponse } from '../protocol/fake-platform.js';

const clientKeys = testKeyPair('token-call-client');
const platformKeys = testKeyPair('token-call-platform');
const key = randomBytes(24);

describe('the token call and 40004', () => {
  it('never retries the token call after a 40004: one call per lease keeps the 2-minute rule', async () => {
    let calls = 0;
    const transport: Transport = async () => {
      calls += 1;
      return calls === 1
        ? { status: 200, body: platformResponse({ errcode: '40004', tripleDesKey: key, platformPrivateKey: platformKeys.privateKey }).body }
        : {
            status: 200,
            body: platformResponse({
              errcode: '0',
              json: { authorize_access_token: { retcode: '0', errmsg: '', access_token: 't', expires_in: 7200 } },
              tripleDesKey: key,
              platformPrivateKey: platformKeys.privateKey,
            }).body,
          };
    };
    const credentials: Credentials = { appKey: 'a', tripleDesKey: key, billDesKey: key.subarray(0, 8), privateKey: clientKeys.privateKey, platformPublicKey: platformKeys.publicKey };
    const client = createPlatformClient({
      apiUrl: 'http://p.test/onecard/uap/gateway.action',
      credentials: { get: async () => credentials, refresh: async () => credentials },
      tokens: { get: async () => 'x', invalidate: async () => undefined },
      transport,
    });
    await client.fetchAccessToken().catch(() => undefined);
    expect(calls).toBe(1);
  });
});
