// RSA key pairs for tests, generated at run time (never committed), cached per process.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM */
  readonly privatePem: string;
  /** SPKI PEM */
  readonly publicPem: string;
}

const cache = new Map<string, TestKeyPair>();

/** A 2048-bit RSA key pair; the same `name` returns the same pair within one process. */
export function testKeyPair(name = 'client'): TestKeyPair {
  let pair = cache.get(name);
  if (!pair) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pair = {
      privateKey,
      publicKey,
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    cache.set(name, pair);
  }
  return pair;
}
