// The refund flow: check the original payment, write the refund PENDING, reserve its amount on the
// payment, call the platform, settle (payment side first). Write order and crash recovery: store.ts.
//
// The original must be a SUCCESS PAYMENT (a PENDING one is resolved first) else OriginalNotPaidError;
// account, acctype and mercacc must equal the original's else ValidationError naming the field (no record
// is written for either, so a later replay re-checks). Too large for what is still refundable → the refund
// record is settled FAILED with REFUND_EXCEEDS_PAYMENT and RefundExceedsPaymentError is thrown, on the
// first call and on every replay.
import { ValidationError } from '../errors.js';
import { owns } from '../callers/access.js';
import type { Caller } from '../callers/registry.js';
import { LocalContentionError, OrderTakenError, OriginalNotPaidError, RefundExceedsPaymentError } from './errors.js';
import type { PlatformClient } from '../platform/types.js';
import { refundOrder, type RefundInput } from './identity.js';
import { callMoney } from './outcome.js';
import { OrderStatus, OrderType, SettledFrom, StatusSetter, type LedgerRecord, type NewOrder } from './records.js';
import type { Replay } from './replay.js';
import type { Settlement } from './settlement.js';
import type { LedgerStore } from './store.js';

export interface RefundDeps {
  readonly ledger: LedgerStore;
  readonly platform: Pick<PlatformClient, 'refund'>;
  readonly settlement: Pick<Settlement, 'applyOutcome' | 'resolveOne'>;
  readonly replay: Replay;
  readonly now: () => Date;
  /** How often one request re-creates an order_no that concurrent attempts keep withdrawing. */
  readonly rounds: number;
}

/**
 * The refund use case.
 * @throws OriginalNotPaidError, ValidationError, RefundExceedsPaymentError, OrderConflictError, LocalContentionError.
 */
export function createRefund(deps: RefundDeps): (input: RefundInput, caller?: Caller) => Promise<LedgerRecord> {
  const { ledger, platform, settlement, replay, now } = deps;

  /** One attempt; undefined when a concurrent attempt withdrew the order meanwhile. */
  async function attempt(input: RefundInput, order: NewOrder, stored: LedgerRecord | undefined, caller: Caller | undefined): Promise<LedgerRecord | undefined> {
    let original = stored;
    // Another caller's payment reads exactly as one the ledger does not hold.
    if (!original || original.type !== OrderType.PAYMENT || (caller && !owns(caller, original))) {
      throw new OriginalNotPaidError(`refund_order_no ${input.refundOrderNo} is not a payment made through this gateway`);
    }
    if (original.status === OrderStatus.PENDING) original = await settlement.resolveOne(original, caller?.name);
    if (original.status !== OrderStatus.SUCCESS) {
      throw new OriginalNotPaidError(`refund_order_no ${input.refundOrderNo} is ${original.status}, not a SUCCESS payment`);
    }
    for (const field of ['account', 'acctype', 'mercacc'] as const) {
      if (original[field] !== input[field]) {
        throw new ValidationError(`${field} does not match the original payment ${input.refundOrderNo}`, field);
      }
    }

    const created = await ledger.createPending(order, now());
    if (!created.created) {
      if (caller && !owns(caller, created.record)) throw new OrderTakenError(order.orderNo);
      const replayed = await replay(created.record, order);
      return replayed && finish(replayed);
    }

    const reservation = await ledger.reserve(original.orderNo, order.orderNo, order.amountFen, now());
    if (reservation.result === 'INSUFFICIENT' || reservation.result === 'NOT_REFUNDABLE') {
      // The refused write returned the payment as it stood: no read needed for what is left.
      const left = reservation.payment?.refundableFen ?? 0;
      const settled = await ledger.settle(
        order.orderNo,
        {
          status: OrderStatus.FAILED,
          error: {
            code: 'REFUND_EXCEEDS_PAYMENT',
            message: `a refund of ${order.amountFen} fen would exceed payment ${original.orderNo} (${left} fen still refundable)`,
          },
        },
        now(),
        SettledFrom.NEW,
        { by: StatusSetter.GATEWAY, reason: 'the refunds of the payment would exceed it' },
      );
      return finish(settled.record);
    }
    const outcome = await callMoney(() => platform.refund(input));
    return finish(await settlement.applyOutcome(created.record, outcome, SettledFrom.NEW, { by: caller?.name ?? StatusSetter.GATEWAY, source: 'gdccard.refund' }));
  }

  return async (input, caller) => {
    const order = { ...refundOrder(input), ...(caller ? { caller: caller.name } : {}) };
    for (let round = 1; round <= deps.rounds; round++) {
      // One read for both: the refund (a replay skips the checks of the original) and the original.
      const stored = await ledger.getMany([order.orderNo, input.refundOrderNo]);
      const existing = stored.get(order.orderNo);
      if (existing) {
        if (caller && !owns(caller, existing)) throw new OrderTakenError(order.orderNo);
        const replayed = await replay(existing, order);
        if (replayed) return finish(replayed);
        continue; // withdrawn meanwhile
      }
      const attempted = await attempt(input, order, stored.get(input.refundOrderNo), caller);
      if (attempted) return attempted;
    }
    throw new LocalContentionError(order.orderNo);
  };
}

/** A refund refused for exceeding its payment is an error on every call, not a FAILED result. */
function finish(record: LedgerRecord): LedgerRecord {
  if (record.status === OrderStatus.FAILED && record.error?.code === 'REFUND_EXCEEDS_PAYMENT') {
    throw new RefundExceedsPaymentError(record.error.message);
  }
  return record;
}
