// A small Synjones client written for tests from ../shared/PROTOCOL.md alone, sharing no code with
// the gateway (lib/protocol, lib/platform) or the sandbox: proof that any client can use the sandbox.
import { createCipheriv, createDecipheriv, createSign, createVerify, type KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey } from 'node:crypto';

export interface ClientSecret {
  readonly app_key: string;
  readonly app_secret: string;
  readonly private_key: string;
  readonly platform_public_key: string;
  readonly bill_key?: string;
}

export interface Answer {
  readonly status: number;
  /** The envelope's errcode, or undefined when the body was not an envelope (a bill, plain text). */
  readonly errcode?: string;
  /** Which reading of an empty field the signature verified under. */
  readonly signedAs?: 'omitted' | 'named';
  /** The decrypted business JSON's root object. */
  readonly root?: Record<string, unknown>;
  readonly raw: Buffer;
  readonly fields?: Record<string, string>;
}

const ZERO_IV = Buffer.alloc(8);

/** "yyyy-MM-dd HH:mm:ss" in UTC+08:00, whatever the host's zone. */
export function chinaTimestamp(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export class ProtocolClient {
  private readonly key3des: Buffer;
  private readonly privateKey: KeyObject;
  private readonly platformKey: KeyObject;
  token = '0'.repeat(128);

  constructor(private readonly secret: ClientSecret, private readonly apiUrl: string, private readonly billUrl: string) {
    const raw = Buffer.from(secret.app_secret, 'base64');
    this.key3des = raw.length === 16 ? Buffer.concat([raw, raw.subarray(0, 8)]) : raw;
    this.privateKey = createPrivateKey(secret.private_key);
    this.platformKey = createPublicKey(secret.platform_public_key);
  }

  /** One signed, encrypted call; `at` sets the timestamp (default now). */
  async call(method: string, rootKey: string, body: object, options: { at?: Date; signal?: AbortSignal } = {}): Promise<Answer> {
    const cipher = createCipheriv('des-ede3-cbc', this.key3des, ZERO_IV);
    const request = Buffer.concat([cipher.update(JSON.stringify({ [rootKey]: body }), 'utf8'), cipher.final()]).toString('base64');
    const fields: Record<string, string> = {
      method,
      timestamp: chinaTimestamp(options.at ?? new Date()),
      format: 'json',
      app_key: this.secret.app_key,
      access_token: this.token,
      v: '2.0',
      sign_method: 'rsa',
      request,
    };
    const signString = Object.keys(fields)
      .sort()
      .map((name) => `${name}${fields[name]}`)
      .join('');
    fields.sign = createSign('RSA-SHA1').update(signString, 'utf8').sign(this.privateKey, 'base64');
    const form = Object.entries(fields)
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('&');
    const response = await fetch(method.endsWith('down.bill') ? this.billUrl : this.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: form,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const raw = Buffer.from(await response.arrayBuffer());
    return { status: response.status, raw, ...this.decode(raw, rootKey) };
  }

  /** The token call (access_token: 128 zeros); the new token replaces the old. */
  async fetchToken(): Promise<string> {
    this.token = '0'.repeat(128);
    const answer = await this.call('synjones.authorize.access_token', 'authorize_access_token', {});
    const token = answer.root?.access_token;
    if (typeof token !== 'string') throw new Error(`no token: errcode ${answer.errcode}`);
    this.token = token;
    return token;
  }

  /** Envelope → fields (a `+` turned into a space restored), signature checked, request decrypted. */
  private decode(raw: Buffer, rootKey: string): Omit<Answer, 'status' | 'raw'> {
    const text = raw.toString('utf8');
    if (!/^(\w+=[^&]*)(&\w+=[^&]*)*$/.test(text) || !/(^|&)errcode=/.test(text)) return {};
    const fields: Record<string, string> = {};
    for (const pair of text.split('&')) {
      const at = pair.indexOf('=');
      fields[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1)).replace(/ /g, '+');
    }
    const names = Object.keys(fields).filter((name) => name !== 'sign').sort();
    const omitted = names.filter((name) => fields[name] !== '').map((name) => `${name}${fields[name]}`).join('');
    const named = names.map((name) => `${name}${fields[name]}`).join('');
    const verify = (data: string): boolean =>
      createVerify('RSA-SHA1').update(data, 'utf8').verify(this.platformKey, Buffer.from(fields.sign ?? '', 'base64'));
    const signedAs = verify(omitted) ? 'omitted' : named !== omitted && verify(named) ? 'named' : undefined;
    if (!signedAs) return { errcode: fields.errcode, fields };
    const request = fields.request ?? '';
    if (request === '') return { errcode: fields.errcode, signedAs, fields };
    try {
      const decipher = createDecipheriv('des-ede3-cbc', this.key3des, ZERO_IV);
      const plain = Buffer.concat([decipher.update(Buffer.from(request, 'base64')), decipher.final()]).toString('utf8');
      const root = (JSON.parse(plain) as Record<string, Record<string, unknown>>)[rootKey];
      return { errcode: fields.errcode, signedAs, fields, ...(root ? { root } : {}) };
    } catch {
      return { errcode: fields.errcode, signedAs, fields };
    }
  }
}
