// Proves the sandbox's business rules: card query, payments (idempotent per order_no), refunds,
// pay.query statuses and the daily bill in both crypt types.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptBill, parseBill } from '../../lib/protocol/bill.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { DEMO_ACCOUNTS } from '../../lib/sandbox/index.js';
import {
  issueSandboxToken,
  manualClock,
  sandboxCall,
  startTestSandbox,
  type RawCallResult,
  type TestSandbox,
} from '../support/sandbox.js';

// 2026-11-26 10:00 China time.
const clock = manualClock(new Date('2026-11-26T02:00:00.000Z'));
const today = '20261126';
let sandbox: TestSandbox;
let token: string;
let serial = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: clock.now });
  token = await issueSandboxToken(sandbox, clock.now());
});
afterAll(async () => sandbox.close());

function call(method: Parameters<typeof sandboxCall>[1], body: object): Promise<RawCallResult> {
  return sandboxCall(sandbox, method, body, { accessToken: token, at: clock.now() });
}

function nextOrderNo(): string {
  serial += 1;
  return `T${Date.now().toString(36)}${serial}`;
}

function payment(orderNo: string, tranamt: string | number = '10.00', account = '32719'): Record<string, unknown> {
  return { account, tranamt, acctype: '###', mercacc: '100000', order_no: orderNo, remark: '', attach: 'a,b' };
}

describe('query.card', () => {
  it('returns every card of an identity with balances as fen strings', async () => {
    const { root } = await call('queryCard', { idtype: 'sno', id: '2015032718' });
    expect(root?.retcode).toBe('0');
    const cards = root?.card as Array<Record<string, unknown>>;
    expect(cards.map((c) => c.account)).toEqual(['32718', '32723']);
    expect(cards[0]).toMatchObject({ name: '张三', db_balance: String(sandbox.state.balanceFen('32718')), unsettle_amount: '100', lostflag: '0' });
    expect(cards[0]?.merge_flag).toBeUndefined();
  });

  it('finds by every idtype, adds merge_flag when asked', async () => {
    for (const [idtype, id] of [['acc', '32719'], ['phone', '13800000002'], ['cardid', '00032719'], ['id', '110101199001010011'], ['barcode', '6200032718']]) {
      const { root } = await call('queryCard', { idtype, id, get_merge: '1' });
      expect(root?.retcode, `${idtype}`).toBe('0');
      expect((root?.card as Array<Record<string, unknown>>)[0]?.merge_flag).toBe('0');
    }
  });

  it("takes the holder's query password for every card of the holder (README's demo: 张三 by sno with 123456)", async () => {
    const both = await call('queryCard', { idtype: 'sno', id: '2015032718', pwd: '123456' });
    expect(both.root?.retcode).toBe('0');
    expect((both.root?.card as Array<Record<string, unknown>>).map((card) => card.account)).toEqual(['32718', '32723']);
    expect((await call('queryCard', { idtype: 'acc', id: '32723', pwd: '123456' })).root?.retcode).toBe('0');
    expect((await call('queryCard', { idtype: 'sno', id: '2015032718', pwd: '000000' })).root?.retcode).toBe('60005');
    expect((await call('queryCard', { idtype: 'acc', id: '32723', pwd: '000000' })).root?.retcode).toBe('60005');
  });

  it('checks pwd when given (60005) and refuses unknown identities', async () => {
    expect((await call('queryCard', { idtype: 'sno', id: '2015032719', pwd: '000000' })).root?.retcode).toBe('0');
    expect((await call('queryCard', { idtype: 'sno', id: '2015032719', pwd: '999999' })).root?.retcode).toBe('60005');
    expect((await call('queryCard', { idtype: 'sno', id: '2015039999' })).root?.retcode).toBe('60004');
    expect((await call('queryCard', { idtype: 'acc', id: '99999' })).root?.retcode).toBe('60003');
    expect((await call('queryCard', { idtype: 'email', id: 'x' })).root?.retcode).toBe('60002');
  });
});

describe('pay', () => {
  beforeEach(() => sandbox.state.setBalance('32719', 5_000));

  it('debits the account and answers with an out_id', async () => {
    const orderNo = nextOrderNo();
    const { envelope, root } = await call('pay', payment(orderNo, '10.5'));
    expect(envelope?.errcode).toBe('0');
    expect(root).toMatchObject({ retcode: '0', account: '32719', tranamt: '10.5', acctype: '###', mercacc: '100000', order_no: orderNo });
    expect(root?.out_id).toMatch(/^20261126\d{10}$/);
    expect(sandbox.state.balanceFen('32719')).toBe(5_000 - 1_050);
    expect(sandbox.state.order(orderNo)).toMatchObject({ type: 'PAYMENT', status: '60', amountFen: 1_050, outId: root?.out_id });
  });

  it('accepts tranamt as a JSON number', async () => {
    const { root } = await call('pay', payment(nextOrderNo(), 0.01));
    expect(root?.retcode).toBe('0');
    expect(sandbox.state.balanceFen('32719')).toBe(4_999);
  });

  it('is idempotent per order_no: an identical replay returns the original out_id and debits once', async () => {
    const orderNo = nextOrderNo();
    const first = await call('pay', payment(orderNo));
    const second = await call('pay', payment(orderNo));
    expect(second.root).toEqual(first.root);
    expect(sandbox.state.balanceFen('32719')).toBe(4_000);
    expect(sandbox.state.payments.filter((p) => p.orderNo === orderNo)).toHaveLength(1);
  });

  it('refuses a reused order_no with different parameters (60045) and moves nothing', async () => {
    const orderNo = nextOrderNo();
    await call('pay', payment(orderNo));
    const { root } = await call('pay', payment(orderNo, '11.00'));
    expect(root?.retcode).toBe('60045');
    expect(sandbox.state.balanceFen('32719')).toBe(4_000);
    expect(sandbox.state.order(orderNo)?.amountFen).toBe(1_000);
  });

  it('refuses insufficient balance with 60010, records a failed order, replays the failure', async () => {
    const orderNo = nextOrderNo();
    const { root } = await call('pay', payment(orderNo, '50.01'));
    expect(root?.retcode).toBe('60010');
    expect(root?.out_id).toBeUndefined();
    expect(sandbox.state.balanceFen('32719')).toBe(5_000);
    expect(sandbox.state.order(orderNo)).toMatchObject({ status: '77', retcode: '60010' });
    expect((await call('pay', payment(orderNo, '50.01'))).root?.retcode).toBe('60010');
  });

  it('refuses unknown, lost and frozen accounts and unknown e-accounts', async () => {
    expect((await call('pay', payment(nextOrderNo(), '1.00', '99999'))).root?.retcode).toBe('60003');
    expect((await call('pay', payment(nextOrderNo(), '1.00', '32721'))).root?.retcode).toBe('60007');
    expect((await call('pay', payment(nextOrderNo(), '1.00', '32722'))).root?.retcode).toBe('60013');
    expect((await call('pay', { ...payment(nextOrderNo()), acctype: '009' })).root?.retcode).toBe('60006');
  });

  it('debits an e-account for its acctype', async () => {
    const before = sandbox.state.balanceFen('32718', '001');
    const { root } = await call('pay', { ...payment(nextOrderNo(), '1.00', '32718'), acctype: '001' });
    expect(root?.retcode).toBe('0');
    expect(sandbox.state.balanceFen('32718', '001')).toBe(before - 100);
  });

  it.each([
    ['three decimals', { tranamt: '1.001' }],
    ['zero', { tranamt: '0' }],
    ['negative', { tranamt: '-1.00' }],
    ['exponent', { tranamt: '1e2' }],
    ['a long account', { account: '12345678901' }],
    ['a long order_no', { order_no: 'x'.repeat(33) }],
    ['no mercacc', { mercacc: '' }],
    ['termid out of range', { termid: 10000 }],
    ['a numeric account', { account: 32719 }],
  ])('refuses %s with 60002', async (_name, change) => {
    const { root } = await call('pay', { ...payment(nextOrderNo()), ...change });
    expect(root?.retcode).toBe('60002');
    expect(sandbox.state.balanceFen('32719')).toBe(5_000);
  });
});

describe('paidReplay 60070', () => {
  it('answers an identical replay of a paid order with 60070 and the original out_id', async () => {
    const local = await startTestSandbox({ paidReplay: '60070' });
    try {
      const localToken = await issueSandboxToken(local);
      const body = payment('R1', '1.00');
      const first = await sandboxCall(local, 'pay', body, { accessToken: localToken });
      const second = await sandboxCall(local, 'pay', body, { accessToken: localToken });
      expect(first.root?.retcode).toBe('0');
      expect(second.root).toMatchObject({ retcode: '60070', out_id: first.root?.out_id });
      expect(local.state.balanceFen('32719')).toBe(4_900);
    } finally {
      await local.close();
    }
  });
});

describe('refund', () => {
  let original: string;
  beforeAll(async () => {
    sandbox.state.setBalance('32719', 5_000);
    original = nextOrderNo();
    await call('pay', payment(original, '20.00'));
  });

  function refundOf(orderNo: string, tranamt: string, key = 'refund_order_no'): Record<string, unknown> {
    return { account: '32719', tranamt, acctype: '###', mercacc: '100000', order_no: orderNo, [key]: original };
  }

  it('credits back partial refunds, accepts reund_order_no, and refuses exceeding the payment', async () => {
    const first = nextOrderNo();
    const r1 = await call('refund', refundOf(first, '5.00'));
    expect(r1.root).toMatchObject({ retcode: '0', refund_order_no: original, order_no: first });
    expect(r1.root?.out_id).toMatch(/^\d{18}$/);
    expect(sandbox.state.balanceFen('32719')).toBe(3_500);

    const r2 = await call('refund', refundOf(nextOrderNo(), '15.00', 'reund_order_no'));
    expect(r2.root).toMatchObject({ retcode: '0', reund_order_no: original });
    expect(sandbox.state.balanceFen('32719')).toBe(5_000);
    expect(sandbox.state.order(original)).toMatchObject({ refundedFen: 2_000, status: '80' });

    const r3 = await call('refund', refundOf(nextOrderNo(), '0.01'));
    expect(r3.root?.retcode).toBe('60002');
    expect(sandbox.state.balanceFen('32719')).toBe(5_000);

    const replay = await call('refund', refundOf(first, '5.00'));
    expect(replay.root).toEqual(r1.root);
    expect(sandbox.state.refunds.filter((r) => r.refundOrderNo === original && r.status === '60')).toHaveLength(2);
  });

  it('needs an existing paid original', async () => {
    const missing = await call('refund', { ...refundOf(nextOrderNo(), '1.00'), refund_order_no: 'NOPE' });
    expect(missing.root?.retcode).toBe('60073');
    const failed = nextOrderNo();
    await call('pay', payment(failed, '999.00'));
    const ofFailed = await call('refund', { ...refundOf(nextOrderNo(), '1.00'), refund_order_no: failed });
    expect(ofFailed.root?.retcode).toBe('60069');
    const withoutOriginal = await call('refund', { account: '32719', tranamt: '1.00', acctype: '###', mercacc: '100000', order_no: nextOrderNo() });
    expect(withoutOriginal.root?.retcode).toBe('60002');
  });
});

describe('pay.query', () => {
  it('answers per item with order_status 60/77/78/80 under pay_querys', async () => {
    sandbox.state.setBalance('32719', 50_000);
    const [paid, failed, refunded, refundNo] = [nextOrderNo(), nextOrderNo(), nextOrderNo(), nextOrderNo()];
    await call('pay', payment(paid, '100.00'));
    await call('pay', payment(failed, '1000.00'));
    await call('pay', payment(refunded, '1.00'));
    await call('refund', { account: '32719', tranamt: '1.00', acctype: '###', mercacc: '100000', order_no: refundNo, refund_order_no: refunded });
    const item = (orderNo: string): Record<string, string> => ({ account: '32719', acctype: '###', order_no: orderNo });
    const { root } = await call('payQuery', { pay_queries: [item(paid), item(failed), item('NOPE'), item(refunded), item(refundNo)] });
    expect(root?.retcode).toBe('0');
    expect(root?.pay_queries).toBeUndefined();
    const results = root?.pay_querys as Array<Record<string, unknown>>;
    expect(results.map((r) => r.order_status)).toEqual(['60', '77', '78', '80', '60']);
    expect(results[0]).toMatchObject({ tranamt: '100.0', out_id: sandbox.state.order(paid)?.outId, retcode: '0' });
    expect(results[1]?.order_desc).toBe('余额不足');
  });

  it('reports 20 for an order a test holds as processing, and refuses to refund it', async () => {
    const orderNo = nextOrderNo();
    await call('pay', payment(orderNo, '1.00'));
    sandbox.state.setOrderStatus(orderNo, '20');
    const { root } = await call('payQuery', { pay_queries: [{ account: '32719', acctype: '###', order_no: orderNo }] });
    expect((root?.pay_querys as Array<Record<string, unknown>>)[0]?.order_status).toBe('20');
    const refund = { account: '32719', tranamt: '1.00', acctype: '###', mercacc: '100000', order_no: nextOrderNo(), refund_order_no: orderNo };
    expect((await call('refund', refund)).root?.retcode).toBe('60053');
  });

  it('treats an order asked for under another account as not existing, and refuses bad lists', async () => {
    const orderNo = nextOrderNo();
    await call('pay', payment(orderNo, '1.00'));
    const { root } = await call('payQuery', { pay_queries: [{ account: '32718', acctype: '###', order_no: orderNo }] });
    expect((root?.pay_querys as Array<Record<string, unknown>>)[0]?.order_status).toBe('78');
    expect((await call('payQuery', { pay_queries: [] })).root?.retcode).toBe('60002');
    expect((await call('payQuery', { pay_querys: [{ account: '32719', acctype: '###', order_no: orderNo }] })).root?.retcode).toBe('60002');
  });
});

describe('down.bill', () => {
  let bill: TestSandbox;
  let billToken: string;
  const billClock = manualClock(new Date('2026-05-12T11:01:07.000Z'));
  beforeAll(async () => {
    bill = await startTestSandbox({ now: billClock.now, billKey: 'generate' });
    billToken = await issueSandboxToken(bill, billClock.now());
    const pay = (orderNo: string, tranamt: string, account = '32718'): Promise<RawCallResult> =>
      sandboxCall(bill, 'pay', { ...payment(orderNo, tranamt, account), attach: 'room 101, 2F' }, { accessToken: billToken, at: billClock.now() });
    await pay('B1', '1.00');
    billClock.advance(60_000);
    await pay('B2', '2.50');
    await pay('B3', '100000.00'); // fails: 60010
    await sandboxCall(
      bill,
      'refund',
      { account: '32718', tranamt: '0.50', acctype: '###', mercacc: '100000', order_no: 'B4', refund_order_no: 'B2' },
      { accessToken: billToken, at: billClock.now() },
    );
    billClock.set(new Date('2026-05-12T17:00:00.000Z')); // 2026-05-13 01:00 China: next day
    billToken = await issueSandboxToken(bill, billClock.now()); // the first one has expired
    await pay('B5', '3.00');
  });
  afterAll(async () => bill.close());

  function download(body: object): Promise<RawCallResult> {
    return sandboxCall(bill, 'downBill', body, { accessToken: billToken, at: billClock.now() });
  }

  it('returns the China day in plain text (crypt_type 0) that parses with its footer', async () => {
    const { status, body, envelope } = await download({ bill_date: '20260512', bill_type: 'ALL', crypt_type: '0' });
    expect(status).toBe(200);
    expect(envelope).toBeUndefined();
    const text = body.toString('utf8');
    const parsed = parseBill(text);
    expect(parsed.rows.map((r) => [r.orderNo, r.tradeType, r.orderStatus, r.amountFen])).toEqual([
      ['B1', '01', '60', 100],
      ['B2', '01', '60', 250],
      ['B3', '01', '77', 10_000_000],
      ['B4', '02', '60', 50],
    ]);
    expect(parsed.rows[0]).toMatchObject({ tradeTime: '2026-05-12T19:01:07+08:00', attach: 'room 101, 2F', outId: bill.state.order('B1')?.outId });
  });

  it('returns only successful trades for SUCCESS, and crypt_type 1 decrypts to the same text', async () => {
    const plain = (await download({ bill_date: '20260512', bill_type: 'SUCCESS', crypt_type: '0' })).body.toString('utf8');
    expect(parseBill(plain).rows.map((r) => r.orderNo)).toEqual(['B1', 'B2', 'B4']);
    const encrypted = (await download({ bill_date: '20260512', bill_type: 'SUCCESS', crypt_type: '1' })).body.toString('utf8');
    expect(encrypted).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(encrypted, 'base64').length % 8).toBe(0);
    expect(decryptBill(encrypted, bill.billDesKey)).toBe(plain.trimEnd());
    const next = (await download({ bill_date: '20260513', bill_type: 'ALL', crypt_type: '1' })).body.toString('utf8');
    expect(parseBill(decryptBill(next, bill.billDesKey)).rows.map((r) => r.orderNo)).toEqual(['B5']);
  });

  it('uses the first 8 bytes of the 3DES key when there is no bill_key', async () => {
    const local = await startTestSandbox();
    try {
      expect(local.secret.bill_key).toBeUndefined();
      const localToken = await issueSandboxToken(local);
      const body = { bill_date: chinaDate(), bill_type: 'ALL', crypt_type: '1' };
      const encrypted = (await sandboxCall(local, 'downBill', body, { accessToken: localToken })).body.toString('utf8');
      expect(parseBill(decryptBill(encrypted, local.tripleDesKey.subarray(0, 8)))).toMatchObject({ count: 0, totalFen: 0 });
    } finally {
      await local.close();
    }
  });

  it('answers refusals as envelopes: bad parameters 60002, a future day 60038', async () => {
    expect((await download({ bill_date: '20260532', bill_type: 'ALL', crypt_type: '0' })).root?.retcode).toBe('60002');
    expect((await download({ bill_date: '20260512', bill_type: 'SOME', crypt_type: '0' })).root?.retcode).toBe('60002');
    expect((await download({ bill_date: '20260512', bill_type: 'ALL', crypt_type: '2' })).root?.retcode).toBe('60002');
    expect((await download({ bill_date: '20260514', bill_type: 'ALL', crypt_type: '0' })).root?.retcode).toBe('60038');
  });

  it('is served on the bill URL only, and needs a live token', async () => {
    const body = { bill_date: '20260512', bill_type: 'ALL', crypt_type: '0' };
    const onApi = await sandboxCall(bill, 'downBill', body, { accessToken: billToken, at: billClock.now(), billEndpoint: false });
    expect(onApi.envelope?.errcode).toBe('40012');
    const payOnBill = await sandboxCall(bill, 'queryCard', { idtype: 'acc', id: '32718' }, { accessToken: billToken, at: billClock.now(), billEndpoint: true });
    expect(payOnBill.envelope?.errcode).toBe('40012');
    const noToken = await sandboxCall(bill, 'downBill', body, { at: billClock.now() });
    expect(noToken.envelope?.errcode).toBe('40017');
  });
});

describe('seed', () => {
  it('starts with the demo accounts, or the given ones', async () => {
    expect(sandbox.state.accounts.map((a) => a.account)).toEqual(DEMO_ACCOUNTS.map((a) => a.account));
    const custom = await startTestSandbox({ accounts: [{ account: '1', name: 'Test', balanceFen: 42 }] });
    try {
      expect(custom.state.accounts).toEqual([
        { account: '1', name: 'Test', balanceFen: 42, eAccounts: {}, lost: false, frozen: false },
      ]);
    } finally {
      await custom.close();
    }
  });
});
