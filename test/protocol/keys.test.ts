// Key loading in every form the field uses, and errors that name the key without its material.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaSha1Sign, rsaSha1Verify } from '../../lib/protocol/crypto.js';
import { KeyFormatError } from '../../lib/protocol/errors.js';
import { loadPrivateKey, loadPublicKey } from '../../lib/protocol/keys.js';
import { testKeyPair } from '../support/keys.js';

/** Split so that no file holds what looks like key material (the keys themselves are generated). */
const PRIVATE = 'PRIVATE';

const pair = testKeyPair('keys-test');
const pkcs8Pem = pair.privatePem;
const pkcs1Pem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const spkiPem = pair.publicPem;
const rsaPublicPem = pair.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
/** The same DER with its outer SEQUENCE tag broken (0x30 → 0x31). */
const corruptDer = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = 0x31;
  return bytes.toString('base64');
};
const der = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

function works(privateKey: KeyObject, publicKey: KeyObject): boolean {
  return rsaSha1Verify('probe', rsaSha1Sign('probe', privateKey), publicKey);
}

describe('loadPrivateKey', () => {
  const forms: Record<string, string> = {
    'PKCS#8 PEM': pkcs8Pem,
    'PKCS#1 PEM': pkcs1Pem,
    'bare base64 PKCS#8 DER': der(pkcs8Pem),
    'bare base64 PKCS#1 DER': der(pkcs1Pem),
    'bare base64 wrapped at 64 with CRLF': der(pkcs8Pem).replace(/(.{64})/g, '$1\r\n'),
    'PEM with CRLF': pkcs1Pem.replace(/\n/g, '\r\n'),
    'PEM with literal \\n escapes': pkcs8Pem.replace(/\n/g, '\\n'),
    'PEM on one line': `-----BEGIN ${PRIVATE} KEY-----${der(pkcs8Pem)}-----END ${PRIVATE} KEY-----`,
    'PEM indented with surrounding blanks': `\n   ${pkcs1Pem.split('\n').join('\n   ')}\n\n`,
  };
  it.each(Object.entries(forms))('loads %s', (_, material) => {
    const key = loadPrivateKey(material, 'private_key');
    expect(key.type).toBe('private');
    expect(works(key, pair.publicKey)).toBe(true);
  });
});

describe('loadPublicKey', () => {
  const forms: Record<string, string> = {
    'SPKI PEM': spkiPem,
    'RSA PUBLIC KEY PEM': rsaPublicPem,
    'bare base64 SPKI DER': der(spkiPem),
    'bare base64 PKCS#1 DER': der(rsaPublicPem),
    'PEM with CRLF and literal escapes': spkiPem.replace(/\n/g, '\\r\\n'),
  };
  it.each(Object.entries(forms))('loads %s', (_, material) => {
    const key = loadPublicKey(material, 'platform_public_key');
    expect(key.type).toBe('public');
    expect(works(pair.privateKey, key)).toBe(true);
  });
});

describe('bad keys', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const body = der(pkcs8Pem);
  const cases: Array<[string, () => unknown, string]> = [
    ['garbage', () => loadPrivateKey('this is not a key', 'private_key'), 'this is not a key'],
    ['truncated DER', () => loadPrivateKey(body.slice(0, 400), 'private_key'), body.slice(0, 400)],
    ['corrupted DER structure', () => loadPrivateKey(corruptDer(body), 'private_key'), body.slice(210, 260)],
    ['a public key as private', () => loadPrivateKey(spkiPem, 'private_key'), der(spkiPem).slice(20, 80)],
    ['a private key as public', () => loadPublicKey(pkcs8Pem, 'platform_public_key'), body.slice(20, 80)],
    ['an EC key', () => loadPrivateKey(ecPem, 'private_key'), der(ecPem).slice(10, 60)],
    ['empty', () => loadPublicKey('  ', 'platform_public_key'), '  x'],
    ['armour without end', () => loadPrivateKey(pkcs8Pem.replace(/-----END[^]*$/, ''), 'private_key'), body.slice(20, 80)],
    ['encrypted PEM', () => loadPrivateKey(pkcs8Pem.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY'), 'private_key'), body.slice(20, 80)],
  ];
  it.each(cases)('%s → KeyFormatError naming the key, not echoing it', (_, load, material) => {
    let caught: unknown;
    try {
      load();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeyFormatError);
    const error = caught as KeyFormatError;
    expect(error.message).toMatch(/^(private_key|platform_public_key) could not be loaded: /);
    expect(error.keyName).toMatch(/^(private_key|platform_public_key)$/);
    expect(error.message).not.toContain(material);
    expect(error.message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(body.slice(100, 160));
  });
});
