// RSA keys from the secret: PEM (PKCS#8, PKCS#1, SPKI, RSA PUBLIC KEY) or bare base64 DER, with
// any whitespace. Errors name the key and the reason, never the material.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyFormatError } from './errors.js';

type DerType = 'pkcs8' | 'pkcs1' | 'spki';

const PEM_PATTERN = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/** Secrets often carry PEM with literal "\n" escapes; turn them into real newlines. */
function normalise(material: string): string {
  return material.replace(/\\r\\n|\\n|\\r/g, '\n').trim();
}

function decodeBody(body: string, keyName: string): Buffer {
  const compact = body.replace(/\s+/g, '');
  if (compact.length === 0) throw new KeyFormatError(keyName, 'it is empty');
  if (compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
    throw new KeyFormatError(keyName, 'its body is not valid base64');
  }
  return Buffer.from(compact, 'base64');
}

interface ParsedMaterial {
  readonly der: Buffer;
  /** DER types to try, in order. */
  readonly types: readonly DerType[];
}

function parse(material: string, keyName: string, kind: 'private' | 'public'): ParsedMaterial {
  if (typeof material !== 'string') throw new KeyFormatError(keyName, 'it is not a string');
  const text = normalise(material);
  if (text === '') throw new KeyFormatError(keyName, 'it is empty');
  if (text.includes('-----BEGIN')) {
    const match = PEM_PATTERN.exec(text);
    if (!match) throw new KeyFormatError(keyName, 'its PEM armour is incomplete');
    const label = match[1] ?? '';
    const body = match[2] ?? '';
    if (/^Proc-Type:|^DEK-Info:/m.test(body) || label === 'ENCRYPTED PRIVATE KEY') {
      throw new KeyFormatError(keyName, 'encrypted keys are not supported');
    }
    const expected: Record<string, readonly DerType[]> =
      kind === 'private'
        ? { 'PRIVATE KEY': ['pkcs8'], 'RSA PRIVATE KEY': ['pkcs1'] }
        : { 'PUBLIC KEY': ['spki'], 'RSA PUBLIC KEY': ['pkcs1'] };
    const types = expected[label];
    if (!types) throw new KeyFormatError(keyName, `PEM type "${label}" is not a ${kind} key`);
    return { der: decodeBody(body, keyName), types };
  }
  return {
    der: decodeBody(text, keyName),
    types: kind === 'private' ? ['pkcs8', 'pkcs1'] : ['spki', 'pkcs1'],
  };
}

function requireRsa(key: KeyObject, keyName: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyFormatError(keyName, `it is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not RSA`);
  }
  return key;
}

/** A private RSA key from PEM (PKCS#8 / PKCS#1) or bare base64 DER. */
export function loadPrivateKey(material: string, keyName: string): KeyObject {
  const { der, types } = parse(material, keyName, 'private');
  for (const type of types) {
    try {
      return requireRsa(createPrivateKey({ key: der, format: 'der', type: type as 'pkcs8' | 'pkcs1' }), keyName);
    } catch (error) {
      if (error instanceof KeyFormatError) throw error;
    }
  }
  throw new KeyFormatError(keyName, `it is not a ${types.join(' or ').toUpperCase()} DER private key`);
}

/** A public RSA key from PEM (SPKI / RSA PUBLIC KEY) or bare base64 DER. */
export function loadPublicKey(material: string, keyName: string): KeyObject {
  const { der, types } = parse(material, keyName, 'public');
  for (const type of types) {
    try {
      return requireRsa(createPublicKey({ key: der, format: 'der', type: type as 'spki' | 'pkcs1' }), keyName);
    } catch (error) {
      if (error instanceof KeyFormatError) throw error;
    }
  }
  throw new KeyFormatError(keyName, `it is not a ${types.join(' or ').toUpperCase()} DER public key`);
}
