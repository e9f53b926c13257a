// The platform rotates its key mid-run: the answer that no longer verifies is a 502, it triggers one
// background re-read of the secret (rate-limited like the 40004 path), and the next call verifies with
// the new key once the operator has put it into Secrets Manager. Over HTTP through a real handler.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/query-card.js';
import { loadConfig } from '../../lib/config.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { setRuntimeForLocal, type RuntimeScope } from '../../lib/runtime.js';
import { DEFAULT_MIN_REFRESH_INTERVAL_MS } from '../../lib/secrets/index.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { testKeyPair } from '../support/keys.js';
import { manualClock, startTestSandbox, type ManualClock, type TestSandbox } from '../support/sandbox.js';
import { installSecretsManager } from '../support/secrets-manager.js';

const SECRET_ID = 'onecard/prod';
const WINDOW_MS = DEFAULT_MIN_REFRESH_INTERVAL_MS;
const sm = installSecretsManager();
let sandbox: TestSandbox;
let dynamo: TestDynamo;
let scope: RuntimeScope | undefined;
let clock: ManualClock;
/** The platform public key the sandbox signs with now (what a correct secret holds). */
let platformPublicPem: string;
let rotations = 0;

beforeAll(async () => {
  setLogSink(() => undefined);
  [sandbox, dynamo] = await Promise.all([startTestSandbox(), startDynalite()]);
  platformPublicPem = sandbox.secret.platform_public_key;
});
afterAll(async () => {
  await scope?.dispose();
  sm.restore();
  setLogSink(undefined);
  await Promise.all([sandbox.close(), dynamo.close()]);
});

/** A fresh deployed container whose secret holds the key the platform signs with now. */
beforeEach(async () => {
  await scope?.dispose();
  sm.reset();
  sm.createSecret(SECRET_ID, secretWith(platformPublicPem));
  clock = manualClock();
  scope = setRuntimeForLocal({
    config: {
      ...loadConfig({}),
      apiUrl: sandbox.url,
      billUrl: sandbox.billUrl,
      secretId: SECRET_ID,
      region: sm.region,
      tokenTable: dynamo.tables.tokenTable,
      ledgerTable: dynamo.tables.ledgerTable,
      platformTimeoutMs: 2_000,
    },
    dynamo: dynamo.client,
    now: clock.now,
  });
});

function secretWith(platformPublicKey: string): object {
  return { ...sandbox.secret, platform_public_key: platformPublicKey };
}

/** The platform starts signing with a new key; returns its public key (what the operator receives). */
function rotatePlatformKey(): string {
  rotations += 1;
  platformPublicPem = sandbox.rotatePlatformKey(testKeyPair(`platform-rotated-${rotations}`).privatePem);
  return platformPublicPem;
}

async function queryCard(): Promise<{ status: number; code?: string }> {
  const result = await handler(apiEvent({ resource: '/v1/cards/query', body: { idtype: 'sno', id: '2015032718' } }), lambdaContext());
  const body = JSON.parse(result.body) as { error?: { code: string } };
  return { status: result.statusCode, ...(body.error ? { code: body.error.code } : {}) };
}

describe('a platform key rotated mid-run', () => {
  it('first call 502, one background re-read, the following call verifies with the new key', async () => {
    expect(await queryCard()).toEqual({ status: 200 });
    expect(sm.reads()).toBe(1);
    sm.putSecretValue(SECRET_ID, secretWith(rotatePlatformKey()));
    clock.advance(WINDOW_MS);

    expect(await queryCard()).toEqual({ status: 502, code: 'UPSTREAM_BAD_SIGNATURE' });
    expect(await queryCard()).toEqual({ status: 200 });
    expect(sm.reads()).toBe(2);
    expect(await queryCard()).toEqual({ status: 200 });
    expect(sm.reads()).toBe(2);
  });

  it('a storm of failures re-reads at most once per window; the key put later is picked up', async () => {
    expect(await queryCard()).toEqual({ status: 200 });
    const rotated = rotatePlatformKey(); // the operator has not updated the secret yet
    clock.advance(WINDOW_MS);

    const storm = await Promise.all(Array.from({ length: 20 }, () => queryCard()));
    expect(storm.every((answer) => answer.status === 502 && answer.code === 'UPSTREAM_BAD_SIGNATURE')).toBe(true);
    expect(sm.reads()).toBe(2);
    clock.advance(WINDOW_MS - 1);
    const more = await Promise.all(Array.from({ length: 10 }, () => queryCard()));
    expect(more.every((answer) => answer.status === 502)).toBe(true);
    expect(sm.reads()).toBe(2);

    sm.putSecretValue(SECRET_ID, secretWith(rotated));
    clock.advance(1);
    expect((await queryCard()).status).toBe(502);
    expect(await queryCard()).toEqual({ status: 200 });
    expect(sm.reads()).toBe(3);
  });

  it('without a rotation a bad signature re-reads the same secret and changes nothing', async () => {
    expect(await queryCard()).toEqual({ status: 200 });
    clock.advance(WINDOW_MS);
    sandbox.faults.inject({ type: 'badSignature' }, { methods: ['synjones.onecard.query.card'] });
    expect(await queryCard()).toEqual({ status: 502, code: 'UPSTREAM_BAD_SIGNATURE' });
    expect(await queryCard()).toEqual({ status: 200 });
    expect(sm.reads()).toBe(2);
  });
});
