// Proves the payment service on dynalite with a scripted platform: one platform call per order, replays
// and 409s, PENDING never guessed, resolution by pay.query, refunds never exceeding their payment, crash recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { createLedgerStore, type LedgerStore } from '../../lib/ledger/store.js';
import { classifyMoneyError } from '../../lib/ledger/outcome.js';
import { requestHash } from '../../lib/ledger/identity.js';
import {
  createPaymentService,
  type PaymentInput,
  type PaymentService,
  type PaymentServiceOptions,
  type RefundInput,
} from '../../lib/ledger/payments.js';
import { GatewayError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { OrderConflictError, OriginalNotPaidError, RefundExceedsPaymentError } from '../../lib/ledger/errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import {
  BusinessError,
  GarbledResponseError,
  PlatformBusyError,
  PlatformSystemError,
  SignatureMismatchError,
  TokenInvalidError,
  UpstreamTextError,
} from '../../lib/protocol/errors.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { FakePlatform } from './fake-platform.js';
import { DEFAULT_TIMINGS } from '../../lib/timings.js';

let dynamo: TestDynamo;
let store: LedgerStore;
let counter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
});
afterAll(async () => dynamo.close());

function setup(options: Partial<PaymentServiceOptions> = {}): { platform: FakePlatform; service: PaymentService } {
  const platform = new FakePlatform();
  const service = createPaymentService({ ledger: store, platform, replayWaitMs: 2_000, replayPollMs: 10, ...options });
  return { platform, service };
}

function nextOrderNo(prefix = 'T'): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${String(counter).padStart(5, '0')}`;
}

function payInput(overrides: Partial<PaymentInput> = {}): PaymentInput {
  return { orderNo: nextOrderNo(), account: '1001', acctype: '###', mercacc: '9001', amountFen: 1000, ...overrides };
}

function refundInput(payment: PaymentInput, overrides: Partial<RefundInput> = {}): RefundInput {
  return {
    orderNo: nextOrderNo('R'),
    refundOrderNo: payment.orderNo,
    account: payment.account,
    acctype: payment.acctype,
    mercacc: payment.mercacc,
    amountFen: payment.amountFen,
    ...overrides,
  };
}

/** Errors after which the money may have moved. */
const UNKNOWN_ERRORS: readonly (readonly [string, () => Error])[] = [
  ['timeout', () => new PlatformTimeoutError(10_000)],
  ['reset after send', () => new PlatformUnreachableError('socket hang up', 'UNKNOWN')],
  ['busy', () => new PlatformBusyError('-1')],
  ['bad signature', () => new SignatureMismatchError()],
  ['garbled', () => new GarbledResponseError('bad base64')],
  ['GBK text', () => new UpstreamTextError('签名错误', 200)],
  ['duplicate order_no 60045', () => new BusinessError('60045', 'duplicate')],
  ['already paid 60070', () => new BusinessError('60070', 'paid')],
  ['a bug', () => new TypeError('undefined is not a function')],
];
/** Business refusals: the platform saw the order and refused it; no money moved. */
const REFUSALS: readonly (readonly [string, () => Error, string])[] = [
  ['insufficient balance', () => new BusinessError('60010', 'balance too low'), '60010'],
  ['account frozen', () => new BusinessError('60013', 'frozen'), '60013'],
];
/** Errors proving the platform's business layer never saw the call: the order_no stays free. */
const NEVER_SENT: readonly (readonly [string, () => Error])[] = [
  ['bad signature at the platform', () => new PlatformSystemError('40004')],
  ['token invalid', () => new TokenInvalidError('t')],
  ['timestamp rejected', () => new PlatformSystemError('40018')],
  ['connection refused', () => new PlatformUnreachableError('ECONNREFUSED', 'NOT_SENT')],
  ['no token within the 2-minute rule', () => new TokenUnavailableError('no token', 30)],
];

describe('pay', () => {
  it('settles SUCCESS with out_id, and a replay returns the stored record without a second platform call', async () => {
    const { platform, service } = setup();
    const input = payInput({ remark: 'lunch', attach: 'x,y', termid: 3 });
    const first = await service.pay(input);
    expect(first).toMatchObject({ orderNo: input.orderNo, type: 'PAYMENT', status: 'SUCCESS', amountFen: 1000, refundedFen: 0 });
    expect(first.outId).toBe(platform.orders.get(input.orderNo)?.outId);
    expect(first.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(await service.pay({ ...input })).toEqual(first);
    expect(await service.getOrder(input.orderNo)).toEqual(first);
    expect(platform.payCalls).toHaveLength(1);
    expect(platform.queryCalls).toHaveLength(0);
  });

  it.each(REFUSALS)('settles FAILED when the platform refuses (%s), and replays it without calling again', async (_, error, code) => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error, committed: false });
    const input = payInput();
    const first = await service.pay(input);
    expect(first.status).toBe('FAILED');
    expect(first.error?.code).toBe(code);
    expect(first.outId).toBeUndefined();
    expect(await service.pay(input)).toEqual(first);
    expect(platform.payCalls).toHaveLength(1);
  });

  it.each(NEVER_SENT)('withdraws the order when the call never reached the platform (%s), so the same order_no can be retried', async (_, error) => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error, committed: false });
    const input = payInput();
    const thrown = await service.pay(input).catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(error().constructor);
    expect(await store.get(input.orderNo)).toBeUndefined();
    const retried = await service.pay(input);
    expect(retried.status).toBe('SUCCESS');
    expect(platform.payCalls).toHaveLength(2);
    expect(platform.orders.size).toBe(1);
  });

  it('withdraws a refund that never reached the platform and gives its reservation back', async () => {
    const { platform, service } = setup();
    const payment = await service.pay(payInput());
    platform.script.push({ kind: 'throw', error: () => new TokenUnavailableError('no token', 30), committed: false });
    const refund = refundInput(payment, { amountFen: 400 });
    await expect(service.refund(refund)).rejects.toBeInstanceOf(TokenUnavailableError);
    expect(await store.get(refund.orderNo)).toBeUndefined();
    expect((await store.get(payment.orderNo))?.refundableFen).toBe(payment.amountFen);
    expect((await service.refund(refund)).status).toBe('SUCCESS');
    expect((await store.get(payment.orderNo))?.refundedFen).toBe(400);
  });

  it.each([
    ['account', { account: '1002' }],
    ['acctype', { acctype: '001' }],
    ['mercacc', { mercacc: '9002' }],
    ['tranamt', { amountFen: 1001 }],
    ['remark', { remark: 'other' }],
    ['attach', { attach: 'other' }],
    ['termid', { termid: 9 }],
  ] as const)('answers a reused order_no with a different %s with a conflict naming it', async (field, change) => {
    const { platform, service } = setup();
    const input = payInput();
    await service.pay(input);
    const error = await service.pay({ ...input, ...change }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OrderConflictError);
    expect((error as OrderConflictError).field).toBe(field);
    expect((error as OrderConflictError).code).toBe('ORDER_CONFLICT');
    expect(platform.payCalls).toHaveLength(1);
  });

  it('answers a payment order_no reused for a refund with a conflict on type', async () => {
    const { service } = setup();
    const input = payInput();
    await service.pay(input);
    const error = await service.refund(refundInput(input, { orderNo: input.orderNo, refundOrderNo: 'OTHER' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrderConflictError);
    expect((error as OrderConflictError).field).toBe('type');
  });

  it('sends 50 concurrent identical payments to the platform once and gives 50 identical answers', async () => {
    const { platform, service } = setup();
    platform.defaultScript = { kind: 'succeed', delayMs: 40 };
    // Half go through a second service on its own DynamoDB client, as a second Lambda instance would.
    const other = createPaymentService({
      ledger: createLedgerStore({ client: dynamo.newClient(), tableName: dynamo.tables.ledgerTable }),
      platform,
      replayPollMs: 10,
    });
    const input = payInput();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? service : other).pay({ ...input })),
    );
    expect(platform.payCalls).toHaveLength(1);
    expect(answers[0]?.status).toBe('SUCCESS');
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('rejects a non-positive or fractional amount before writing anything', async () => {
    const { platform, service } = setup();
    for (const amountFen of [0, -1, 1.5]) {
      const input = payInput({ amountFen });
      await expect(service.pay(input)).rejects.toBeInstanceOf(ValidationError);
      expect(await store.get(input.orderNo)).toBeUndefined();
    }
    expect(platform.payCalls).toHaveLength(0);
  });
});

describe('PENDING: never FAILED while money may have moved', () => {
  it.each(UNKNOWN_ERRORS)('keeps the order PENDING after %s, with the error recorded', async (_, error) => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error, committed: false });
    const input = payInput();
    const answer = await service.pay(input);
    expect(answer.status).toBe('PENDING');
    expect(answer.error).toBeUndefined();
    const stored = await store.get(input.orderNo);
    const sample = error();
    const expectedCode = sample instanceof BusinessError ? sample.retcode : sample instanceof GatewayError ? sample.code : 'INTERNAL';
    expect(stored?.lastError?.code).toBe(expectedCode);
    expect(stored?.attempts).toBe(1);
  });

  it('property: whatever fails, the order ends SUCCESS exactly when the money moved, and is charged once', async () => {
    const kinds = [
      ...UNKNOWN_ERRORS.map(([name, make]) => ({ name, make, kind: 'unknown' as const })),
      ...REFUSALS.map(([name, make]) => ({ name, make, kind: 'refused' as const })),
      ...NEVER_SENT.map(([name, make]) => ({ name, make, kind: 'never-sent' as const })),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), fc.boolean(), fc.integer({ min: 1, max: 3 }), async (kind, committed, replays) => {
        // Only an unknown outcome may have committed; a never-sent order is attempted again by the replay.
        const moved = kind.kind === 'unknown' ? committed : kind.kind === 'never-sent';
        const { platform, service } = setup({ notFoundGraceMs: 0 });
        platform.script.push({ kind: 'throw', error: kind.make, committed: kind.kind === 'unknown' && committed });
        const input = payInput();
        const first = await service.pay(input).catch(() => undefined);
        if (kind.kind === 'unknown') expect(first?.status).toBe('PENDING');
        if (kind.kind === 'never-sent') expect(first).toBeUndefined();
        for (let i = 0; i < replays; i++) await service.pay(input);
        const final = await service.getOrder(input.orderNo);
        expect(final.status).toBe(moved ? 'SUCCESS' : 'FAILED');
        if (moved) expect(final.outId).toBe(platform.orders.get(input.orderNo)?.outId);
        expect(platform.orders.size).toBe(moved ? 1 : 0);
        expect(platform.payCalls).toHaveLength(kind.kind === 'never-sent' ? 2 : 1);
      }),
      { numRuns: 25 },
    );
  });

  it('resolves a PENDING order on read according to pay.query order_status', async () => {
    const cases = [
      ['60', 'SUCCESS'],
      ['80', 'SUCCESS'],
      ['77', 'FAILED'],
      ['20', 'PENDING'],
      ['99', 'PENDING'],
    ] as const;
    for (const [orderStatus, expected] of cases) {
      const { platform, service } = setup();
      platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: orderStatus !== '77' });
      const input = payInput();
      expect((await service.pay(input)).status).toBe('PENDING');
      platform.queryStatus.set(input.orderNo, orderStatus);
      const resolved = await service.getOrder(input.orderNo);
      expect(resolved.status, `order_status ${orderStatus}`).toBe(expected);
      if (expected === 'SUCCESS') expect(resolved.outId).toBe(platform.orders.get(input.orderNo)?.outId);
      if (expected === 'FAILED') expect(resolved.error?.code).toBe('ORDER_STATUS_77');
      expect(platform.queryCalls.at(-1)).toEqual([{ account: '1001', acctype: '###', orderNo: input.orderNo }]);
    }
  });

  it('fails a 78 ("no such order") only after the grace period', async () => {
    const young = setup();
    young.platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: false });
    const input = payInput();
    await young.service.pay(input);
    expect((await young.service.getOrder(input.orderNo)).status).toBe('PENDING');
    expect((await store.get(input.orderNo))?.lastError?.code).toBe('ORDER_STATUS_78');

    // Same order, read later: a clock 1 s past the grace (lib/timings.ts).
    const later = createPaymentService({
      ledger: store,
      platform: young.platform,
      now: () => new Date(Date.now() + DEFAULT_TIMINGS.notFoundGraceMs + 1_000),
    });
    const failed = await later.getOrder(input.orderNo);
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.code).toBe('ORDER_STATUS_78');
  });

  it('keeps the order PENDING when pay.query itself fails', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0 });
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    const input = payInput();
    await service.pay(input);
    platform.queryError = () => new PlatformBusyError('-1');
    expect((await service.getOrder(input.orderNo)).status).toBe('PENDING');
    expect((await store.get(input.orderNo))?.lastError?.code).toBe('UPSTREAM_BUSY');
    platform.queryError = undefined;
    expect((await service.getOrder(input.orderNo)).status).toBe('SUCCESS');
  });

  it('never overwrites a settled order, whatever pay.query says later', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0 });
    const input = payInput();
    const paid = await service.pay(input);
    platform.queryStatus.set(input.orderNo, '77');
    expect(await service.getOrder(input.orderNo)).toEqual(paid);
    await service.queryPayments([{ account: input.account, acctype: input.acctype, orderNo: input.orderNo }]);
    await service.resolvePending([input.orderNo]);
    await service.settleFromBill([{ orderNo: input.orderNo, outId: 'OTHER' }]);
    expect(await service.getOrder(input.orderNo)).toEqual(paid);
  });

  it('answers NotFoundError for an unknown order', async () => {
    const { service } = setup();
    await expect(service.getOrder('NOPE-404')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resolves a PENDING order on replay with pay.query, never by paying again', async () => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    const input = payInput();
    expect((await service.pay(input)).status).toBe('PENDING');
    const replayed = await service.pay(input);
    expect(replayed.status).toBe('SUCCESS');
    expect(platform.payCalls).toHaveLength(1);
    expect(platform.queryCalls).toHaveLength(1);
  });

  it('settles PENDING orders that a pay.query pass-through answers for', async () => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    const input = payInput();
    await service.pay(input);
    const results = await service.queryPayments([
      { account: input.account, acctype: input.acctype, orderNo: input.orderNo },
      { account: '1', acctype: '###', orderNo: 'NOT-OURS' },
    ]);
    expect(results.map((result) => result.orderStatus)).toEqual(['60', '78']);
    expect((await store.get(input.orderNo))?.status).toBe('SUCCESS');
  });

  it('never settles a PENDING order from a pass-through query asked with other terms than the ledger\'s', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0 });
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    const input = payInput();
    await service.pay(input);
    // The platform answers 78 ("no such order") to a query with the wrong acctype, although it was paid.
    platform.queryStatus.set(input.orderNo, '78');
    await service.queryPayments([{ account: input.account, acctype: '001', orderNo: input.orderNo }]);
    expect((await store.get(input.orderNo))?.status).toBe('PENDING');
    platform.queryStatus.delete(input.orderNo);
    expect((await service.getOrder(input.orderNo)).status).toBe('SUCCESS');
  });

  it('settles a PENDING order from bill evidence', async () => {
    const { platform, service } = setup();
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    const input = payInput();
    await service.pay(input);
    const summary = await service.settleFromBill([{ orderNo: input.orderNo, outId: 'BILL-OUT' }, { orderNo: 'ABSENT', outId: 'x' }]);
    expect(summary).toMatchObject({ examined: 1, succeeded: 1 });
    expect(await service.getOrder(input.orderNo)).toMatchObject({ status: 'SUCCESS', outId: 'BILL-OUT' });
  });
});

describe('settler', () => {
  it('completes a payment whose process died between the ledger write and the platform call', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0, replayWaitMs: 50 });
    const input = payInput();
    const { type, account, acctype, mercacc, amountFen, orderNo } = { type: 'PAYMENT' as const, ...input };
    await store.createPending(
      { orderNo, type, account, acctype, mercacc, amountFen, requestHash: requestHash({ orderNo, type, account, acctype, mercacc, amountFen }) },
      new Date(),
    );
    const replayed = await service.pay(input);
    expect(replayed).toMatchObject({ status: 'FAILED', error: { code: 'ORDER_STATUS_78' } });
    expect(platform.payCalls).toHaveLength(0);
  });
});

describe('refund', () => {
  async function paid(service: PaymentService, amountFen = 1000): Promise<PaymentInput> {
    const input = payInput({ amountFen });
    expect((await service.pay(input)).status).toBe('SUCCESS');
    return input;
  }

  it('needs a SUCCESS payment in the ledger, with the same account, acctype and mercacc', async () => {
    const { platform, service } = setup();
    await expect(service.refund(refundInput(payInput()))).rejects.toBeInstanceOf(OriginalNotPaidError);
    platform.script.push({ kind: 'refuse', retcode: '60010' });
    const failedPayment = payInput();
    await service.pay(failedPayment);
    await expect(service.refund(refundInput(failedPayment))).rejects.toBeInstanceOf(OriginalNotPaidError);

    const payment = await paid(service);
    for (const field of ['account', 'acctype', 'mercacc'] as const) {
      const error = await service.refund(refundInput(payment, { [field]: '777' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    expect(platform.refundCalls).toHaveLength(0);
  });

  it('refunds, adds to refunded on the payment, and replays without a second call', async () => {
    const { platform, service } = setup();
    const payment = await paid(service);
    const input = refundInput(payment, { amountFen: 400 });
    const refund = await service.refund(input);
    expect(refund).toMatchObject({ type: 'REFUND', status: 'SUCCESS', refundOrderNo: payment.orderNo, amountFen: 400 });
    expect(refund.refundedFen).toBeUndefined();
    expect(await service.refund(input)).toEqual(refund);
    expect(platform.refundCalls).toHaveLength(1);
    expect(await service.getOrder(payment.orderNo)).toMatchObject({ refundedFen: 400 });
    const conflict = await service.refund({ ...input, amountFen: 300 }).catch((e: unknown) => e);
    expect((conflict as OrderConflictError).field).toBe('tranamt');
  });

  it('sends 20 concurrent identical refunds to the platform once and gives 20 identical answers', async () => {
    const { platform, service } = setup();
    const payment = await paid(service);
    platform.defaultScript = { kind: 'succeed', delayMs: 30 };
    const input = refundInput(payment, { amountFen: 300 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => service.refund({ ...input })));
    expect(platform.refundCalls).toHaveLength(1);
    expect(answers[0]?.status).toBe('SUCCESS');
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await store.get(payment.orderNo)).toMatchObject({ refundableFen: 700, refundedFen: 300 });
  });

  it('refuses a refund beyond what is left, the same way on replay, without calling the platform', async () => {
    const { platform, service } = setup();
    const payment = await paid(service);
    await service.refund(refundInput(payment, { amountFen: 600 }));
    const tooMuch = refundInput(payment, { amountFen: 401 });
    await expect(service.refund(tooMuch)).rejects.toBeInstanceOf(RefundExceedsPaymentError);
    await expect(service.refund(tooMuch)).rejects.toBeInstanceOf(RefundExceedsPaymentError);
    expect(await service.getOrder(tooMuch.orderNo)).toMatchObject({ status: 'FAILED', error: { code: 'REFUND_EXCEEDS_PAYMENT' } });
    expect(platform.refundCalls).toHaveLength(1);
    expect((await service.refund(refundInput(payment, { amountFen: 400 }))).status).toBe('SUCCESS');
    expect(await service.getOrder(payment.orderNo)).toMatchObject({ refundedFen: 1000 });
  });

  it('releases the reservation when the platform refuses', async () => {
    const { platform, service } = setup();
    const payment = await paid(service);
    platform.script.push({ kind: 'refuse', retcode: '60011', errmsg: 'merchant balance too low' });
    const refused = await service.refund(refundInput(payment));
    expect(refused).toMatchObject({ status: 'FAILED', error: { code: '60011' } });
    expect(await store.get(payment.orderNo)).toMatchObject({ refundableFen: 1000, refundedFen: 0 });
    expect((await service.refund(refundInput(payment))).status).toBe('SUCCESS');
  });

  it('holds the reservation while a refund is PENDING, then completes or releases it on resolution', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0 });
    const payment = await paid(service);
    platform.script.push({ kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true });
    platform.script.push({ kind: 'throw', error: () => new PlatformUnreachableError('reset', 'UNKNOWN'), committed: false });
    const committed = await service.refund(refundInput(payment, { amountFen: 700 }));
    const lost = await service.refund(refundInput(payment, { amountFen: 300 }));
    expect([committed.status, lost.status]).toEqual(['PENDING', 'PENDING']);
    await expect(service.refund(refundInput(payment, { amountFen: 1 }))).rejects.toBeInstanceOf(RefundExceedsPaymentError);

    expect((await service.getOrder(committed.orderNo)).status).toBe('SUCCESS');
    expect((await service.getOrder(lost.orderNo)).status).toBe('FAILED');
    expect(await store.get(payment.orderNo)).toMatchObject({ refundableFen: 300, refundedFen: 700 });
    expect((await store.get(payment.orderNo))?.refundReservations).toBeUndefined();
  });

  it('property: concurrent refunds that together exceed the payment never refund more than it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.record({ amountFen: fc.integer({ min: 1, max: 400 }), refused: fc.boolean(), unknown: fc.boolean() }), {
          minLength: 20,
          maxLength: 20,
        }),
        async (paymentFen, refunds) => {
          const { platform, service } = setup({ notFoundGraceMs: 0 });
          const payment = await paid(service, paymentFen);
          for (const refund of refunds) {
            platform.script.push(
              refund.refused
                ? { kind: 'refuse', retcode: '60011' }
                : refund.unknown
                  ? { kind: 'throw', error: () => new PlatformTimeoutError(10_000), committed: true }
                  : { kind: 'succeed' },
            );
          }
          const inputs = refunds.map((refund) => refundInput(payment, { amountFen: refund.amountFen }));
          const outcomes = await Promise.allSettled(inputs.map((input) => service.refund(input)));
          for (const outcome of outcomes) {
            if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(RefundExceedsPaymentError);
          }
          await service.resolvePending(inputs.map((input) => input.orderNo));
          let successFen = 0;
          for (const input of inputs) {
            const record = await service.getOrder(input.orderNo);
            expect(record.status).not.toBe('PENDING');
            if (record.status === 'SUCCESS') successFen += record.amountFen;
          }
          expect(successFen).toBeLessThanOrEqual(paymentFen);
          expect(platform.refundedFor(payment.orderNo)).toBe(successFen);
          const stored = await store.get(payment.orderNo);
          expect(stored?.refundedFen).toBe(successFen);
          expect(stored?.refundableFen).toBe(paymentFen - successFen);
          expect(stored?.refundReservations).toBeUndefined();
        },
      ),
      { numRuns: 4 },
    );
  });

  it('recovers a refund whose process died after reserving, before calling the platform', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0 });
    const payment = await paid(service);
    const refundNo = nextOrderNo('R');
    const base = { orderNo: refundNo, type: 'REFUND' as const, account: '1001', acctype: '###', mercacc: '9001', amountFen: 250, refundOrderNo: payment.orderNo };
    await store.createPending({ ...base, requestHash: requestHash(base) }, new Date());
    expect(await store.reserveRefund(payment.orderNo, refundNo, 250, new Date())).toBe('RESERVED');

    const summary = await service.resolvePending([refundNo]);
    expect(summary).toMatchObject({ examined: 1, failed: 1 });
    expect(await store.get(payment.orderNo)).toMatchObject({ refundableFen: 1000, refundedFen: 0 });
    expect(platform.refundCalls).toHaveLength(0);
  });

  it('recovers a refund whose process died after completing the reservation, counting it once', async () => {
    const { platform, service } = setup({ notFoundGraceMs: 0, replayWaitMs: 50 });
    const payment = await paid(service);
    const refundNo = nextOrderNo('R');
    const base = { orderNo: refundNo, type: 'REFUND' as const, account: '1001', acctype: '###', mercacc: '9001', amountFen: 250, refundOrderNo: payment.orderNo };
    await store.createPending({ ...base, requestHash: requestHash(base) }, new Date());
    await store.reserveRefund(payment.orderNo, refundNo, 250, new Date());
    platform.orders.set(refundNo, { ...base, outId: 'OUT-R' });
    expect(await store.completeRefund(payment.orderNo, refundNo, 250, new Date())).toBe(true);

    const replayed = await service.refund({ ...base });
    expect(replayed).toMatchObject({ status: 'SUCCESS', outId: 'OUT-R' });
    expect(await store.get(payment.orderNo)).toMatchObject({ refundableFen: 750, refundedFen: 250 });
    expect(platform.refundCalls).toHaveLength(0);
  });
});

describe('classifyMoneyError: FAILED or withdrawn only when the platform certainly did not act', () => {
  it.each([
    ['40018', 'NOT_ATTEMPTED'],
    ['40004', 'NOT_ATTEMPTED'],
    ['-5', 'NOT_ATTEMPTED'],
    ['-2', 'UNKNOWN'],
    ['-3', 'UNKNOWN'],
    ['99999', 'UNKNOWN'],
  ])('system errcode %s → %s', (errcode, kind) => {
    expect(classifyMoneyError(new PlatformSystemError(errcode)).kind).toBe(kind);
  });

  it.each([
    ['60010', 'FAILED'],
    ['60005', 'FAILED'],
    ['60001', 'UNKNOWN'],
    ['60037', 'UNKNOWN'],
    ['60053', 'UNKNOWN'],
    ['60045', 'UNKNOWN'],
  ])('business retcode %s → %s', (retcode, kind) => {
    expect(classifyMoneyError(new BusinessError(retcode, 'x')).kind).toBe(kind);
  });
});
