// The client side of the wire: sign strings, request building (timestamp, 3DES, RSA-SHA1, form
// encoding) and response decoding (tolerant form parsing, signature check, decryption, retcodes).
import type { KeyObject } from 'node:crypto';
import { decryptPayload, encryptPayload, rsaSha1Sign, rsaSha1Verify } from './crypto.js';
import {
  BusinessError,
  GarbledResponseError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from './errors.js';
import { chinaTimestamp } from './timestamp.js';

/** access_token of the token call itself: 128 zeros. */
export const INITIAL_ACCESS_TOKEN = '0'.repeat(128);

/** Fields whose values are base64 and may arrive with `+` turned into a space. */
const BASE64_FIELDS = new Set(['request', 'sign']);
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Byte (UTF-8) order of two names; plain comparison equals it for ASCII names. */
function compareBytes(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Sorted (byte order) `name + value` of every field except `sign` and empty values; with
 * `keepEmptyNames`, an empty field stays in as its bare name (the other reading platforms sign with).
 */
export function signString(fields: Readonly<Record<string, string>>, keepEmptyNames = false): string {
  const names = Object.keys(fields).filter(
    (name) => name !== 'sign' && fields[name] !== undefined && (keepEmptyNames || fields[name] !== ''),
  );
  // Field names are ASCII in practice, where code-unit order is byte order; check once, not per comparison.
  if (names.every(isAscii)) names.sort();
  else names.sort(compareBytes);
  let out = '';
  for (const name of names) out += name + fields[name];
  return out;
}

export interface BuildRequestInput {
  readonly method: string;
  readonly rootKey: string;
  readonly body: object;
  readonly appKey: string;
  readonly accessToken: string;
  readonly privateKey: KeyObject;
  readonly tripleDesKey: Buffer;
  /** The call's instant; the timestamp is computed from it once. Default: now. */
  readonly at?: Date;
}

export interface BuiltRequest {
  /** All nine fields, including `sign`, raw values. */
  readonly fields: Record<string, string>;
  /** application/x-www-form-urlencoded body. */
  readonly body: string;
}

/** Encrypts, signs and form-encodes one call. */
export function buildRequest(input: BuildRequestInput): BuiltRequest {
  const fields: Record<string, string> = {
    access_token: input.accessToken,
    app_key: input.appKey,
    format: 'json',
    method: input.method,
    request: encryptPayload(JSON.stringify({ [input.rootKey]: input.body }), input.tripleDesKey),
    sign_method: 'rsa',
    timestamp: chinaTimestamp(input.at ?? new Date()),
    v: '2.0',
  };
  for (const [name, value] of Object.entries(fields)) {
    if (value === '') throw new TypeError(`request field ${name} must not be empty`);
  }
  fields.sign = rsaSha1Sign(signString(fields), input.privateKey);
  let body = '';
  for (const [name, value] of Object.entries(fields)) {
    body += `${body ? '&' : ''}${name}=${encodeURIComponent(value)}`;
  }
  return { fields, body };
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
// Made on the first body that is not UTF-8, not at module load (a GBK decoder opens ICU's converter: init time).
let gbk: InstanceType<typeof TextDecoder> | undefined;

/** Body bytes as text: UTF-8 when valid, else GBK. */
export function decodeBodyText(body: Buffer): string {
  try {
    return utf8Strict.decode(body);
  } catch {
    return (gbk ??= new TextDecoder('gbk')).decode(body);
  }
}

function decodeFormComponent(text: string, name: string): string {
  // Base64 fields: a `+` either stayed `+` or was turned into a space that is put back anyway, so
  // only %-escapes need decoding (and most platforms send none).
  const isBase64 = BASE64_FIELDS.has(name);
  const plusDecoded = isBase64 ? text : text.replace(/\+/g, ' ');
  let value = plusDecoded;
  if (plusDecoded.includes('%')) {
    try {
      value = decodeURIComponent(plusDecoded);
    } catch {
      throw new GarbledResponseError(`response field ${name} is not URL-encoded properly`);
    }
  }
  return isBase64 && value.includes(' ') ? value.replace(/ /g, '+') : value;
}

/**
 * The form fields of an envelope body, or undefined when the body is not an envelope (every part
 * must be name=value and one name must be `errcode`).
 */
export function parseEnvelopeFields(text: string): Record<string, string> | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const pairs: Array<[string, string]> = [];
  for (const part of trimmed.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) return undefined;
    const name = part.slice(0, equals);
    if (!FIELD_NAME.test(name)) return undefined;
    pairs.push([name, part.slice(equals + 1)]);
  }
  if (!pairs.some(([name]) => name === 'errcode')) return undefined;
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, raw] of pairs) {
    if (name in fields) throw new GarbledResponseError(`response field ${name} appears twice`);
    fields[name] = decodeFormComponent(raw, name);
  }
  return fields;
}

export interface DecodeEnvelopeOptions {
  readonly tripleDesKey: Buffer;
  /** When given, the response signature must verify (SignatureMismatchError otherwise). */
  readonly platformPublicKey?: KeyObject;
  readonly httpStatus: number;
}

export interface DecodedEnvelope {
  readonly errcode: string;
  /** The decrypted business JSON, when `request` was present. */
  readonly json?: unknown;
}

/**
 * Decodes a response body: envelope fields in any order, `+`-as-space repaired, signature verified
 * over the other fields (sorted, decoded values), `request` decrypted and JSON-parsed. A body that
 * is not an envelope throws UpstreamTextError with its text (UTF-8 or GBK).
 */
export function decodeEnvelope(body: Buffer, options: DecodeEnvelopeOptions): DecodedEnvelope {
  const text = decodeBodyText(body);
  const fields = parseEnvelopeFields(text);
  if (!fields) {
    if (text.trim() === '') {
      throw new GarbledResponseError(`the one-card platform answered HTTP ${options.httpStatus} with an empty body`);
    }
    throw new UpstreamTextError(text.trim(), options.httpStatus);
  }
  if (options.platformPublicKey) {
    const signature = fields.sign;
    if (signature === undefined || signature === '') {
      throw new SignatureMismatchError('the one-card platform response is not signed');
    }
    if (!verifiesUnderEitherReading(fields, signature, options.platformPublicKey)) {
      throw new SignatureMismatchError();
    }
  }
  const errcode = (fields.errcode ?? '').trim();
  if (!/^-?\d+$/.test(errcode)) throw new GarbledResponseError('response errcode is not a number');
  const request = fields.request;
  if (request === undefined || request === '') {
    if (errcode === '0') throw new GarbledResponseError('response has errcode 0 but no request field');
    return { errcode };
  }
  let json: unknown;
  try {
    const plain = decryptPayload(request, options.tripleDesKey);
    json = JSON.parse(decodeBodyText(plain));
  } catch (error) {
    if (errcode !== '0') return { errcode }; // the errcode is what matters; an unreadable extra is dropped
    if (error instanceof GarbledResponseError) throw error;
    throw new GarbledResponseError('response request field does not hold JSON');
  }
  return { errcode, json };
}

/**
 * A response signature over the sign string with empty fields left out (`errcode40017`) or, when
 * the envelope has an empty field, with its name kept (`errcode40017request`); nothing else.
 */
function verifiesUnderEitherReading(fields: Readonly<Record<string, string>>, signature: string, key: KeyObject): boolean {
  if (rsaSha1Verify(signString(fields), signature, key)) return true;
  const hasEmptyField = Object.keys(fields).some((name) => name !== 'sign' && fields[name] === '');
  return hasEmptyField && rsaSha1Verify(signString(fields, true), signature, key);
}

/** Throws the typed error of a system errcode; returns for "0". */
export function throwForErrcode(errcode: string): void {
  if (errcode === '0') return;
  if (errcode === '-1' || errcode === '-10') throw new PlatformBusyError(errcode);
  if (errcode === '40017') throw new TokenInvalidError();
  throw new PlatformSystemError(errcode);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The root object of the business JSON; BusinessError when retcode ≠ "0". */
export function unwrapBusiness(json: unknown, rootKey: string): Record<string, unknown> {
  if (!isRecord(json)) throw new GarbledResponseError('response JSON is not an object');
  const root = json[rootKey];
  if (!isRecord(root)) throw new GarbledResponseError(`response JSON has no ${rootKey} object`);
  const retcode = root.retcode;
  if (typeof retcode !== 'string' && typeof retcode !== 'number') {
    throw new GarbledResponseError(`response ${rootKey} has no retcode`);
  }
  const code = String(retcode).trim();
  if (code !== '0') {
    const errmsg = typeof root.errmsg === 'string' ? root.errmsg : '';
    throw new BusinessError(code, errmsg);
  }
  return root;
}
