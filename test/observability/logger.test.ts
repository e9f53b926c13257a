// Logs are JSON lines with secrets removed and phone/cert numbers masked, wherever they appear,
// and every line can be captured through the sink hook.
import { afterEach, describe, expect, it } from 'vitest';
import { getLogger, setLogSink, withLogSink } from '../../lib/observability/logger.js';
import { maskPhone, maskTail, redact } from '../../lib/observability/redaction.js';

/** A PEM header, built so that no file holds what looks like key material. */
const PEM_BEGIN = `-----BEGIN ${'PRIVATE'} KEY-----`;

afterEach(() => setLogSink(undefined));

describe('redact', () => {
  it('removes secrets by key name at any depth', () => {
    const out = redact({
      pwd: '123456',
      nested: { private_key: `${PEM_BEGIN}abc`, app_secret: 'c2VjcmV0', list: [{ access_token: 'tok' }] },
      token: 'abc',
      bill_key: 'a2V5',
      Authorization: 'Bearer x',
      account: '32718',
    }) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const secret of ['123456', 'BEGIN PRIVATE', 'c2VjcmV0', '"tok"', '"abc"', 'a2V5', 'Bearer']) expect(text).not.toContain(secret);
    expect(out.account).toBe('32718');
  });

  it('masks phone (first 3, last 4) and cert numbers (last 4) by key', () => {
    expect(redact({ phone: '13800000001', cert: '110101199001010011', bankacc: '6222021234567890' })).toEqual({
      phone: '138****0001',
      cert: '**************0011',
      bankacc: '************7890',
    });
  });

  it('masks ID and mobile numbers and PEM blocks inside any string', () => {
    const text = JSON.stringify(
      redact({ message: `id 110101199001010011 phone 13800000001 key -----BEGIN RSA ${'PRIVATE'} KEY-----\nMIIE\n-----END RSA ${'PRIVATE'} KEY----- end` }),
    );
    expect(text).not.toContain('110101199001010011');
    expect(text).not.toContain('13800000001');
    expect(text).not.toContain('MIIE');
    expect(text).toContain('0011');
    expect(text).toContain('138****0001');
  });

  it.each(['+8613812345678', '86 13812345678', '0086-13812345678', '请联系+8613812345678。'])('masks a mobile number written with a country prefix: %s', (written) => {
    const text = JSON.stringify(redact({ errmsg: written }));
    expect(text).not.toContain('13812345678');
    expect(text).toContain('138****5678');
  });

  it('leaves short numbers (accounts, amounts, serials of other lengths) alone', () => {
    expect(redact({ account: '32718', tranamt: '10.50', out_id: '2026112700010001' })).toEqual({
      account: '32718',
      tranamt: '10.50',
      out_id: '2026112700010001',
    });
  });

  it('keeps platform serials (out_id) readable, though they look like ID numbers', () => {
    expect(redact({ out_id: '202611270001000001', outId: '202611270001000001', note: 'serial 202611270001000001' })).toEqual({
      out_id: '202611270001000001',
      outId: '202611270001000001',
      note: 'serial **************0001',
    });
  });

  it('mask helpers', () => {
    expect(maskPhone('13800000001')).toBe('138****0001');
    expect(maskPhone('1234')).toBe('****');
    expect(maskTail('12345678')).toBe('****5678');
    expect(maskTail('123')).toBe('***');
  });
});

describe('logger and sink', () => {
  it('writes one redacted JSON document per line to the global sink', () => {
    const lines: string[] = [];
    setLogSink((line) => lines.push(line));
    getLogger().info('query', { body: { idtype: 'phone', id: '13800000001', pwd: '654321' }, cert: '110101199001010011' });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry.message).toBe('query');
    expect(lines[0]).not.toContain('654321');
    expect(lines[0]).not.toContain('13800000001');
    expect(lines[0]).not.toContain('110101199001010011');
  });

  it('a scoped sink wins over the global one for work run inside it, across awaits', async () => {
    const global: string[] = [];
    const scoped: string[] = [];
    setLogSink((line) => global.push(line));
    await withLogSink(
      (line) => scoped.push(line),
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        getLogger().warn('inside');
      },
    );
    getLogger().info('outside');
    expect(scoped.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['inside']);
    expect(global.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['outside']);
  });
});

describe('request ids', () => {
  it('are masked like any identifier: a client-chosen id that is a mobile or ID number is not logged as sent', () => {
    const out = redact({ request_id: '13812345678', nested: { requestId: '110101199001010011' } }) as { request_id: string; nested: { requestId: string } };
    expect(out.request_id).toBe('138****5678');
    expect(out.nested.requestId).toBe('**************0011');
    // API Gateway's and the gateway's own ids (UUIDs) are left as they are.
    expect(redact({ request_id: 'c0ffee-1' })).toEqual({ request_id: 'c0ffee-1' });
    expect(redact({ request_id: '0f8fad5b-d9cb-469f-a165-70867728950e' })).toEqual({ request_id: '0f8fad5b-d9cb-469f-a165-70867728950e' });
  });
});

