// A deployed container (SYNJONES_SECRET_ID) whose secret cannot be used answers, over HTTP through a
// real handler, 500 CONFIGURATION naming the secret and what is missing or wrong, never the generic
// "internal error"; throttling is a retryable 503. Filling the secret later works without a redeploy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/query-card.js';
import { loadConfig } from '../../lib/config.js';
import { INTERNAL_MESSAGE } from '../../lib/presenters/error-response.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { setRuntimeForLocal, type RuntimeScope } from '../../lib/runtime.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { installSecretsManager, type SecretsManagerFault } from '../support/secrets-manager.js';

const SECRET_ID = 'onecard/prod';
const sm = installSecretsManager();
let sandbox: TestSandbox;
let dynamo: TestDynamo;
let scope: RuntimeScope | undefined;
const logs: string[] = [];

beforeAll(async () => {
  setLogSink((line) => logs.push(line));
  [sandbox, dynamo] = await Promise.all([startTestSandbox(), startDynalite()]);
});
afterEach(async () => {
  await scope?.dispose();
  sm.reset();
  logs.length = 0;
});
afterAll(async () => {
  sm.restore();
  setLogSink(undefined);
  await Promise.all([sandbox.close(), dynamo.close()]);
});

/** A fresh container configured as deployed: the secret comes from Secrets Manager (the stand-in). */
function deployedContainer(): void {
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
  });
}

async function queryCard(requestId = 'secret-http') {
  const result = await handler(
    apiEvent({ resource: '/v1/cards/query', body: { idtype: 'sno', id: '2015032718' }, headers: { 'x-request-id': requestId } }),
    lambdaContext(),
  );
  const body = JSON.parse(result.body) as { error?: { code: string; message: string; retryable: boolean }; cards?: unknown[] };
  return { status: result.statusCode, headers: result.headers ?? {}, body };
}

function fail(fault: SecretsManagerFault): void {
  sm.createSecret(SECRET_ID, sandbox.secret);
  sm.failNext(fault);
}

const unusable: ReadonlyArray<{ name: string; arrange: () => void; says: RegExp }> = [
  { name: 'created without a value', arrange: () => sm.createSecret(SECRET_ID), says: /secret onecard\/prod has no value \(no version labelled AWSCURRENT\)/ },
  { name: 'no such secret', arrange: () => undefined, says: /secret onecard\/prod does not exist/ },
  { name: 'access denied', arrange: () => fail('AccessDeniedException'), says: /secret onecard\/prod cannot be read: access denied/ },
  { name: 'KMS decryption failure', arrange: () => fail('DecryptionFailure'), says: /secret onecard\/prod cannot be decrypted with its KMS key/ },
  {
    name: 'marked for deletion',
    arrange: () => {
      sm.createSecret(SECRET_ID, sandbox.secret);
      sm.scheduleDeletion(SECRET_ID);
    },
    says: /secret onecard\/prod cannot be read in its current state/,
  },
  {
    name: 'a field missing',
    arrange: () => sm.createSecret(SECRET_ID, { ...sandbox.secret, app_secret: undefined }),
    says: /secret onecard\/prod: field app_secret is required/,
  },
  {
    name: 'no platform_public_key (required when deployed)',
    arrange: () => sm.createSecret(SECRET_ID, { ...sandbox.secret, platform_public_key: '' }),
    says: /secret onecard\/prod: field platform_public_key is required/,
  },
];

describe('a deployed container whose secret cannot be used', () => {
  it.each(unusable)('$name: 500 CONFIGURATION naming the secret and what is wrong', async ({ arrange, says }) => {
    arrange();
    deployedContainer();
    const answer = await queryCard();
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatchObject({ code: 'CONFIGURATION', retryable: false });
    expect(answer.body.error?.message).toMatch(says);
    expect(answer.body.error?.message).not.toBe(INTERNAL_MESSAGE);
    expect(answer.body.error?.message).not.toMatch(/internal error/i);
    expect(answer.headers['x-request-id']).toBe('secret-http');
    // No value from the secret in the answer or the log; the log names the error class.
    const text = `${JSON.stringify(answer.body)}\n${logs.join('\n')}`;
    expect(text).not.toContain(sandbox.secret.app_secret);
    expect(text).not.toContain(sandbox.secret.private_key.slice(40, 100));
    const failure = logs.map((line) => JSON.parse(line) as { level?: string; error?: { name?: string } }).find((entry) => entry.level === 'ERROR');
    expect(failure?.error?.name).toBe('SecretConfigurationError');
    expect(sandbox.state.calls).toHaveLength(0);
  });

  it.each(['ThrottlingException', 'InternalServiceError'] as const)(
    '%s after the SDK retries: 503 SECRET_UNAVAILABLE with Retry-After, and the next call works',
    async (fault) => {
      fail(fault);
      deployedContainer();
      const answer = await queryCard();
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatchObject({ code: 'SECRET_UNAVAILABLE', retryable: true });
      expect(answer.body.error?.message).toMatch(/secret onecard\/prod could not be read right now/);
      expect(answer.headers['retry-after']).toBe('2');
      const next = await queryCard();
      expect(next.status).toBe(200);
    },
  );

  it('an empty secret filled later is used by the next call, without a redeploy', async () => {
    sm.createSecret(SECRET_ID);
    deployedContainer();
    expect((await queryCard()).status).toBe(500);
    sm.putSecretValue(SECRET_ID, sandbox.secret);
    const answer = await queryCard();
    expect(answer.status).toBe(200);
    expect(answer.body.cards).toHaveLength(2);
  });
});
