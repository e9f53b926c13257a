// The platform side of the wire for unit tests, written directly on node:crypto (not on
// lib/protocol/envelope.ts) so the codec is checked against a second implementation.
import { createCipheriv, createDecipheriv, createSign, createVerify, type KeyObject } from 'node:crypto';

const ZERO_IV = Buffer.alloc(8);

export function platformEncrypt(json: unknown, key: Buffer): string {
  const cipher = createCipheriv('des-ede3-cbc', key, ZERO_IV);
  return Buffer.concat([cipher.update(JSON.stringify(json), 'utf8'), cipher.final()]).toString('base64');
}

export function platformDecrypt(base64: string, key: Buffer): unknown {
  const decipher = createDecipheriv('des-ede3-cbc', key, ZERO_IV);
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(base64, 'base64')), decipher.final()]).toString('utf8'));
}

function sortedNameValue(fields: Record<string, string>): string {
  return Object.keys(fields)
    .filter((name) => name !== 'sign' && fields[name] !== '')
    .sort()
    .map((name) => `${name}${fields[name]}`)
    .join('');
}

export interface ResponseSpec {
  readonly errcode: string;
  readonly json?: unknown;
  /** A raw `request` value instead of encrypting `json` ('' for an empty field). */
  readonly rawRequest?: string;
  readonly tripleDesKey: Buffer;
  /** Omitted: unsigned. */
  readonly platformPrivateKey?: KeyObject;
  /** Field order in the body; default errcode, request, sign. */
  readonly order?: readonly string[];
  /** Write base64 values with `+` left raw, so a form decoder reads a space. */
  readonly plusAsSpace?: boolean;
}

/** A platform response envelope as body bytes, plus its decoded fields. */
export function platformResponse(spec: ResponseSpec): { body: Buffer; fields: Record<string, string> } {
  const fields: Record<string, string> = { errcode: spec.errcode };
  if (spec.rawRequest !== undefined) fields.request = spec.rawRequest;
  else if (spec.json !== undefined) fields.request = platformEncrypt(spec.json, spec.tripleDesKey);
  if (spec.platformPrivateKey) {
    fields.sign = createSign('RSA-SHA1').update(sortedNameValue(fields), 'utf8').sign(spec.platformPrivateKey, 'base64');
  }
  const order = spec.order ?? ['errcode', 'request', 'sign'];
  const body = order
    .filter((name) => fields[name] !== undefined)
    .map((name) => {
      const value = fields[name] ?? '';
      const encoded = spec.plusAsSpace
        ? encodeURIComponent(value).replace(/%2B/g, '+')
        : encodeURIComponent(value);
      return `${name}=${encoded}`;
    })
    .join('&');
  return { body: Buffer.from(body, 'utf8'), fields };
}

export interface DecodedRequest {
  readonly fields: Record<string, string>;
  readonly json: Record<string, unknown>;
  readonly signatureValid: boolean;
}

/** Reads a client request body as the platform would: form fields, signature, decrypted JSON. */
export function readClientRequest(body: string, tripleDesKey: Buffer, clientPublicKey: KeyObject): DecodedRequest {
  const fields = Object.fromEntries(new URLSearchParams(body));
  const signatureValid = createVerify('RSA-SHA1')
    .update(sortedNameValue(fields), 'utf8')
    .verify(clientPublicKey, Buffer.from(fields.sign ?? '', 'base64'));
  const json = platformDecrypt(fields.request ?? '', tripleDesKey) as Record<string, unknown>;
  return { fields, json, signatureValid };
}
