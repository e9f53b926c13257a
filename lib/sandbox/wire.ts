// The platform side of the wire, written independently of lib/protocol/envelope.ts: form parsing,
// sign strings, RSA-SHA1, 3DES-CBC payloads, DES-ECB bills and signed response envelopes.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  type KeyObject,
} from 'node:crypto';

const ZERO_IV = Buffer.alloc(8);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** 24-byte 3DES key from base64 app_secret; a 16-byte key is expanded K1K2K1. */
export function tripleDesKeyFromSecret(appSecretBase64: string): Buffer {
  const raw = decodeStrictBase64(appSecretBase64.trim());
  if (raw?.length === 24) return raw;
  if (raw?.length === 16) return Buffer.concat([raw, raw.subarray(0, 8)]);
  throw new Error('sandbox appSecret must be base64 of 16 or 24 bytes');
}

/** Standard base64 only (no whitespace, no URL alphabet, correct padding); undefined otherwise. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || !STRICT_BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

export function encryptTripleDes(plain: Buffer, key: Buffer): string {
  const cipher = createCipheriv('des-ede3-cbc', key, ZERO_IV);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/** Decrypts a request value; undefined when it is not strict base64 or does not decrypt. */
export function decryptTripleDes(base64: string, key: Buffer): Buffer | undefined {
  const cipherText = decodeStrictBase64(base64);
  if (!cipherText || cipherText.length % 8 !== 0) return undefined;
  try {
    const decipher = createDecipheriv('des-ede3-cbc', key, ZERO_IV);
    return Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Single DES-ECB without padding (3DES-ECB with K|K|K). Input length must be a multiple of 8. */
export function desEcbEncrypt(plain: Buffer, key8: Buffer): Buffer {
  const cipher = createCipheriv('des-ede3', Buffer.concat([key8, key8, key8]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

/** The bill's crypt_type 1 body: UTF-8 text NUL-padded to a multiple of 8, DES-ECB, base64. */
export function encryptBillText(bytes: Buffer, key8: Buffer): string {
  const padded = Buffer.concat([bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8)]);
  return desEcbEncrypt(padded, key8).toString('base64');
}

/**
 * Sorted (byte order) name+value of every field but `sign`; empty values left out, or (with
 * `keepEmptyNames`, the other reading some platforms sign with) kept as the bare name.
 */
export function signString(fields: ReadonlyMap<string, string>, keepEmptyNames = false): string {
  return [...fields.entries()]
    .filter(([name, value]) => name !== 'sign' && (keepEmptyNames || value !== ''))
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    .map(([name, value]) => name + value)
    .join('');
}

export function rsaSha1Sign(data: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA1').update(data, 'utf8').sign(privateKey, 'base64');
}

export function rsaSha1Verify(data: string, signatureBase64: string, publicKey: KeyObject): boolean {
  const signature = decodeStrictBase64(signatureBase64);
  if (!signature) return false;
  try {
    return createVerify('RSA-SHA1').update(data, 'utf8').verify(publicKey, signature);
  } catch {
    return false;
  }
}

/** Loads a PEM, or bare base64 DER (SPKI or PKCS#1), public key. */
export function loadPublicKeyMaterial(material: string): KeyObject {
  const text = material.trim();
  if (text.startsWith('-----')) return createPublicKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

export function loadPrivateKeyMaterial(material: string): KeyObject {
  const text = material.trim();
  if (text.startsWith('-----')) return createPrivateKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

export type ParsedForm =
  | { readonly ok: true; readonly fields: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly reason: string };

/** Parses an x-www-form-urlencoded UTF-8 body; a repeated field or bad encoding is illegal. */
export function parseForm(body: Buffer): ParsedForm {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  const fields = new Map<string, string>();
  if (text.length === 0) return { ok: true, fields };
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      return { ok: false, reason: 'malformed percent-encoding' };
    }
    if (fields.has(name)) return { ok: false, reason: 'a field is repeated' };
    fields.set(name, value);
  }
  return { ok: true, fields };
}

/** Form-encodes one value the way the platform does: every reserved character percent-encoded once. */
export function formEncode(value: string): string {
  return encodeURIComponent(value);
}

export interface EnvelopeOptions {
  /** Sign something else so the signature does not verify. */
  readonly corruptSignature?: boolean;
  /** Send `+` in values as spaces (form-encoded `+`), as a lenient encoder does. */
  readonly plusAsSpace?: boolean;
  /** With no request value: send `request=` empty, signed with its name left out or kept. */
  readonly emptyRequest?: 'omitted' | 'named';
}

/** `errcode=..&request=..&sign=..`, signed over the sorted other fields (decoded values). */
export function buildEnvelope(
  errcode: string,
  requestValue: string | undefined,
  platformKey: KeyObject,
  options: EnvelopeOptions = {},
): string {
  const fields = new Map<string, string>([['errcode', errcode]]);
  if (requestValue !== undefined && requestValue !== '') fields.set('request', requestValue);
  else if (options.emptyRequest !== undefined) fields.set('request', '');
  const toSign = signString(fields, options.emptyRequest === 'named');
  const sign = rsaSha1Sign(options.corruptSignature ? `${toSign}#tampered` : toSign, platformKey);
  fields.set('sign', sign);
  const encode = options.plusAsSpace
    ? (value: string): string => formEncode(value.replace(/\+/g, ' ')).replace(/%20/g, '+')
    : formEncode;
  return [...fields.entries()].map(([name, value]) => `${name}=${encode(value)}`).join('&');
}
