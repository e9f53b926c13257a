// The secret builder as the IT staff use it: every key form round-trips into a secret the gateway
// loads, each validation error is named, `put` meets Secrets Manager's real answers, and no output
// ever carries key material.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCredentials } from '../../lib/secrets/index.js';
import { runSecretCli } from '../../lib/tools/secret-cli.js';
import { testKeyPair } from '../support/keys.js';
import { AWSCURRENT, AWSPREVIOUS, installSecretsManager, type SecretsManagerStandIn } from '../support/secrets-manager.js';

const PEM = '-----'; // PEM armour built at run time (no file here looks like key material)
const client = testKeyPair('secret-cli-client');
const platform = testKeyPair('secret-cli-platform');
const appSecret = randomBytes(24).toString('base64');
const billKey = randomBytes(8).toString('base64');

let dir: string;
let standIn: SecretsManagerStandIn;
/** Every line any command printed, for the no-material check at the end. */
const printed: string[] = [];
/** Every secret value used in this file (base64 bodies, symmetric keys). */
const material = new Set<string>([appSecret, billKey]);

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSecretCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  printed.push(...out, ...err);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function der(key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'spki'): Buffer {
  const bytes = key.export({ type, format: 'der' } as never) as Buffer;
  material.add(bytes.toString('base64'));
  return bytes;
}

function pem(label: string, bytes: Buffer): string {
  const body = bytes.toString('base64').match(/.{1,64}/g)?.join('\n') ?? '';
  return `${PEM}BEGIN ${label}${PEM}\n${body}\n${PEM}END ${label}${PEM}\n`;
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function fingerprintOf(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return (createHash('sha256').update(spki).digest('hex').slice(0, 32).match(/../g) ?? []).join(':');
}

async function buildWith(options: { privateKey?: string; platformKey?: string; appSecret?: string; billKey?: string; appKey?: string; out?: string }): Promise<Run> {
  const privatePath = options.privateKey ?? (await file('client.pem', pem('PRIVATE KEY', der(client.privateKey, 'pkcs8'))));
  const platformPath = options.platformKey ?? (await file('platform.pem', pem('PUBLIC KEY', der(platform.publicKey, 'spki'))));
  return cli(
    'build',
    '--app-key', options.appKey ?? 'campus-1',
    '--app-secret', options.appSecret ?? appSecret,
    '--private-key', privatePath,
    '--platform-public-key', platformPath,
    ...(options.billKey === undefined ? [] : ['--bill-key', options.billKey]),
    '--out', options.out ?? join(dir, `out-${randomBytes(4).toString('hex')}.json`),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secret-cli-'));
  standIn = installSecretsManager();
});
afterAll(async () => {
  standIn.restore();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => standIn.reset());

describe('build and check: every key form round-trips', () => {
  const privateForms = {
    'PKCS#8 PEM': () => pem('PRIVATE KEY', der(client.privateKey, 'pkcs8')),
    'PKCS#1 PEM': () => pem('RSA PRIVATE KEY', der(client.privateKey, 'pkcs1')),
    'bare base64 PKCS#8 DER': () => der(client.privateKey, 'pkcs8').toString('base64'),
    'bare base64 PKCS#1 DER': () => der(client.privateKey, 'pkcs1').toString('base64'),
    'binary PKCS#8 DER': () => der(client.privateKey, 'pkcs8'),
    'binary PKCS#1 DER': () => der(client.privateKey, 'pkcs1'),
  };
  const publicForms = {
    'SPKI PEM': () => pem('PUBLIC KEY', der(platform.publicKey, 'spki')),
    'RSA PUBLIC KEY PEM': () => pem('RSA PUBLIC KEY', der(platform.publicKey, 'pkcs1')),
    'bare base64 SPKI DER': () => der(platform.publicKey, 'spki').toString('base64'),
    'bare base64 PKCS#1 DER': () => der(platform.publicKey, 'pkcs1').toString('base64'),
    'binary SPKI DER': () => der(platform.publicKey, 'spki'),
    'binary PKCS#1 DER': () => der(platform.publicKey, 'pkcs1'),
  };
  const pairs = Object.keys(privateForms).map((name, index) => [name, Object.keys(publicForms)[index] as string] as const);

  it.each(pairs)('private key as %s, platform key as %s', async (privateForm, publicForm) => {
    const privatePath = await file('k', privateForms[privateForm as keyof typeof privateForms]());
    const platformPath = await file('p', publicForms[publicForm as keyof typeof publicForms]());
    const out = join(dir, `${privateForm}-${publicForm}.json`.replace(/[^a-z0-9.-]/gi, '_'));
    const built = await buildWith({ privateKey: privatePath, platformKey: platformPath, billKey, out });
    expect(built.err).toBe('');
    expect(built.code).toBe(0);
    expect(built.out).toContain('RSA 2048-bit private key');
    expect(built.out).toContain(`its public half's SHA-256 ${fingerprintOf(client.privateKey)}`);
    expect(built.out).toContain(`RSA 2048-bit public key`);
    expect(built.out).toContain(`SHA-256 ${fingerprintOf(platform.publicKey)}`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    const json = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
    expect(Object.keys(json)).toEqual(['app_key', 'app_secret', 'private_key', 'platform_public_key', 'bill_key']);
    const credentials = loadCredentials(json, { requirePlatformKey: true });
    expect(fingerprintOf(credentials.privateKey)).toBe(fingerprintOf(client.privateKey));
    expect(fingerprintOf(credentials.platformPublicKey as KeyObject)).toBe(fingerprintOf(platform.publicKey));
    expect(credentials.billDesKey.toString('base64')).toBe(billKey);

    const checked = await cli('check', out);
    expect(checked.code).toBe(0);
    expect(checked.out).toContain('a valid secret');
  });

  it('reports a 16-byte app_secret (expanded) and an absent bill_key (derived from the 3DES key)', async () => {
    const built = await buildWith({ appSecret: randomBytes(16).toString('base64') });
    expect(built.code).toBe(0);
    expect(built.out).toContain('3DES key, 16 bytes (expanded K1K2K1)');
    expect(built.out).toContain('bill_key             absent: bills use the first 8 bytes of the 3DES key');
  });

  it('warns about a 1024-bit key and about a platform key that is the client\'s own', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const smallPath = await file('small.pem', pem('PRIVATE KEY', der(small.privateKey, 'pkcs8')));
    const ownPath = await file('own.pem', pem('PUBLIC KEY', der(small.publicKey, 'spki')));
    const built = await buildWith({ privateKey: smallPath, platformKey: ownPath });
    expect(built.code).toBe(0);
    expect(built.out).toContain('warning: private_key is 1024-bit RSA: 2048 bits or more is recommended');
    expect(built.out).toContain('warning: platform_public_key is the public half of private_key');
  });

  it('refuses to overwrite a file unless --force', async () => {
    const out = join(dir, 'exists.json');
    await writeFile(out, 'keep me');
    const refused = await buildWith({ out });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('exists.json exists: choose another --out or pass --force');
    expect(await readFile(out, 'utf8')).toBe('keep me');
    const privatePath = await file('client.pem', pem('PRIVATE KEY', der(client.privateKey, 'pkcs8')));
    const platformPath = await file('platform.pem', pem('PUBLIC KEY', der(platform.publicKey, 'spki')));
    const forced = await cli('build', '--app-key', 'a', '--app-secret', appSecret, '--private-key', privatePath, '--platform-public-key', platformPath, '--out', out, '--force');
    expect(forced.code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ app_key: 'a' });
  });
});

describe('build: each validation error is named', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tiny = generateKeyPairSync('rsa', { modulusLength: 512 });
  const encrypted = generateKeyPairSync('rsa', {
    modulusLength: 1024,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const cases: Array<[string, () => Promise<Parameters<typeof buildWith>[0]>, RegExp]> = [
    ['an empty app_key', async () => ({ appKey: '' }), /field app_key must not be empty/],
    ['an app_secret that is not base64', async () => ({ appSecret: 'not base64!' }), /field app_secret must be base64 of a 16- or 24-byte 3DES key \(app_secret is not valid base64\)/],
    ['an app_secret of 20 bytes', async () => ({ appSecret: randomBytes(20).toString('base64') }), /field app_secret .*must decode to 16 or 24 bytes, got 20/],
    ['a bill_key of 7 bytes', async () => ({ billKey: randomBytes(7).toString('base64') }), /field bill_key must be base64 of an 8-byte DES key \(bill_key must decode to 8 bytes, got 7\)/],
    ['a bill_key that is not base64', async () => ({ billKey: '%%%' }), /field bill_key .*not valid base64/],
    ['a public key given as the private key', async () => ({ privateKey: await file('pub-as-priv.pem', pem('PUBLIC KEY', der(platform.publicKey, 'spki'))) }), /field private_key could not be loaded \(PEM type "PUBLIC KEY" is not a private key\)/],
    ['a private key given as the platform key', async () => ({ platformKey: await file('priv-as-pub.pem', pem('PRIVATE KEY', der(platform.privateKey, 'pkcs8'))) }), /field platform_public_key could not be loaded \(PEM type "PRIVATE KEY" is not a public key\)/],
    ['an EC private key', async () => ({ privateKey: await file('ec.pem', pem('PRIVATE KEY', der(ec.privateKey, 'pkcs8'))) }), /field private_key could not be loaded \(it is a ec key, not RSA\)/],
    ['a 512-bit RSA key', async () => ({ privateKey: await file('tiny.pem', pem('PRIVATE KEY', der(tiny.privateKey, 'pkcs8'))) }), /field private_key is a 512-bit RSA key: at least 1024 bits are needed/],
    ['an encrypted private key', async () => ({ privateKey: await file('enc.pem', encrypted.privateKey) }), /field private_key could not be loaded \(encrypted keys are not supported\)/],
    ['a PEM without its END line', async () => ({ privateKey: await file('cut.pem', pem('PRIVATE KEY', der(client.privateKey, 'pkcs8')).split('\n').slice(0, 5).join('\n')) }), /field private_key could not be loaded \(its PEM armour is incomplete\)/],
    ['base64 that is not a key', async () => ({ platformKey: await file('junk.txt', randomBytes(60).toString('base64')) }), /field platform_public_key could not be loaded \(it is not a SPKI OR PKCS1 DER public key\)/],
    ['an empty key file', async () => ({ privateKey: await file('empty.pem', '') }), /private_key: the key file is empty/],
    ['a key file that does not exist', async () => ({ platformKey: join(dir, 'nope.pem') }), /platform_public_key: cannot read .*nope\.pem \(ENOENT\)/],
  ];

  it.each(cases)('%s', async (_name, options, message) => {
    const out = join(dir, `refused-${randomBytes(4).toString('hex')}.json`);
    const run = await buildWith({ ...(await options()), out });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(message);
    expect(run.out).toBe('');
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('answers usage errors with exit 2 and the usage', async () => {
    const missing = await cli('build', '--app-key', 'a');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('build needs --app-secret, --private-key, --platform-public-key');
    const unknown = await cli('build', '--app-key', 'a', '--colour', 'red');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown option '--colour'/);
    expect((await cli('frobnicate')).err).toContain('unknown command "frobnicate"');
    expect((await cli()).code).toBe(2);
  });
});

describe('check', () => {
  it.each([
    ['not JSON', '{"app_key":', /is not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['no platform key', () => JSON.stringify({ app_key: 'a', app_secret: appSecret, private_key: der(client.privateKey, 'pkcs8').toString('base64') }), /field platform_public_key is required/],
    ['a number for app_key', () => JSON.stringify({ app_key: 1, app_secret: appSecret, private_key: 'x', platform_public_key: 'y' }), /field app_key must be a string/],
  ] as Array<[string, string | (() => string), RegExp]>)('names the problem: %s', async (_name, content, message) => {
    const path = await file('check.json', typeof content === 'string' ? content : content());
    const run = await cli('check', path);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(message);
  });
});

describe('put: Secrets Manager PutSecretValue', () => {
  async function validSecretFile(): Promise<string> {
    const out = join(dir, `put-${randomBytes(4).toString('hex')}.json`);
    expect((await buildWith({ out, billKey })).code).toBe(0);
    return out;
  }

  async function storedValue(secretId: string): Promise<string | undefined> {
    const sm = new SecretsManagerClient({ region: standIn.region });
    return (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  }

  it('stores the file as the new AWSCURRENT version; a second put moves the first to AWSPREVIOUS', async () => {
    const arn = standIn.createSecret('onecard/prod'); // as the stack creates it: no value yet
    const path = await validSecretFile();
    const first = await cli('put', '--secret-id', 'onecard/prod', '--region', standIn.region, path);
    expect(first.code).toBe(0);
    expect(first.out).toContain(`stored in ${arn}: version ${standIn.currentVersionId('onecard/prod')} (AWSCURRENT)`);
    expect(await storedValue('onecard/prod')).toBe(await readFile(path, 'utf8'));
    const firstVersion = standIn.currentVersionId('onecard/prod');
    const again = await cli('put', '--secret-id', arn, '--region', standIn.region, await validSecretFile());
    expect(again.code).toBe(0);
    const versions = standIn.mock.commandCalls(PutSecretValueCommand);
    expect(versions).toHaveLength(2);
    const sm = new SecretsManagerClient({ region: standIn.region });
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: AWSPREVIOUS }));
    expect(previous.VersionId).toBe(firstVersion);
    expect(standIn.currentVersionId('onecard/prod')).not.toBe(firstVersion);
    expect(AWSCURRENT).toBe('AWSCURRENT');
  });

  it('says what to do when the secret does not exist, access is denied, or it is marked for deletion', async () => {
    const path = await validSecretFile();
    const missing = await cli('put', '--secret-id', 'onecard/none', '--region', standIn.region, path);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("ResourceNotFoundException: Secrets Manager can't find the specified secret. (no such secret in this account and region");

    standIn.createSecret('onecard/prod');
    standIn.failNext('AccessDeniedException', { operations: ['PutSecretValue'] });
    const denied = await cli('put', '--secret-id', 'onecard/prod', '--region', standIn.region, path);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/AccessDeniedException: User: .* is not authorized to perform: secretsmanager:PutSecretValue .*\(your credentials may not call/);

    standIn.scheduleDeletion('onecard/prod');
    const deleted = await cli('put', '--secret-id', 'onecard/prod', '--region', standIn.region, path);
    expect(deleted.err).toContain('InvalidRequestException: You can\'t perform this operation on the secret because it was marked for deletion. (the secret cannot take a value now');
    expect(standIn.currentVersionId('onecard/prod')).toBeUndefined();
  });

  it('validates before sending: an invalid file, or no --secret-id, never reaches the service', async () => {
    standIn.createSecret('onecard/prod');
    const bad = await file('bad.json', JSON.stringify({ app_key: 'a', app_secret: 'x', private_key: 'y', platform_public_key: 'z' }));
    const refused = await cli('put', '--secret-id', 'onecard/prod', '--region', standIn.region, bad);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('field app_secret');
    const noId = await cli('put', await validSecretFile());
    expect(noId.code).toBe(2);
    expect(noId.err).toContain('put needs --secret-id ID');
    expect(standIn.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('no key material in any output', () => {
  it('no line printed by any command above holds a key, a key fragment or PEM armour', () => {
    expect(printed.length).toBeGreaterThan(100);
    const fragments = [...material].flatMap((value) => {
      const windows: string[] = [];
      for (let at = 0; at + 12 <= value.length; at += 6) windows.push(value.slice(at, at + 12));
      return windows;
    });
    const leaks = printed.filter((line) => line.includes(`${PEM}BEGIN`) || fragments.some((fragment) => line.includes(fragment)));
    expect(leaks).toEqual([]);
  });
});
