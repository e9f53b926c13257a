// The protocol's ciphers and signatures: round trips, failure modes, and a byte-for-byte
// cross-check of every result against node-forge's independent implementation.
import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  billDesKey,
  decodeBase64Strict,
  decryptPayload,
  desEcbDecryptNoPadding,
  desEcbEncryptNoPadding,
  encryptPayload,
  rsaSha1Sign,
  rsaSha1Verify,
  tripleDesKey,
} from '../../lib/protocol/crypto.js';
import { ConfigurationError } from '../../lib/errors.js';
import { GarbledResponseError } from '../../lib/protocol/errors.js';
import { testKeyPair } from '../support/keys.js';
import { forgeDesEcb, forgeRsaSha1Sign, forgeRsaSha1Verify, forgeTripleDesCbc } from './forge-reference.js';

const key24 = fc.uint8Array({ minLength: 24, maxLength: 24 }).map((bytes) => Buffer.from(bytes));
const key8 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bytes) => Buffer.from(bytes));
const blocks = fc
  .integer({ min: 0, max: 64 })
  .chain((n) => fc.uint8Array({ minLength: n * 8, maxLength: n * 8 }))
  .map((bytes) => Buffer.from(bytes));

describe('tripleDesKey', () => {
  it('uses a 24-byte key as is and expands a 16-byte key K1K2K1', () => {
    const k24 = Buffer.from(Array.from({ length: 24 }, (_, i) => i));
    expect(tripleDesKey(k24.toString('base64')).equals(k24)).toBe(true);
    const k16 = Buffer.from(Array.from({ length: 16 }, (_, i) => 100 + i));
    expect(tripleDesKey(k16.toString('base64')).equals(Buffer.concat([k16, k16.subarray(0, 8)]))).toBe(true);
  });
  it('rejects other lengths and non-base64 without echoing the secret', () => {
    const secret = Buffer.alloc(8, 7).toString('base64');
    expect(() => tripleDesKey(secret)).toThrow(ConfigurationError);
    try {
      tripleDesKey('not base64 at all!!');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toContain('not base64 at all');
      expect((error as Error).message).toContain('app_secret');
    }
  });
});

describe('encryptPayload / decryptPayload', () => {
  it('round-trips any payload (property)', () => {
    fc.assert(
      fc.property(key24, fc.string({ unit: 'binary', maxLength: 300 }), (key, plain) => {
        expect(decryptPayload(encryptPayload(plain, key), key).toString('utf8')).toBe(plain);
      }),
      { numRuns: 300 },
    );
  });

  it('equals node-forge 3DES-CBC (zero IV, PKCS#5) byte for byte, both ways (property)', () => {
    fc.assert(
      fc.property(key24, fc.uint8Array({ maxLength: 200 }), (key, bytes) => {
        const plain = Buffer.from(bytes);
        const ours = encryptPayload(plain, key);
        const theirs = forgeTripleDesCbc(true, plain, key);
        expect(ours).toBe(theirs.toString('base64'));
        expect(forgeTripleDesCbc(false, Buffer.from(ours, 'base64'), key).equals(plain)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('matches a fixed vector (the spec example payload)', () => {
    const key = Buffer.from('0123456789abcdefghijklmn', 'latin1');
    const plain = '{"authorize_access_token":{}}';
    expect(encryptPayload(plain, key)).toBe(forgeTripleDesCbc(true, Buffer.from(plain), key).toString('base64'));
  });

  it('throws GarbledResponseError on bad base64, partial blocks and wrong keys', () => {
    const key = Buffer.alloc(24, 1);
    expect(() => decryptPayload('***', key)).toThrow(GarbledResponseError);
    expect(() => decryptPayload(Buffer.alloc(7).toString('base64'), key)).toThrow(GarbledResponseError);
    expect(() => decryptPayload('', key)).toThrow(GarbledResponseError);
    const cipher = encryptPayload('{"a":1}', key);
    // A fixed wrong key whose result has invalid padding (checked once against forge).
    expect(() => decryptPayload(cipher, Buffer.alloc(24, 2))).toThrow(GarbledResponseError);
  });
});

describe('rsaSha1Sign / rsaSha1Verify', () => {
  const pair = testKeyPair('crypto-test');
  const pkcs1Pem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

  it('produces exactly node-forge’s PKCS#1 v1.5 SHA-1 signature (property, unicode included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 120 }), (data) => {
        const ours = rsaSha1Sign(data, pair.privateKey);
        expect(ours).toBe(forgeRsaSha1Sign(data, pkcs1Pem));
        expect(forgeRsaSha1Verify(data, ours, pair.publicPem)).toBe(true);
        expect(rsaSha1Verify(data, ours, pair.publicKey)).toBe(true);
      }),
      { numRuns: 8 },
    );
  });

  it('accepts forge’s signatures and refuses altered data or signatures', () => {
    const data = 'access_token0000app_keyk';
    const forgeSig = forgeRsaSha1Sign(data, pair.privatePem);
    expect(rsaSha1Verify(data, forgeSig, pair.publicKey)).toBe(true);
    expect(rsaSha1Verify(`${data}x`, forgeSig, pair.publicKey)).toBe(false);
    const flipped = Buffer.from(forgeSig, 'base64');
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(rsaSha1Verify(data, flipped.toString('base64'), pair.publicKey)).toBe(false);
    expect(rsaSha1Verify(data, '', pair.publicKey)).toBe(false);
    expect(rsaSha1Verify(data, '%%%', pair.publicKey)).toBe(false);
    expect(rsaSha1Verify(data, forgeSig, testKeyPair('crypto-other').publicKey)).toBe(false);
  });

  it('signs with a key loaded from PKCS#1 the same as from PKCS#8', () => {
    expect(rsaSha1Sign('x', createPrivateKey(pkcs1Pem))).toBe(rsaSha1Sign('x', pair.privateKey));
  });
});

describe('single DES (ECB, no padding) as 3DES-ECB with K|K|K', () => {
  it('matches the classic DES test vector', () => {
    const key = Buffer.from('133457799BBCDFF1', 'hex');
    const plain = Buffer.from('0123456789ABCDEF', 'hex');
    expect(desEcbEncryptNoPadding(plain, key).toString('hex')).toBe('85e813540f0ab405');
    expect(desEcbDecryptNoPadding(Buffer.from('85E813540F0AB405', 'hex'), key).equals(plain)).toBe(true);
  });

  it('equals node-forge DES-ECB, encrypting and decrypting, for any key and data (property)', () => {
    fc.assert(
      fc.property(key8, blocks, (key, data) => {
        const ours = desEcbEncryptNoPadding(data, key);
        expect(ours.equals(forgeDesEcb(true, data, key))).toBe(true);
        expect(desEcbDecryptNoPadding(data, key).equals(forgeDesEcb(false, data, key))).toBe(true);
        expect(desEcbDecryptNoPadding(ours, key).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses partial blocks and wrong key sizes', () => {
    expect(() => desEcbDecryptNoPadding(Buffer.alloc(9), Buffer.alloc(8))).toThrow(GarbledResponseError);
    expect(() => desEcbDecryptNoPadding(Buffer.alloc(8), Buffer.alloc(7))).toThrow(ConfigurationError);
  });
});

describe('billDesKey', () => {
  it('is bill_key when given, else the first 8 bytes of the 3DES key', () => {
    const triple = Buffer.from(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(billDesKey(triple).equals(triple.subarray(0, 8))).toBe(true);
    const bill = Buffer.from('abcdefgh');
    expect(billDesKey(triple, bill.toString('base64')).equals(bill)).toBe(true);
    expect(() => billDesKey(triple, Buffer.alloc(16).toString('base64'))).toThrow(/bill_key/);
    expect(() => billDesKey(triple, '!!!')).toThrow(ConfigurationError);
  });
});

describe('decodeBase64Strict', () => {
  it('is canonical: no two texts decode to the same bytes', () => {
    expect(decodeBase64Strict('QQ==')?.toString()).toBe('A');
    expect(decodeBase64Strict('QR==')).toBeUndefined();
    expect(decodeBase64Strict('QR==', false)?.toString()).toBe('A');
    expect(decodeBase64Strict('QQ')).toBeUndefined();
    expect(decodeBase64Strict('Q Q = =')?.toString()).toBe('A');
  });
});
