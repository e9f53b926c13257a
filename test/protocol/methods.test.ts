// The method catalogue: names and root keys, wire schemas with the spec's limits, and the
// tolerant response readers (spelling and type variants PROTOCOL.md lists).
import { describe, expect, it } from 'vitest';
import { GarbledResponseError } from '../../lib/protocol/errors.js';
import {
  METHODS,
  PayRequestSchema,
  QueryCardRequestSchema,
  RefundRequestSchema,
  readAccessToken,
  readCards,
  readMoneyMoved,
  readPayQueryResults,
  readTranamt,
} from '../../lib/protocol/methods.js';

describe('METHODS', () => {
  it('names the six methods and their root keys', () => {
    expect(Object.fromEntries(Object.entries(METHODS).map(([key, spec]) => [key, [spec.name, spec.rootKey]]))).toEqual({
      accessToken: ['synjones.authorize.access_token', 'authorize_access_token'],
      queryCard: ['synjones.onecard.query.card', 'query_card'],
      pay: ['synjones.onecard.gdccard.pay', 'gdccard_pay'],
      refund: ['synjones.onecard.gdccard.refund', 'gdccard_refund'],
      payQuery: ['synjones.onecard.pay.query', 'pay_query'],
      downBill: ['synjones.onecard.down.bill', 'down_bill'],
    });
    expect(METHODS.pay.movesMoney && METHODS.refund.movesMoney).toBe(true);
    expect(METHODS.downBill.billEndpoint).toBe(true);
  });
});

describe('request schemas', () => {
  const pay = { account: '32718', tranamt: '10.00', acctype: '###', mercacc: '100000', order_no: 'A-1_b' };
  it('accepts a spec-shaped pay body', () => {
    expect(PayRequestSchema.safeParse(pay).success).toBe(true);
    expect(PayRequestSchema.safeParse({ ...pay, remark: 'x'.repeat(128), attach: '', termid: '9999' }).success).toBe(true);
  });
  it.each([
    ['account too long', { account: '12345678901' }],
    ['tranamt not two decimals', { tranamt: '10' }],
    ['tranamt zero', { tranamt: '0.00' }],
    ['acctype too long', { acctype: '####' }],
    ['order_no too long', { order_no: 'x'.repeat(33) }],
    ['order_no bad characters', { order_no: 'a b' }],
    ['remark too long', { remark: 'x'.repeat(129) }],
    ['termid out of range', { termid: '10000' }],
    ['termid zero', { termid: '0' }],
    ['unknown field', { extra: '1' }],
  ])('rejects a pay body with %s', (_, change) => {
    expect(PayRequestSchema.safeParse({ ...pay, ...change }).success).toBe(false);
  });
  it('refund uses refund_order_no; query_card limits idtype and id', () => {
    expect(RefundRequestSchema.safeParse({ ...pay, refund_order_no: 'P1' }).success).toBe(true);
    expect(RefundRequestSchema.safeParse({ ...pay, reund_order_no: 'P1' }).success).toBe(false);
    expect(QueryCardRequestSchema.safeParse({ idtype: 'sno', id: '2015032718' }).success).toBe(true);
    expect(QueryCardRequestSchema.safeParse({ idtype: 'email', id: 'x' }).success).toBe(false);
    expect(QueryCardRequestSchema.safeParse({ idtype: 'sno', id: 'x'.repeat(33) }).success).toBe(false);
  });
});

describe('response readers', () => {
  it('expires_in as string or number', () => {
    expect(readAccessToken({ access_token: 'abc', expires_in: '3600' })).toEqual({ accessToken: 'abc', expiresInSeconds: 3600 });
    expect(readAccessToken({ access_token: 'abc', expires_in: 7200 })).toEqual({ accessToken: 'abc', expiresInSeconds: 7200 });
    expect(() => readAccessToken({ access_token: 'abc', expires_in: 'soon' })).toThrow(GarbledResponseError);
    expect(() => readAccessToken({ expires_in: 10 })).toThrow(GarbledResponseError);
  });

  it.each([
    ['10', 1000],
    ['10.5', 1050],
    ['100.0', 10000],
    [10.5, 1050],
    ['0.01', 1],
  ])('tranamt %j → %d fen', (tranamt, fen) => {
    expect(readTranamt({ tranamt }, 'x')).toBe(fen);
  });
  it('tranamt zero or absent is no amount; garbage is garbled', () => {
    expect(readTranamt({ tranamt: '0' }, 'x')).toBeUndefined();
    expect(readTranamt({}, 'x')).toBeUndefined();
    expect(() => readTranamt({ tranamt: '10.005' }, 'x')).toThrow(GarbledResponseError);
    expect(() => readTranamt({ tranamt: 'ten' }, 'x')).toThrow(GarbledResponseError);
  });

  it('card as an array or a single object', () => {
    expect(readCards({ card: [{ account: '7654', db_balance: '10000' }, { account: 7655 }] })).toEqual([
      { account: '7654', db_balance: '10000' },
      { account: '7655' },
    ]);
    expect(readCards({ card: { account: '1' } })).toEqual([{ account: '1' }]);
    expect(readCards({})).toEqual([]);
    expect(() => readCards({ card: [{ name: 'x' }] })).toThrow(GarbledResponseError);
  });

  it('refund_order_no or the misspelt reund_order_no', () => {
    expect(readMoneyMoved({ out_id: '9', tranamt: '10', refund_order_no: 'P1' }, 'gdccard_refund')).toEqual({
      outId: '9', amountFen: 1000, refundOrderNo: 'P1',
    });
    expect(readMoneyMoved({ out_id: 9, reund_order_no: 'P2' }, 'gdccard_refund')).toEqual({ outId: '9', refundOrderNo: 'P2' });
    expect(() => readMoneyMoved({ tranamt: '10' }, 'gdccard_pay')).toThrow(GarbledResponseError);
  });

  it('pay_querys or pay_queries, matched by order_no or position', () => {
    const requested = [
      { account: '98', acctype: '###', orderNo: 'A' },
      { account: '99', acctype: '###', orderNo: 'B' },
    ];
    const item = (orderNo: string, status: string) => ({
      account: '98', acctype: '###', order_no: orderNo, out_id: 'o', tranamt: '100.0', order_status: status, order_desc: '', retcode: '0', errmsg: '操作成功',
    });
    const expected = {
      orderNo: 'A', account: '98', acctype: '###', amountFen: 10000, outId: 'o', orderStatus: '60', retcode: '0', errmsg: '操作成功',
    };
    expect(readPayQueryResults({ pay_querys: [item('A', '60')] }, requested)).toEqual([expected]);
    expect(readPayQueryResults({ pay_queries: [item('A', '60')] }, requested)).toEqual([expected]);
    expect(readPayQueryResults({ pay_queries: item('A', '60') }, requested)).toEqual([expected]);
    const positional = readPayQueryResults(
      { pay_querys: [{ order_status: 20 }, { order_status: '78', tranamt: '0' }] },
      requested,
    );
    expect(positional).toEqual([
      { orderNo: 'A', account: '98', acctype: '###', orderStatus: '20' },
      { orderNo: 'B', account: '99', acctype: '###', orderStatus: '78' },
    ]);
    expect(readPayQueryResults({ pay_querys: [{ order_no: 'B', retcode: '60024', errmsg: 'no' }] }, requested)).toEqual([
      { orderNo: 'B', account: '99', acctype: '###', orderStatus: '', retcode: '60024', errmsg: 'no' },
    ]);
    expect(() => readPayQueryResults({}, requested)).toThrow(GarbledResponseError);
    expect(() => readPayQueryResults({ pay_querys: [{ order_no: 'A', retcode: '0' }] }, requested)).toThrow(GarbledResponseError);
  });
});
