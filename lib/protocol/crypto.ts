// The protocol's ciphers and signatures on node:crypto: 3DES-CBC payloads, RSA-SHA1 signatures,
// and single DES-ECB for bills: `des-ecb` through OpenSSL's legacy provider where it loads, else 3DES-ECB
// with key K|K|K, which equals DES: E_K(D_K(E_K(x))) = E_K(x).
import { createCipheriv, createDecipheriv, sign, verify, type Cipher, type Decipher, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { GarbledResponseError } from './errors.js';

const ZERO_IV = Buffer.alloc(8);
const NON_BASE64_BODY = /[^A-Za-z0-9+/]/;
const BASE64_TAIL = /^(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==)$/;

function isPaddedBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  if (text.length === 0) return true;
  return !NON_BASE64_BODY.test(text.slice(0, -2)) && BASE64_TAIL.test(text.slice(-2));
}

/**
 * Strict base64, whitespace ignored: padded, standard alphabet, and (unless `canonical` is false)
 * canonical, so that no two texts decode to the same bytes. Undefined when not valid. One linear
 * scan in the common case: bills run to megabytes.
 */
export function decodeBase64Strict(text: string, canonical = true): Buffer | undefined {
  if (canonical) {
    // Fast path (every response): Node's decoder skips what is not base64, so the text is canonical,
    // padded, standard base64 exactly when re-encoding the bytes gives the text back.
    const bytes = Buffer.from(text, 'base64');
    if (bytes.toString('base64') === text) return bytes;
  }
  let compact = text;
  if (!isPaddedBase64(compact)) {
    compact = text.replace(/\s+/g, '');
    if (compact === text || !isPaddedBase64(compact)) return undefined;
  }
  const bytes = Buffer.from(compact, 'base64');
  if (canonical && bytes.toString('base64') !== compact) return undefined;
  return bytes;
}

/** The 24-byte 3DES key from base64 `app_secret`; a 16-byte key is expanded K1K2K1. */
export function tripleDesKey(appSecretBase64: string): Buffer {
  const bytes = decodeBase64Strict(appSecretBase64);
  if (!bytes) throw new ConfigurationError('app_secret is not valid base64');
  if (bytes.length === 24) return bytes;
  if (bytes.length === 16) return Buffer.concat([bytes, bytes.subarray(0, 8)]);
  throw new ConfigurationError(`app_secret must decode to 16 or 24 bytes, got ${bytes.length}`);
}

/** 3DES-CBC (zero IV, PKCS#5) of the payload, as standard base64: the `request` field. */
export function encryptPayload(plain: string | Buffer, key: Buffer): string {
  const cipher = createCipheriv('des-ede3-cbc', key, ZERO_IV);
  const input = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  return Buffer.concat([cipher.update(input), cipher.final()]).toString('base64');
}

/** Inverse of encryptPayload. Throws GarbledResponseError on bad base64, length or padding. */
export function decryptPayload(base64: string, key: Buffer): Buffer {
  const bytes = decodeBase64Strict(base64);
  if (!bytes || bytes.length === 0 || bytes.length % 8 !== 0) {
    throw new GarbledResponseError('encrypted payload is not base64 of whole 3DES blocks');
  }
  const decipher = createDecipheriv('des-ede3-cbc', key, ZERO_IV);
  try {
    return Buffer.concat([decipher.update(bytes), decipher.final()]);
  } catch {
    throw new GarbledResponseError('encrypted payload does not decrypt with the 3DES key (bad padding)');
  }
}

/** RSA PKCS#1 v1.5 over SHA-1 of the UTF-8 string, standard base64. */
export function rsaSha1Sign(data: string, key: KeyObject): string {
  return sign('sha1', Buffer.from(data, 'utf8'), key).toString('base64');
}

/** Verifies an rsaSha1Sign signature; false (never a throw) for any malformed signature. */
export function rsaSha1Verify(data: string, signatureBase64: string, key: KeyObject): boolean {
  const signature = decodeBase64Strict(signatureBase64);
  if (!signature || signature.length === 0) return false;
  try {
    return verify('sha1', Buffer.from(data, 'utf8'), key, signature);
  } catch {
    return false;
  }
}

/** How single DES runs: `des-ecb` (OpenSSL legacy provider loaded, e.g. --openssl-legacy-provider) or `des-ede3` with K|K|K. */
export type DesEcbMode = 'des-ecb' | 'des-ede3';

let probedMode: DesEcbMode | undefined;

/** The faster single-DES path this process can use, probed once: `des-ecb` loads only with the legacy provider. */
export function desEcbMode(): DesEcbMode {
  if (probedMode === undefined) {
    try {
      createDecipheriv('des-ecb', Buffer.alloc(8), null);
      probedMode = 'des-ecb';
    } catch {
      probedMode = 'des-ede3';
    }
  }
  return probedMode;
}

function checkDesKey(key8: Uint8Array): void {
  if (key8.length !== 8) throw new ConfigurationError(`a DES key must be 8 bytes, got ${key8.length}`);
}

/**
 * A streaming single-DES-ECB cipher without padding (update() keeps a partial block for the next call;
 * final() throws when the input was not whole blocks). `mode` defaults to desEcbMode().
 * @throws ConfigurationError for a key that is not 8 bytes; Error when `des-ecb` is forced but not loaded.
 */
export function createDesEcb(encrypt: boolean, key8: Uint8Array, mode: DesEcbMode = desEcbMode()): Cipher | Decipher {
  checkDesKey(key8);
  const key = mode === 'des-ecb' ? key8 : Buffer.concat([key8, key8, key8]);
  const cipher = encrypt ? createCipheriv(mode, key, null) : createDecipheriv(mode, key, null);
  cipher.setAutoPadding(false);
  return cipher;
}

function desEcb(encrypt: boolean, data: Buffer, key8: Buffer): Buffer {
  checkDesKey(key8);
  if (data.length % 8 !== 0) throw new GarbledResponseError('DES-ECB data is not a whole number of 8-byte blocks');
  const cipher = createDesEcb(encrypt, key8);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Single DES, ECB, no padding (input a multiple of 8 bytes). */
export function desEcbEncryptNoPadding(plain: Buffer, key8: Buffer): Buffer {
  return desEcb(true, plain, key8);
}

/** Single DES, ECB, no padding (input a multiple of 8 bytes). */
export function desEcbDecryptNoPadding(cipher: Buffer, key8: Buffer): Buffer {
  return desEcb(false, cipher, key8);
}

/** The bill DES key: base64 `bill_key` (8 bytes) when given, else the first 8 bytes of the 3DES key. */
export function billDesKey(tripleDesKey: Buffer, billKeyBase64?: string): Buffer {
  if (billKeyBase64 !== undefined && billKeyBase64.trim() !== '') {
    const bytes = decodeBase64Strict(billKeyBase64);
    if (!bytes) throw new ConfigurationError('bill_key is not valid base64');
    if (bytes.length !== 8) throw new ConfigurationError(`bill_key must decode to 8 bytes, got ${bytes.length}`);
    return bytes;
  }
  if (tripleDesKey.length < 8) throw new ConfigurationError('the 3DES key is too short to derive a bill key');
  return Buffer.from(tripleDesKey.subarray(0, 8));
}
