// Proves the credential sources: bounded-age caching, one shared in-flight read, forced and
// debounced refresh, stale-on-error for periodic re-reads. Secrets Manager is the stand-in of
// test/support/secrets-manager.ts (the service's real answers and errors, at the SDK boundary).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createFileSource, createSecretsManagerSource, createStaticSource } from '../../lib/secrets/sources.js';
import { SecretConfigurationError, SecretUnavailableError } from '../../lib/secrets/errors.js';
import { ConfigurationError } from '../../lib/errors.js';
import { testKeyPair } from '../support/keys.js';
import { installSecretsManager, type SecretsManagerFault } from '../support/secrets-manager.js';

const client = testKeyPair('client');
const platform = testKeyPair('platform');

function secretJson(appKey: string): string {
  return JSON.stringify({
    app_key: appKey,
    app_secret: randomBytes(24).toString('base64'),
    private_key: client.privatePem,
    platform_public_key: platform.publicPem,
  });
}

const secretsManager = installSecretsManager();
afterAll(() => secretsManager.restore());
const smClient = new SecretsManagerClient({ region: 'local' });

function readCount(): number {
  return secretsManager.reads();
}

function manualClock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let at = start;
  return { now: () => at, advance: (ms) => (at += ms) };
}

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('createSecretsManagerSource', () => {
  beforeEach(() => secretsManager.reset());

  it('reads once, then serves from memory until maxAgeMs', async () => {
    secretsManager.createSecret('onecard/prod', secretJson('A1'));
    const clock = manualClock();
    const source = createSecretsManagerSource({
      client: smClient,
      secretId: 'onecard/prod',
      requirePlatformKey: true,
      maxAgeMs: 60_000,
      now: clock.now,
    });
    expect((await source.get()).appKey).toBe('A1');
    clock.advance(59_999);
    await source.get();
    await source.get();
    expect(readCount()).toBe(1);
    secretsManager.putSecretValue('onecard/prod', secretJson('A2'));
    clock.advance(1);
    expect((await source.get()).appKey).toBe('A2');
    expect(readCount()).toBe(2);
  });

  it('shares one in-flight read among concurrent callers', async () => {
    secretsManager.createSecret('s', secretJson('SHARED'));
    const release = secretsManager.holdReads();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true });
    const callers = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? source.get() : source.refresh()));
    await tick();
    release();
    const results = await Promise.all(callers);
    expect(readCount()).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('refresh() forces a re-read (key rotation after 40004), but reuses a read under 5 s old', async () => {
    secretsManager.createSecret('s', secretJson('OLD'));
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    expect((await source.get()).appKey).toBe('OLD');
    secretsManager.putSecretValue('s', secretJson('ROTATED'));
    clock.advance(4_999);
    expect((await source.refresh()).appKey).toBe('OLD');
    expect(readCount()).toBe(1);
    clock.advance(1);
    expect((await source.refresh()).appKey).toBe('ROTATED');
    expect((await source.get()).appKey).toBe('ROTATED');
    expect(readCount()).toBe(2);
    // A burst of refreshes right after is absorbed by the debounce.
    await Promise.all([source.refresh(), source.refresh(), source.refresh()]);
    expect(readCount()).toBe(2);
  });

  it('reads a binary secret as UTF-8 JSON', async () => {
    secretsManager.createSecret('s', new TextEncoder().encode(secretJson('BIN')));
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true });
    expect((await source.get()).appKey).toBe('BIN');
  });

  // What the service answers (test/support/secrets-manager.ts), and what the operator is told.
  const unreadable: ReadonlyArray<{ name: string; arrange: () => void; message: RegExp }> = [
    {
      name: 'a secret created without a value (ResourceNotFoundException for AWSCURRENT)',
      arrange: () => secretsManager.createSecret('onecard/prod'),
      message: /^secret onecard\/prod has no value \(no version labelled AWSCURRENT\): put the secret JSON/,
    },
    {
      name: 'no such secret (ResourceNotFoundException)',
      arrange: () => undefined,
      message: /^secret onecard\/prod does not exist \(check SYNJONES_SECRET_ID/,
    },
    {
      name: 'AccessDeniedException',
      arrange: () => fail('AccessDeniedException'),
      message: /^secret onecard\/prod cannot be read: access denied \(the function role needs secretsmanager:GetSecretValue/,
    },
    {
      name: 'DecryptionFailure',
      arrange: () => fail('DecryptionFailure'),
      message: /^secret onecard\/prod cannot be decrypted with its KMS key/,
    },
    {
      name: 'a secret marked for deletion (InvalidRequestException)',
      arrange: () => {
        secretsManager.createSecret('onecard/prod', secretJson('GONE'));
        secretsManager.scheduleDeletion('onecard/prod');
      },
      message: /^secret onecard\/prod cannot be read in its current state \(InvalidRequestException: e\.g\. it is marked for deletion/,
    },
    {
      name: 'a value that is not JSON',
      arrange: () => secretsManager.createSecret('onecard/prod', '{"app_secret": "DO-NOT-ECHO"'),
      message: /^secret onecard\/prod is not valid JSON$/,
    },
  ];
  function fail(fault: SecretsManagerFault): void {
    secretsManager.createSecret('onecard/prod', secretJson('UNREAD'));
    secretsManager.failNext(fault);
  }

  it.each(unreadable)('$name: a configuration error naming the secret and what is wrong', async ({ arrange, message }) => {
    arrange();
    const source = createSecretsManagerSource({ client: smClient, secretId: 'onecard/prod', requirePlatformKey: true });
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretConfigurationError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as SecretConfigurationError).secret).toBe('secret onecard/prod');
    expect((error as Error).message).toMatch(message);
    // The service's own words (account, role ARN) stay in the cause, for the log; no value is ever quoted.
    expect((error as Error).message).not.toMatch(/arn:aws|DO-NOT-ECHO|UNREAD|GONE/);
    expect(readCount()).toBe(1);
  });

  it.each(['ThrottlingException', 'InternalServiceError'] as const)(
    '%s (what the SDK gives up with after 3 attempts): retryable, not a configuration error',
    async (fault) => {
      fail(fault);
      const source = createSecretsManagerSource({ client: smClient, secretId: 'onecard/prod', requirePlatformKey: true });
      const error = await source.get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretUnavailableError);
      expect(error).not.toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ retryable: true, code: 'SECRET_UNAVAILABLE' });
      expect((error as Error).message).toBe(`secret onecard/prod could not be read right now (${fault} after 3 attempts); try again shortly`);
      expect(((error as Error).cause as Error).name).toBe(fault);
      // The next request reads again and succeeds: nothing bad was cached.
      expect((await source.get()).appKey).toBe('UNREAD');
    },
  );

  it('keeps serving the previous credentials when a periodic re-read fails, and retries after 5 s', async () => {
    const warnings: string[] = [];
    secretsManager.createSecret('s', secretJson('GOOD'));
    const clock = manualClock();
    const source = createSecretsManagerSource({
      client: smClient,
      secretId: 's',
      requirePlatformKey: true,
      maxAgeMs: 1_000,
      now: clock.now,
      logger: { warn: (message) => warnings.push(message) },
    });
    expect((await source.get()).appKey).toBe('GOOD');
    clock.advance(1_000);
    secretsManager.putSecretValue('s', secretJson('NEXT'));
    secretsManager.failNext('ThrottlingException');
    expect((await source.get()).appKey).toBe('GOOD');
    expect(warnings).toHaveLength(1);
    // Within 5 s of the failure, no new attempt.
    await source.get();
    expect(readCount()).toBe(2);
    clock.advance(5_000);
    expect((await source.get()).appKey).toBe('NEXT');
    expect(readCount()).toBe(3);
  });

  it('after a failed refresh, a storm of refreshes reads once per window, serving the previous credentials', async () => {
    secretsManager.createSecret('s', secretJson('GOOD'));
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    await source.get();
    clock.advance(10_000);
    secretsManager.failNext('AccessDeniedException', { times: Infinity });
    await expect(source.refresh()).rejects.toBeInstanceOf(SecretConfigurationError);
    expect(readCount()).toBe(2);
    // 40 failures in the same window (e.g. every call answering a signature that does not verify).
    const storm = await Promise.all(Array.from({ length: 40 }, () => source.refresh()));
    expect(storm.every((credentials) => credentials.appKey === 'GOOD')).toBe(true);
    clock.advance(4_999);
    await source.refresh();
    expect(readCount()).toBe(2);
    clock.advance(1);
    await expect(source.refresh()).rejects.toBeInstanceOf(SecretConfigurationError);
    expect(readCount()).toBe(3);
  });

  it('get() waits for a re-read in flight, so the call after a rotation uses the new key', async () => {
    secretsManager.createSecret('s', secretJson('OLD'));
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    await source.get();
    clock.advance(10_000);
    secretsManager.putSecretValue('s', secretJson('NEW'));
    const release = secretsManager.holdReads();
    const refreshing = source.refresh();
    const next = source.get();
    await tick();
    release();
    expect((await next).appKey).toBe('NEW');
    expect((await refreshing).appKey).toBe('NEW');
    // A re-read in flight that fails leaves get() with the previous credentials, not an error.
    clock.advance(10_000);
    secretsManager.failNext('ThrottlingException');
    const failing = source.refresh().catch((e: unknown) => e);
    expect((await source.get()).appKey).toBe('NEW');
    expect(await failing).toBeInstanceOf(SecretUnavailableError);
  });

  it('surfaces a failed forced refresh (and a rotated secret that no longer validates)', async () => {
    secretsManager.createSecret('s', secretJson('GOOD'));
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    await source.get();
    secretsManager.putSecretValue('s', JSON.stringify({ app_key: 'X', app_secret: 'SECRET-THAT-MUST-NOT-LEAK' }));
    clock.advance(10_000);
    const error = await source.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('private_key');
    expect((error as Error).message).not.toContain('SECRET-THAT-MUST-NOT-LEAK');
  });

  it('refuses a deployed secret without platform_public_key', async () => {
    const { platform_public_key: _dropped, ...local } = JSON.parse(secretJson('LOCAL')) as Record<string, unknown>;
    secretsManager.createSecret('s', JSON.stringify(local));
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true });
    await expect(source.get()).rejects.toThrow(/platform_public_key is required/);
  });
});

describe('createFileSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onecard-secret-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads the file, caches it, and picks up a change on refresh()', async () => {
    const path = join(dir, 'secret.json');
    await writeFile(path, secretJson('FILE-1'));
    const clock = manualClock();
    const source = createFileSource(path, { requirePlatformKey: true, now: clock.now });
    expect((await source.get()).appKey).toBe('FILE-1');
    await writeFile(path, secretJson('FILE-2'));
    expect((await source.get()).appKey).toBe('FILE-1');
    clock.advance(5_000);
    expect((await source.refresh()).appKey).toBe('FILE-2');
  });

  it('names the path of a missing file and of a file that is not JSON', async () => {
    const missing = join(dir, 'absent.json');
    await expect(createFileSource(missing, { requirePlatformKey: false }).get()).rejects.toThrow(
      new RegExp(`secret file .*absent\\.json cannot be read \\(ENOENT\\)`),
    );
    const garbled = join(dir, 'garbled.json');
    await writeFile(garbled, '{"app_secret": "DO-NOT-ECHO"');
    const error = await createFileSource(garbled, { requirePlatformKey: false }).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/garbled\.json is not valid JSON/);
    expect((error as Error).message).not.toContain('DO-NOT-ECHO');
  });
});

describe('createStaticSource', () => {
  it('loads the object once and returns the same credentials on get and refresh', async () => {
    const source = createStaticSource(JSON.parse(secretJson('STATIC')), { requirePlatformKey: true });
    const first = await source.get();
    expect(first.appKey).toBe('STATIC');
    expect(await source.get()).toBe(first);
    expect((await source.refresh()).appKey).toBe('STATIC');
  });

  it('rejects an invalid object on first use, naming the field', async () => {
    const source = createStaticSource({ app_key: 'K' }, { requirePlatformKey: false });
    await expect(source.get()).rejects.toThrow(/field app_secret is required/);
  });
});
