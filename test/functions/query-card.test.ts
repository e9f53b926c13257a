// functions/query-card.ts: every platform field plus yuan balances; refusals 422; a bad
// signature is a 502 with no card data; logs never hold pwd, phone or cert in full.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/query-card.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const query = (body: unknown) => handler(apiEvent({ resource: '/v1/cards/query', body }), lambdaContext());

describe('POST /v1/cards/query', () => {
  it('returns every card with the platform fields and yuan balances', async () => {
    const result = await query({ idtype: 'sno', id: '2015032718' });
    expect(result.statusCode).toBe(200);
    const { cards } = json(result);
    expect(cards).toHaveLength(2);
    expect(cards[0]).toMatchObject({ account: '32718', db_balance: '100000', db_balance_yuan: '1000.00', unsettle_amount_yuan: '1.00' });
    expect(cards[0].cert).toBe('110101199001010011');
    expect(cards[0].phone).toBe('13800000001');
  });

  it('get_merge adds merge_flag', async () => {
    const { cards } = json(await query({ idtype: 'acc', id: '32719', get_merge: true }));
    expect(cards[0]).toHaveProperty('merge_flag');
  });

  it('422 with the business retcode for a wrong pwd', async () => {
    const result = await query({ idtype: 'sno', id: '2015032718', pwd: '000000' });
    expect(result.statusCode).toBe(422);
    expect(json(result).error.code).toBe('60005');
  });

  it('502 UPSTREAM_BAD_SIGNATURE without data when the answer does not verify', async () => {
    harness.sandbox.faults.inject({ type: 'badSignature' }, { methods: ['synjones.onecard.query.card'] });
    const result = await query({ idtype: 'phone', id: '13800000001' });
    expect(result.statusCode).toBe(502);
    expect(json(result)).toEqual({ error: expect.objectContaining({ code: 'UPSTREAM_BAD_SIGNATURE' }) });
  });

  it('502 with the text of a GBK answer', async () => {
    harness.sandbox.faults.inject({ type: 'gbkText', text: '签名错误' }, { methods: ['synjones.onecard.query.card'] });
    const result = await query({ idtype: 'sno', id: '2015032719' });
    expect(result.statusCode).toBe(502);
    expect(json(result).error).toMatchObject({ code: 'UPSTREAM_TEXT' });
    expect(json(result).error.message).toContain('签名错误');
  });

  it('logs hold no pwd, full phone or full cert', async () => {
    await query({ idtype: 'id', id: '110101199001010011', pwd: '123456' });
    const text = harness.logs.join('\n');
    expect(text).not.toContain('110101199001010011');
    expect(text).not.toContain('13800000001');
    expect(text).not.toContain(harness.sandbox.secret.app_secret);
    expect(text).not.toMatch(/"pwd":"[^[]/);
  });
});
