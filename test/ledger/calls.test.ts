// The DynamoDB calls of a payment, a replay and a refund, counted at the client: a replay is one call,
// and no refund path reads what a failed conditional write already answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../lib/ledger/store.js';
import { createPaymentService, type PaymentInput, type PaymentService } from '../../lib/ledger/payments.js';
import { RefundExceedsPaymentError } from '../../lib/ledger/errors.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';
import { FakePlatform } from './fake-platform.js';

let dynamo: TestDynamo;
let log: DynamoCallLog;
let service: PaymentService;
let counter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  log = countDynamoCalls(dynamo.client);
  const ledger = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
  service = createPaymentService({ ledger, platform: new FakePlatform() });
});
afterAll(async () => dynamo.close());

function payment(amountFen = 1000): PaymentInput {
  counter += 1;
  return { orderNo: `C${counter}`, account: '1001', acctype: '###', mercacc: '9001', amountFen };
}

describe('DynamoDB calls', () => {
  it('a payment is a put and a settle; its replay is the failed put alone', async () => {
    const input = payment();
    expect(await log.during(() => service.pay(input))).toEqual(['PutItemCommand', 'UpdateItemCommand']);
    expect(await log.during(() => service.pay(input))).toEqual(['PutItemCommand']);
  });

  it('a refund reads once (refund and original together), then only writes', async () => {
    const paid = payment();
    await service.pay(paid);
    const refund = { ...paid, orderNo: `CR${counter}`, refundOrderNo: paid.orderNo, amountFen: 600 };
    expect(await log.during(() => service.refund(refund))).toEqual([
      'BatchGetItemCommand', // the refund (absent) and the original payment
      'PutItemCommand', // refund PENDING
      'UpdateItemCommand', // reserve on the payment
      'UpdateItemCommand', // complete the reservation
      'UpdateItemCommand', // settle the refund
    ]);
    expect(await log.during(() => service.refund(refund))).toEqual(['BatchGetItemCommand']);
  });

  it('a refund exceeding its payment learns what is left from the refused reservation, not a read', async () => {
    const paid = payment(100);
    await service.pay(paid);
    const refund = { ...paid, orderNo: `CX${counter}`, refundOrderNo: paid.orderNo, amountFen: 101 };
    let error: unknown;
    const sent = await log.during(() => service.refund(refund).catch((caught: unknown) => (error = caught)));
    expect(error).toBeInstanceOf(RefundExceedsPaymentError);
    expect((error as Error).message).toContain('(100 fen still refundable)');
    expect(sent).toEqual(['BatchGetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    expect(sent).not.toContain('GetItemCommand');
  });
});
