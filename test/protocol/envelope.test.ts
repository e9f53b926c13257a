// Request building and response decoding against a second, independent platform-side
// implementation (fake-platform.ts) and node-forge.
import { createSign, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BusinessError,
  GarbledResponseError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import {
  INITIAL_ACCESS_TOKEN,
  buildRequest,
  decodeEnvelope,
  signString,
  throwForErrcode,
  unwrapBusiness,
} from '../../lib/protocol/envelope.js';
import { testKeyPair } from '../support/keys.js';
import { platformResponse, readClientRequest } from './fake-platform.js';
import { forgeRsaSha1Verify } from './forge-reference.js';

const client = testKeyPair('envelope-client');
const platform = testKeyPair('envelope-platform');
const tripleDesKey = randomBytes(24);
const decodeOptions = { tripleDesKey, platformPublicKey: platform.publicKey, httpStatus: 200 };

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('signString', () => {
  it('sorts by name, concatenates name+value, drops sign and empty values', () => {
    expect(signString({ v: '2.0', sign: 'zzz', app_key: 'k', access_token: 't', format: '', method: 'm' })).toBe(
      'access_tokentapp_keykmethodmv2.0',
    );
  });

  it('is independent of the object’s key order (property)', () => {
    const fields = fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.string({ maxLength: 20 }), { maxKeys: 12 });
    fc.assert(
      fc.property(fields, fc.integer(), (record, seed) => {
        const entries = Object.entries(record);
        const shuffled = [...entries].sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? 1 : -1));
        const reversed = [...entries].reverse();
        const a = signString(Object.fromEntries(entries));
        expect(signString(Object.fromEntries(shuffled))).toBe(a);
        expect(signString(Object.fromEntries(reversed))).toBe(a);
      }),
    );
  });

  it('uses byte order of names', () => {
    expect(signString({ b: '1', B: '2', a_: '3', a: '4' })).toBe('B2a4a_3b1');
  });
});

describe('buildRequest', () => {
  const at = new Date('2026-11-25T16:00:05Z');
  const built = buildRequest({
    method: 'synjones.onecard.gdccard.pay',
    rootKey: 'gdccard_pay',
    body: { account: '32718', tranamt: '10.00', order_no: 'A+B/C=D&E 中' },
    appKey: 'app-1',
    accessToken: 'tok+en/=',
    privateKey: client.privateKey,
    tripleDesKey,
    at,
  });

  it('sends all nine fields with a China-time timestamp computed once', () => {
    const fields = Object.fromEntries(new URLSearchParams(built.body));
    expect(Object.keys(fields).sort()).toEqual(
      ['access_token', 'app_key', 'format', 'method', 'request', 'sign', 'sign_method', 'timestamp', 'v'].sort(),
    );
    expect(fields).toEqual(built.fields);
    expect(fields.timestamp).toBe('2026-11-26 00:00:05');
    expect(fields.format).toBe('json');
    expect(fields.v).toBe('2.0');
    expect(fields.sign_method).toBe('rsa');
    expect(built.body).not.toMatch(/[+ ]/); // everything percent-encoded
  });

  it('is signed over the sorted raw values and encrypted as the platform expects', () => {
    const decoded = readClientRequest(built.body, tripleDesKey, client.publicKey);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.json).toEqual({ gdccard_pay: { account: '32718', tranamt: '10.00', order_no: 'A+B/C=D&E 中' } });
    expect(forgeRsaSha1Verify(signString(built.fields), built.fields.sign ?? '', client.publicPem)).toBe(true);
  });

  it('uses 128 zeros as the first access token', () => {
    expect(INITIAL_ACCESS_TOKEN).toMatch(/^0{128}$/);
  });
});

describe('decodeEnvelope', () => {
  const json = { gdccard_pay: { retcode: '0', errmsg: '', out_id: '2016', tranamt: '10' } };

  it('decodes, verifies and decrypts in any field order', () => {
    for (const order of [
      ['errcode', 'request', 'sign'],
      ['sign', 'errcode', 'request'],
      ['request', 'sign', 'errcode'],
    ]) {
      const { body } = platformResponse({ errcode: '0', json, tripleDesKey, platformPrivateKey: platform.privateKey, order });
      expect(decodeEnvelope(body, decodeOptions)).toEqual({ errcode: '0', json });
    }
  });

  it('restores + turned into a space in base64 values', () => {
    // Find a response whose request and sign both contain '+', so the tolerance is exercised.
    let found = 0;
    for (let i = 0; i < 200 && found < 3; i += 1) {
      const message = { gdccard_pay: { ...json.gdccard_pay, out_id: String(i) } };
      const response = platformResponse({
        errcode: '0', json: message, tripleDesKey, platformPrivateKey: platform.privateKey, plusAsSpace: true,
      });
      if (!response.fields.request?.includes('+') || !response.fields.sign?.includes('+')) continue;
      found += 1;
      expect(new URLSearchParams(response.body.toString()).get('sign')).toContain(' ');
      expect(decodeEnvelope(response.body, decodeOptions)).toEqual({ errcode: '0', json: message });
      const spaced = Buffer.from(response.body.toString().replace(/\+/g, '%20'));
      expect(decodeEnvelope(spaced, decodeOptions)).toEqual({ errcode: '0', json: message });
    }
    expect(found).toBe(3);
  });

  it('rejects any tampered byte of a signed envelope unless it decodes to the same fields (property)', () => {
    const { body, fields } = platformResponse({ errcode: '0', json, tripleDesKey, platformPrivateKey: platform.privateKey });
    const text = body.toString('latin1');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=%&_ -'.split('');
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.constantFrom(...alphabet), (index, replacement) => {
        fc.pre(text[index] !== replacement);
        const tampered = Buffer.from(text.slice(0, index) + replacement + text.slice(index + 1), 'latin1');
        let result: unknown;
        try {
          result = decodeEnvelope(tampered, decodeOptions);
        } catch (error) {
          expect(error).toSatisfy(
            (e: unknown) =>
              e instanceof SignatureMismatchError || e instanceof GarbledResponseError || e instanceof UpstreamTextError,
          );
          return;
        }
        // Only an encoding-level no-op (e.g. %2B → %2b, + ⇄ space in base64) may pass.
        expect(result).toEqual({ errcode: fields.errcode, json });
        const decoded = Object.fromEntries(new URLSearchParams(tampered.toString('latin1')));
        for (const name of ['request', 'sign']) decoded[name] = decoded[name]?.replace(/ /g, '+') ?? '';
        expect(decoded).toEqual(fields);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects any change to any decoded field value (property)', () => {
    const { fields } = platformResponse({ errcode: '0', json, tripleDesKey, platformPrivateKey: platform.privateKey });
    fc.assert(
      fc.property(
        fc.constantFrom('errcode', 'request', 'sign'),
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-'.split('')),
        (name, position, replacement) => {
          const value = fields[name] ?? '';
          const index = position % value.length;
          fc.pre(value[index] !== replacement);
          const changed = { ...fields, [name]: value.slice(0, index) + replacement + value.slice(index + 1) };
          const body = Buffer.from(new URLSearchParams(changed).toString());
          expect(() => decodeEnvelope(body, decodeOptions)).toThrow();
          const error = thrown(() => decodeEnvelope(body, decodeOptions));
          expect(error instanceof SignatureMismatchError || error instanceof GarbledResponseError).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects an unsigned envelope or another key’s signature when a platform key is configured', () => {
    const unsigned = platformResponse({ errcode: '0', json, tripleDesKey });
    expect(thrown(() => decodeEnvelope(unsigned.body, decodeOptions))).toBeInstanceOf(SignatureMismatchError);
    expect(decodeEnvelope(unsigned.body, { tripleDesKey, httpStatus: 200 })).toEqual({ errcode: '0', json });
    const other = platformResponse({ errcode: '0', json, tripleDesKey, platformPrivateKey: client.privateKey });
    expect(thrown(() => decodeEnvelope(other.body, decodeOptions))).toBeInstanceOf(SignatureMismatchError);
  });

  it('on errcode ≠ 0 accepts an absent or empty request', () => {
    const absent = platformResponse({ errcode: '40017', tripleDesKey, platformPrivateKey: platform.privateKey });
    expect(decodeEnvelope(absent.body, decodeOptions)).toEqual({ errcode: '40017' });
    const empty = platformResponse({ errcode: '-1', rawRequest: '', tripleDesKey, platformPrivateKey: platform.privateKey });
    expect(decodeEnvelope(empty.body, decodeOptions)).toEqual({ errcode: '-1' });
  });

  it('verifies an empty field under both readings (left out or name kept), and under nothing else', () => {
    const signedOver = (data: string): string => createSign('RSA-SHA1').update(data, 'utf8').sign(platform.privateKey, 'base64');
    const body = (sign: string): Buffer => Buffer.from(`errcode=40017&request=&sign=${encodeURIComponent(sign)}`);
    expect(decodeEnvelope(body(signedOver('errcode40017')), decodeOptions)).toEqual({ errcode: '40017' });
    expect(decodeEnvelope(body(signedOver('errcode40017request')), decodeOptions)).toEqual({ errcode: '40017' });
    for (const wrong of ['errcode40017request=', 'requesterrcode40017', 'errcode=40017&request=', 'errcode40017sign', '']) {
      expect(thrown(() => decodeEnvelope(body(signedOver(wrong)), decodeOptions))).toBeInstanceOf(SignatureMismatchError);
    }
    // With request absent there is no empty field, so the name-kept reading does not apply.
    const absent = Buffer.from(`errcode=40017&sign=${encodeURIComponent(signedOver('errcode40017request'))}`);
    expect(thrown(() => decodeEnvelope(absent, decodeOptions))).toBeInstanceOf(SignatureMismatchError);
    expect(signString({ errcode: '40017', request: '', sign: 'x' }, true)).toBe('errcode40017request');
  });

  it('garbled envelopes: errcode 0 without request, undecryptable request, non-JSON, duplicate field', () => {
    const cases = [
      platformResponse({ errcode: '0', tripleDesKey, platformPrivateKey: platform.privateKey }).body,
      platformResponse({ errcode: '0', rawRequest: 'AAAAAAAAAAA=', tripleDesKey, platformPrivateKey: platform.privateKey }).body,
      platformResponse({ errcode: '0', rawRequest: '%%%', tripleDesKey, platformPrivateKey: platform.privateKey }).body,
      Buffer.from('errcode=0&request=%E0%A4%A&sign=x'),
      Buffer.from('errcode=0&errcode=0'),
      Buffer.from('errcode=zero'),
    ];
    for (const body of cases) {
      expect(thrown(() => decodeEnvelope(body, { tripleDesKey, httpStatus: 200 }))).toBeInstanceOf(GarbledResponseError);
    }
    const notJson = platformResponse({ errcode: '0', json: 'x', tripleDesKey }).fields.request ?? '';
    const raw = Buffer.from(`errcode=0&request=${encodeURIComponent(notJson.replace(/^.{4}/, 'AAAA'))}`);
    expect(thrown(() => decodeEnvelope(raw, { tripleDesKey, httpStatus: 200 }))).toBeInstanceOf(GarbledResponseError);
  });

  it('surfaces a GBK plain-text body as UpstreamTextError with its text', () => {
    const gbk = Buffer.from([0xc7, 0xa9, 0xc3, 0xfb, 0xb4, 0xed, 0xce, 0xf3]);
    const error = thrown(() => decodeEnvelope(gbk, decodeOptions));
    expect(error).toBeInstanceOf(UpstreamTextError);
    expect((error as UpstreamTextError).text).toBe('签名错误');
    expect((error as UpstreamTextError).httpStatus).toBe(200);
    expect((error as UpstreamTextError).delivery).toBe('UNKNOWN');
  });

  it('surfaces UTF-8 text and HTML error pages as UpstreamTextError', () => {
    const utf8 = thrown(() => decodeEnvelope(Buffer.from('签名错误\n', 'utf8'), decodeOptions));
    expect((utf8 as UpstreamTextError).text).toBe('签名错误');
    const html = thrown(() => decodeEnvelope(Buffer.from('<html>502 Bad Gateway</html>'), { ...decodeOptions, httpStatus: 502 }));
    expect(html).toBeInstanceOf(UpstreamTextError);
    expect((html as UpstreamTextError).httpStatus).toBe(502);
    expect(thrown(() => decodeEnvelope(Buffer.from('error=1&msg=x'), decodeOptions))).toBeInstanceOf(UpstreamTextError);
    expect(thrown(() => decodeEnvelope(Buffer.alloc(0), decodeOptions))).toBeInstanceOf(GarbledResponseError);
  });
});

describe('throwForErrcode', () => {
  it('maps system errcodes to typed errors', () => {
    expect(() => throwForErrcode('0')).not.toThrow();
    expect(thrown(() => throwForErrcode('-1'))).toBeInstanceOf(PlatformBusyError);
    expect(thrown(() => throwForErrcode('-10'))).toBeInstanceOf(PlatformBusyError);
    expect(thrown(() => throwForErrcode('40017'))).toBeInstanceOf(TokenInvalidError);
    const system = thrown(() => throwForErrcode('40004')) as PlatformSystemError;
    expect(system).toBeInstanceOf(PlatformSystemError);
    expect(system).not.toBeInstanceOf(TokenInvalidError);
    expect(system.errcode).toBe('40004');
    expect(system.code).toBe('UPSTREAM_40004');
    expect(system.delivery).toBe('REJECTED');
    expect((thrown(() => throwForErrcode('-2')) as PlatformSystemError).errcode).toBe('-2');
  });
});

describe('unwrapBusiness', () => {
  it('returns the root object when retcode is "0" (string or number)', () => {
    expect(unwrapBusiness({ pay_query: { retcode: '0', x: 1 } }, 'pay_query')).toEqual({ retcode: '0', x: 1 });
    expect(unwrapBusiness({ pay_query: { retcode: 0 } }, 'pay_query')).toEqual({ retcode: 0 });
  });
  it('throws BusinessError with retcode and errmsg', () => {
    const error = thrown(() => unwrapBusiness({ gdccard_pay: { retcode: '60010', errmsg: '余额不足' } }, 'gdccard_pay'));
    expect(error).toBeInstanceOf(BusinessError);
    expect((error as BusinessError).retcode).toBe('60010');
    expect((error as BusinessError).message).toBe('余额不足');
    expect((error as BusinessError).delivery).toBe('REJECTED');
  });
  it('throws GarbledResponseError for a missing root or retcode', () => {
    expect(thrown(() => unwrapBusiness({ other: {} }, 'gdccard_pay'))).toBeInstanceOf(GarbledResponseError);
    expect(thrown(() => unwrapBusiness({ gdccard_pay: {} }, 'gdccard_pay'))).toBeInstanceOf(GarbledResponseError);
    expect(thrown(() => unwrapBusiness(undefined, 'gdccard_pay'))).toBeInstanceOf(GarbledResponseError);
    expect(thrown(() => unwrapBusiness([], 'gdccard_pay'))).toBeInstanceOf(GarbledResponseError);
  });
});
