// Proves the secret loader: every accepted key form loads, and every rejection names the field
// without ever echoing a value from the secret.
import { randomBytes, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadCredentials, SynjonesSecretSchema } from '../../lib/secrets/secret.js';
import { ConfigurationError, GatewayError } from '../../lib/errors.js';
import { rsaSha1Sign, rsaSha1Verify } from '../../lib/protocol/crypto.js';
import { testKeyPair } from '../support/keys.js';

const client = testKeyPair('client');
const platform = testKeyPair('platform');
const appSecret24 = randomBytes(24).toString('base64');

function validSecret(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_key: 'APP-KEY-1',
    app_secret: appSecret24,
    private_key: client.privatePem,
    platform_public_key: platform.publicPem,
    ...overrides,
  };
}

/** Asserts `load` throws a ConfigurationError naming `field` and quoting none of `values`. */
function expectFieldError(load: () => unknown, field: string, values: readonly string[]): void {
  let caught: unknown;
  try {
    load();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  const message = (caught as Error).message;
  expect(message).toContain(field);
  for (const value of values) {
    if (value.length >= 4) expect(message).not.toContain(value);
  }
}

describe('loadCredentials', () => {
  it('loads a complete PEM secret into working credentials', () => {
    const credentials = loadCredentials(validSecret(), { requirePlatformKey: true });
    expect(credentials.appKey).toBe('APP-KEY-1');
    expect(credentials.tripleDesKey).toEqual(Buffer.from(appSecret24, 'base64'));
    expect(credentials.billDesKey).toEqual(Buffer.from(appSecret24, 'base64').subarray(0, 8));
    expect(credentials.privateKey.type).toBe('private');
    expect(credentials.platformPublicKey?.type).toBe('public');
    const signature = rsaSha1Sign('data', credentials.privateKey);
    expect(rsaSha1Verify('data', signature, client.publicKey)).toBe(true);
    expect(rsaSha1Verify('data', rsaSha1Sign('data', platform.privateKey), credentials.platformPublicKey!)).toBe(true);
  });

  it('accepts the JSON text of the secret as well as the object', () => {
    const credentials = loadCredentials(JSON.stringify(validSecret()), { requirePlatformKey: true });
    expect(credentials.appKey).toBe('APP-KEY-1');
  });

  it('loads bare base64 DER keys (PKCS#1 private, SPKI public), the vendor demo form', () => {
    const pkcs1 = client.privateKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const spki = platform.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const credentials = loadCredentials(validSecret({ private_key: pkcs1, platform_public_key: spki }), {
      requirePlatformKey: true,
    });
    expect(rsaSha1Verify('x', rsaSha1Sign('x', credentials.privateKey), client.publicKey)).toBe(true);
    expect(credentials.platformPublicKey?.asymmetricKeyType).toBe('rsa');
  });

  it('expands a 16-byte app_secret K1K2K1 and uses bill_key when given', () => {
    const k16 = randomBytes(16);
    const billKey = randomBytes(8);
    const credentials = loadCredentials(
      validSecret({ app_secret: k16.toString('base64'), bill_key: billKey.toString('base64') }),
      { requirePlatformKey: true },
    );
    expect(credentials.tripleDesKey).toEqual(Buffer.concat([k16, k16.subarray(0, 8)]));
    expect(credentials.billDesKey).toEqual(billKey);
  });

  it('allows a missing or empty platform_public_key only when not required', () => {
    const { platform_public_key: _omitted, ...withoutKey } = validSecret();
    const local = loadCredentials(withoutKey, { requirePlatformKey: false });
    expect(local.platformPublicKey).toBeUndefined();
    expect('platformPublicKey' in local).toBe(false);
    expect(loadCredentials(validSecret({ platform_public_key: '  ' }), { requirePlatformKey: false }).platformPublicKey).toBeUndefined();
    expectFieldError(() => loadCredentials(withoutKey, { requirePlatformKey: true }), 'platform_public_key', []);
    expectFieldError(
      () => loadCredentials(validSecret({ platform_public_key: '' }), { requirePlatformKey: true }),
      'platform_public_key',
      [],
    );
  });

  it.each(['app_key', 'app_secret', 'private_key'])('names a missing %s', (field) => {
    const secret = validSecret();
    delete secret[field];
    expectFieldError(() => loadCredentials(secret, { requirePlatformKey: false }), `field ${field} is required`, []);
  });

  it('names a field of the wrong type or empty, without its value', () => {
    expectFieldError(
      () => loadCredentials(validSecret({ app_key: 12345678 }), { requirePlatformKey: true }),
      'field app_key must be a string',
      ['12345678'],
    );
    expectFieldError(() => loadCredentials(validSecret({ app_secret: '   ' }), { requirePlatformKey: true }), 'app_secret', []);
  });

  it('rejects a non-object secret and invalid JSON text without quoting it', () => {
    expectFieldError(() => loadCredentials(['x'], { requirePlatformKey: true }), 'JSON object', []);
    expectFieldError(() => loadCredentials(null, { requirePlatformKey: true }), 'JSON object', []);
    const text = '{"app_key":"LEAKY-APP-KEY","app_secret":"LEAKY-SECRET-VALUE",';
    expectFieldError(() => loadCredentials(text, { requirePlatformKey: true, sourceName: 'secret prod' }), 'secret prod is not valid JSON', [
      'LEAKY-APP-KEY',
      'LEAKY-SECRET-VALUE',
    ]);
  });

  it('names app_secret and bill_key of the wrong length without their values', () => {
    const short = randomBytes(10).toString('base64');
    expectFieldError(() => loadCredentials(validSecret({ app_secret: short }), { requirePlatformKey: true }), 'app_secret', [short]);
    const notBase64 = 'NOT*BASE64*SECRET';
    expectFieldError(() => loadCredentials(validSecret({ app_secret: notBase64 }), { requirePlatformKey: true }), 'app_secret', [
      notBase64,
    ]);
    const billKey = randomBytes(12).toString('base64');
    expectFieldError(() => loadCredentials(validSecret({ bill_key: billKey }), { requirePlatformKey: true }), 'bill_key', [billKey]);
  });

  it('names a broken or swapped key without echoing its material', () => {
    const body = client.privatePem.split('\n').slice(1, -2).join('');
    const truncated = body.slice(0, 200);
    expectFieldError(() => loadCredentials(validSecret({ private_key: truncated }), { requirePlatformKey: true }), 'private_key', [
      truncated.slice(0, 40),
      truncated.slice(100, 140),
    ]);
    // A public key where the private one belongs.
    expectFieldError(
      () => loadCredentials(validSecret({ private_key: platform.publicPem }), { requirePlatformKey: true }),
      'private_key',
      [platform.publicPem.split('\n')[1]!],
    );
    // A private key where the platform's public key belongs: loads neither silently nor with material.
    const privateAsPublic = platform.privatePem;
    let outcome: unknown;
    try {
      outcome = loadCredentials(validSecret({ platform_public_key: privateAsPublic }), { requirePlatformKey: true });
    } catch (error) {
      outcome = error;
    }
    expect(outcome).toBeInstanceOf(ConfigurationError);
    expect((outcome as Error).message).toContain('platform_public_key');
    expect((outcome as Error).message).not.toContain(privateAsPublic.split('\n')[1]!);
  });

  it('never echoes any field value in any rejection (property)', () => {
    const marker = fc.string({ minLength: 6, maxLength: 40 }).map((s) => `ZQX${s.replace(/\s/g, '_')}`);
    fc.assert(
      fc.property(
        fc.constantFrom('app_key', 'app_secret', 'private_key', 'platform_public_key', 'bill_key'),
        marker,
        fc.constantFrom('as-is', 'as-number-array'),
        (field, value, shape) => {
          const secret = validSecret({ [field]: shape === 'as-is' ? value : [value] });
          try {
            loadCredentials(secret, { requirePlatformKey: true });
          } catch (error) {
            expect(error).toBeInstanceOf(GatewayError);
            expect((error as Error).message).toContain(field);
            expect((error as Error).message).not.toContain(value);
            return;
          }
          // Only app_key accepts any text.
          expect(field).toBe('app_key');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the schema aligned with API.md (known fields, extras ignored)', () => {
    const parsed = SynjonesSecretSchema.parse({ ...validSecret(), rotated_at: '2026-01-01' });
    expect(Object.keys(parsed).sort()).toEqual(['app_key', 'app_secret', 'platform_public_key', 'private_key']);
    expect(createPrivateKey(client.privatePem).type).toBe('private');
  });
});
