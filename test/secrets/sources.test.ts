// Proves the credential sources: bounded-age caching, one shared in-flight read, forced and
// debounced refresh, stale-on-error for periodic re-reads. Secrets Manager is mocked at the SDK.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createFileSource, createSecretsManagerSource, createStaticSource } from '../../lib/secrets/sources.js';
import { ConfigurationError } from '../../lib/errors.js';
import { testKeyPair } from '../support/keys.js';

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

const secretsManager = mockClient(SecretsManagerClient);
const smClient = new SecretsManagerClient({ region: 'local' });

function readCount(): number {
  return secretsManager.commandCalls(GetSecretValueCommand).length;
}

function manualClock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let at = start;
  return { now: () => at, advance: (ms) => (at += ms) };
}

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('createSecretsManagerSource', () => {
  beforeEach(() => secretsManager.reset());

  it('reads once, then serves from memory until maxAgeMs', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'onecard/prod' }).resolves({ SecretString: secretJson('A1') });
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
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretJson('A2') });
    clock.advance(1);
    expect((await source.get()).appKey).toBe('A2');
    expect(readCount()).toBe(2);
  });

  it('shares one in-flight read among concurrent callers', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    secretsManager.on(GetSecretValueCommand).callsFake(async () => {
      await gate;
      return { SecretString: secretJson('SHARED') };
    });
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true });
    const callers = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? source.get() : source.refresh()));
    await tick();
    release();
    const results = await Promise.all(callers);
    expect(readCount()).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('refresh() forces a re-read (key rotation after 40004), but reuses a read under 5 s old', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce({ SecretString: secretJson('OLD') }).resolves({
      SecretString: secretJson('ROTATED'),
    });
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    expect((await source.get()).appKey).toBe('OLD');
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
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(secretJson('BIN')) });
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true });
    expect((await source.get()).appKey).toBe('BIN');
  });

  it('fails the first read with the SDK error, and a secret without a value as a configuration error', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'not found', $metadata: {} }))
      .resolves({});
    const source = createSecretsManagerSource({ client: smClient, secretId: 'missing', requirePlatformKey: true });
    await expect(source.get()).rejects.toBeInstanceOf(ResourceNotFoundException);
    const second = createSecretsManagerSource({ client: smClient, secretId: 'missing', requirePlatformKey: true });
    await expect(second.get()).rejects.toThrow(/secret missing has no value/);
  });

  it('keeps serving the previous credentials when a periodic re-read fails, and retries after 5 s', async () => {
    const warnings: string[] = [];
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretJson('GOOD') })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: secretJson('NEXT') });
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
    expect((await source.get()).appKey).toBe('GOOD');
    expect(warnings).toHaveLength(1);
    // Within 5 s of the failure, no new attempt.
    await source.get();
    expect(readCount()).toBe(2);
    clock.advance(5_000);
    expect((await source.get()).appKey).toBe('NEXT');
    expect(readCount()).toBe(3);
  });

  it('surfaces a failed forced refresh (and a rotated secret that no longer validates)', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretJson('GOOD') })
      .resolves({ SecretString: JSON.stringify({ app_key: 'X', app_secret: 'SECRET-THAT-MUST-NOT-LEAK' }) });
    const clock = manualClock();
    const source = createSecretsManagerSource({ client: smClient, secretId: 's', requirePlatformKey: true, now: clock.now });
    await source.get();
    clock.advance(10_000);
    const error = await source.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('private_key');
    expect((error as Error).message).not.toContain('SECRET-THAT-MUST-NOT-LEAK');
  });

  it('refuses a deployed secret without platform_public_key', async () => {
    const { platform_public_key: _dropped, ...local } = JSON.parse(secretJson('LOCAL')) as Record<string, unknown>;
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(local) });
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
