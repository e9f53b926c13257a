// Payments and refunds through the ledger: written PENDING before the platform is called, settled
// only on a certain answer, resolved by pay.query (on read, on replay, by the settler) — never guessed.
//
// Decisions:
// - Outcome of a money call: MoneyMoved → SUCCESS. BusinessError → FAILED (the platform refused; no money
//   moved), except the business codes that say the platform already knows the order (60045 duplicate
//   order_no, 60070 already paid, 60009 duplicate serial) → PENDING. A call the platform's business layer
//   certainly never saw (no token within the 2-minute rule, connection refused, a system-level errcode
//   such as 40018, credentials that do not load) → NOT_ATTEMPTED: the PENDING record is withdrawn and the
//   error thrown (a retryable 5xx), so the client may send the same order_no again. Everything else
//   (timeout, UNKNOWN delivery, busy, bad signature, garbled, text, any other error) → PENDING with
//   last_error; never FAILED while money may have moved.
// - pay.query order_status: 60/80 → SUCCESS, 77 → FAILED (ORDER_STATUS_77), 78 → FAILED (ORDER_STATUS_78)
//   only once the order is older than notFoundGraceMs (lib/timings.ts: longer than the longest client
//   call plus a platform timeout, so a call still in flight is never failed), anything else or a query
//   failure → stays PENDING.
// - Replays: same parameters → the stored record (waiting up to replayWaitMs for a winner still calling the
//   platform, then resolving a PENDING one with pay.query); different parameters → OrderConflictError naming
//   the first differing wire field (type, account, acctype, mercacc, tranamt, remark, attach, termid,
//   refund_order_no). Only the request whose conditional put won ever calls the platform, once.
// - Refunds: the original must be a SUCCESS PAYMENT (a PENDING one is resolved first) else
//   OriginalNotPaidError; account, acctype and mercacc must equal the original's else ValidationError
//   naming the field (no record is written for either, so a later replay re-checks). Too large for what
//   is still refundable → the refund record is settled FAILED with REFUND_EXCEEDS_PAYMENT and
//   RefundExceedsPaymentError is thrown, on the first call and on every replay.
import { createHash } from 'node:crypto';
import { ConfigurationError, GatewayError, NotFoundError, ValidationError } from '../errors.js';
import { LocalContentionError, OrderConflictError, OriginalNotPaidError, RefundExceedsPaymentError } from './errors.js';
import {
  BusinessError,
  KeyFormatError,
  PlatformSystemError,
  UpstreamError,
} from '../protocol/errors.js';
import { TokenUnavailableError } from '../token/errors.js';
import type {
  MoneyMoved,
  PayQueryItem,
  PayQueryResult,
  PayRequest,
  PlatformClient,
  RefundRequest,
} from '../platform/types.js';
import type { LedgerError, LedgerRecord, LedgerStore, NewOrder, OrderStatus, OrderType } from './store.js';
import { DEFAULT_TIMINGS } from '../timings.js';

export type PaymentInput = PayRequest;
export type RefundInput = RefundRequest;

/** A payment or refund as the API reports it (API.md "Payment and refund results"), amounts in fen. */
export interface OrderRecord {
  readonly orderNo: string;
  readonly type: OrderType;
  readonly status: OrderStatus;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly outId?: string;
  /** Refunds: the original payment's order_no. */
  readonly refundOrderNo?: string;
  /** Payments: the sum of SUCCESS refunds so far. */
  readonly refundedFen?: number;
  /** FAILED only. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tradeDay: string;
}

/** What a settling run did. */
export interface SettleSummary {
  /** PENDING orders looked at. */
  readonly examined: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly stillPending: number;
  /** pay.query calls that threw (their orders stay PENDING). */
  readonly queryErrors: number;
}

/** The sum of two settlement summaries (batches of one run). */
export function addSettleSummaries(a: SettleSummary, b: SettleSummary): SettleSummary {
  return {
    examined: a.examined + b.examined,
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    stillPending: a.stillPending + b.stillPending,
    queryErrors: a.queryErrors + b.queryErrors,
  };
}

/** Bill evidence that a PENDING order moved money (reconcile's `settleable`). */
export interface BillSettlement {
  readonly orderNo: string;
  readonly outId: string;
}

export interface PaymentService {
  pay(input: PaymentInput): Promise<OrderRecord>;
  refund(input: RefundInput): Promise<OrderRecord>;
  /** The ledger's record; a PENDING one is resolved with pay.query first. NotFoundError when absent. */
  getOrder(orderNo: string): Promise<OrderRecord>;
  /** pay.query pass-through (≤ 50 items); PENDING ledger orders it answers for are settled on the way. */
  queryPayments(items: readonly PayQueryItem[]): Promise<readonly PayQueryResult[]>;
  /** Resolves the given orders (those still PENDING) with pay.query, ≤ 50 per call. */
  resolvePending(orderNos: readonly string[]): Promise<SettleSummary>;
  /** The settler: resolves every PENDING order created more than olderThanMs ago. */
  settlePending(options: { readonly olderThanMs: number }): Promise<SettleSummary>;
  /** Settles PENDING orders SUCCESS from bill rows with status 60 (the bill is the platform's own record). */
  settleFromBill(entries: readonly BillSettlement[]): Promise<SettleSummary>;
}

export interface PaymentServiceOptions {
  readonly ledger: LedgerStore;
  readonly platform: PlatformClient;
  readonly now?: () => Date;
  /** A 78 ("no such order") fails an order only once it is this old. Default: lib/timings.ts notFoundGraceMs. */
  readonly notFoundGraceMs?: number;
  /** A PENDING order without outcome this young may still be in its winner's call. Default: lib/timings.ts. */
  readonly inFlightWindowMs?: number;
  /** How long a replay waits for the winning request's outcome. Default 3 000. */
  readonly replayWaitMs?: number;
  /** Poll interval while waiting. Default 50. */
  readonly replayPollMs?: number;
}

/** pay.query accepts at most this many orders per call. */
export const PAY_QUERY_BATCH = 50;

/**
 * Business codes that are not a refusal, so the outcome is unknown and pay.query decides: the platform
 * already has this order_no (60009, 60045, 60070, 60053 order state forbids it), or a fault on its
 * side that may come after the money moved (60001 internal error, 60037 one-card network fault).
 */
const AMBIGUOUS_RETCODES: ReadonlySet<string> = new Set(['60001', '60009', '60037', '60045', '60053', '60070']);

/** What a money call or a pay.query answer means for a PENDING order. */
export type CallOutcome =
  | { readonly kind: 'SUCCESS'; readonly outId?: string }
  | { readonly kind: 'FAILED'; readonly error: LedgerError }
  | { readonly kind: 'UNKNOWN'; readonly error?: LedgerError }
  /** The platform never saw the call: withdraw the order and throw `cause`. */
  | { readonly kind: 'NOT_ATTEMPTED'; readonly error: LedgerError; readonly cause: unknown };

/** How often one request re-creates an order_no that concurrent attempts keep withdrawing. */
const CREATE_ROUNDS = 3;

export function createPaymentService(options: PaymentServiceOptions): PaymentService {
  const { ledger, platform } = options;
  const now = options.now ?? (() => new Date());
  const notFoundGraceMs = options.notFoundGraceMs ?? DEFAULT_TIMINGS.notFoundGraceMs;
  const inFlightWindowMs = options.inFlightWindowMs ?? DEFAULT_TIMINGS.inFlightWindowMs;
  const replayWaitMs = options.replayWaitMs ?? 3_000;
  const replayPollMs = options.replayPollMs ?? 50;

  /** Writes an outcome; for refunds the payment side first (see store.ts write order). */
  async function applyOutcome(record: LedgerRecord, outcome: CallOutcome): Promise<LedgerRecord> {
    if (outcome.kind === 'NOT_ATTEMPTED') {
      if (record.type === 'REFUND' && record.refundOrderNo !== undefined) {
        await ledger.releaseRefund(record.refundOrderNo, record.orderNo, record.amountFen, now());
      }
      if (await ledger.withdraw(record.orderNo)) throw outcome.cause;
      // Someone recorded an outcome meanwhile: keep it (and say why this attempt ended).
      return (await ledger.notePending(record.orderNo, outcome.error, now())) ?? (await reread(record.orderNo));
    }
    if (outcome.kind === 'UNKNOWN') {
      return (await ledger.notePending(record.orderNo, outcome.error, now())) ?? (await reread(record.orderNo));
    }
    if (record.type === 'REFUND' && record.refundOrderNo !== undefined) {
      if (outcome.kind === 'SUCCESS') {
        await ledger.completeRefund(record.refundOrderNo, record.orderNo, record.amountFen, now());
      } else {
        await ledger.releaseRefund(record.refundOrderNo, record.orderNo, record.amountFen, now());
      }
    }
    const settled = await ledger.settle(
      record.orderNo,
      outcome.kind === 'SUCCESS'
        ? outcome.outId === undefined
          ? { status: 'SUCCESS' }
          : { status: 'SUCCESS', outId: outcome.outId }
        : { status: 'FAILED', error: outcome.error },
      now(),
    );
    return settled.record;
  }

  async function reread(orderNo: string): Promise<LedgerRecord> {
    const record = await ledger.get(orderNo);
    if (!record) throw new NotFoundError(`order ${orderNo} not found`);
    return record;
  }

  async function callMoney(call: () => Promise<MoneyMoved>): Promise<CallOutcome> {
    try {
      const moved = await call();
      return { kind: 'SUCCESS', outId: moved.outId };
    } catch (error) {
      return classifyMoneyError(error);
    }
  }

  function outcomeOfQuery(record: LedgerRecord, result: PayQueryResult | undefined): CallOutcome {
    if (!result) return { kind: 'UNKNOWN', error: { code: 'NO_ANSWER', message: 'pay.query did not answer for the order' } };
    switch (result.orderStatus) {
      case '60':
      case '80':
        return result.outId ? { kind: 'SUCCESS', outId: result.outId } : { kind: 'SUCCESS' };
      case '77':
        return {
          kind: 'FAILED',
          error: { code: 'ORDER_STATUS_77', message: result.orderDesc || 'the platform reports the order failed' },
        };
      case '78': {
        const ageMs = now().getTime() - Date.parse(record.createdAt);
        const error = { code: 'ORDER_STATUS_78', message: result.orderDesc || 'the platform has no record of the order' };
        return ageMs >= notFoundGraceMs ? { kind: 'FAILED', error } : { kind: 'UNKNOWN', error };
      }
      default:
        return {
          kind: 'UNKNOWN',
          error: {
            code: `ORDER_STATUS_${result.orderStatus}`,
            message: result.orderDesc || result.errmsg || 'the platform is still processing the order',
          },
        };
    }
  }

  /** Resolves PENDING records with one pay.query call (≤ 50); returns what is stored afterwards. */
  async function resolveBatch(records: readonly LedgerRecord[]): Promise<{ records: LedgerRecord[]; queryFailed: boolean }> {
    const pending = records.filter((record) => record.status === 'PENDING');
    if (pending.length === 0) return { records: [...records], queryFailed: false };
    let answers: ReadonlyMap<string, PayQueryResult> | undefined;
    let queryError: LedgerError | undefined;
    try {
      const results = await platform.payQuery(
        pending.map((record) => ({ account: record.account, acctype: record.acctype, orderNo: record.orderNo })),
      );
      answers = new Map(results.map((result) => [result.orderNo, result]));
    } catch (error) {
      queryError = describeError(error);
    }
    const resolved = await Promise.all(
      records.map((record) => {
        if (record.status !== 'PENDING') return record;
        const outcome: CallOutcome = answers
          ? outcomeOfQuery(record, answers.get(record.orderNo))
          : queryError
            ? { kind: 'UNKNOWN', error: queryError }
            : { kind: 'UNKNOWN' };
        return applyOutcome(record, outcome);
      }),
    );
    return { records: resolved, queryFailed: answers === undefined };
  }

  async function resolveOne(record: LedgerRecord): Promise<LedgerRecord> {
    if (record.status !== 'PENDING') return record;
    const { records } = await resolveBatch([record]);
    return records[0] ?? record;
  }

  /**
   * A request for an order_no that already exists: same parameters → the stored outcome; else 409.
   * Undefined when the order was withdrawn meanwhile (its attempt never reached the platform).
   */
  async function replay(stored: LedgerRecord, order: NewOrder): Promise<LedgerRecord | undefined> {
    assertSameRequest(stored, order);
    let current = stored;
    const deadline = Date.now() + replayWaitMs;
    // attempts 0: no outcome recorded yet, so the winner may still be calling the platform (unless it
    // crashed long ago, in which case waiting is pointless and pay.query decides).
    const mayBeInFlight = (record: LedgerRecord): boolean =>
      record.status === 'PENDING' &&
      record.attempts === 0 &&
      now().getTime() - Date.parse(record.createdAt) < inFlightWindowMs;
    while (mayBeInFlight(current) && Date.now() < deadline) {
      await sleep(replayPollMs);
      const latest = await ledger.get(current.orderNo);
      if (!latest) return undefined;
      current = latest;
    }
    return resolveOne(current);
  }

  function finishRefund(record: LedgerRecord): OrderRecord {
    if (record.status === 'FAILED' && record.error?.code === 'REFUND_EXCEEDS_PAYMENT') {
      throw new RefundExceedsPaymentError(record.error.message);
    }
    return toOrderRecord(record);
  }

  function summarize(before: readonly LedgerRecord[], after: readonly LedgerRecord[], queryErrors: number): SettleSummary {
    let succeeded = 0;
    let failed = 0;
    let stillPending = 0;
    after.forEach((record, index) => {
      if (before[index]?.status !== 'PENDING') return;
      if (record.status === 'SUCCESS') succeeded++;
      else if (record.status === 'FAILED') failed++;
      else stillPending++;
    });
    return { examined: before.filter((record) => record.status === 'PENDING').length, succeeded, failed, stillPending, queryErrors };
  }

  async function settleRecords(records: AsyncIterable<LedgerRecord> | Iterable<LedgerRecord>): Promise<SettleSummary> {
    let total: SettleSummary = { examined: 0, succeeded: 0, failed: 0, stillPending: 0, queryErrors: 0 };
    const add = (part: SettleSummary): void => {
      total = addSettleSummaries(total, part);
    };
    let batch: LedgerRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const before = batch;
      batch = [];
      const { records, queryFailed } = await resolveBatch(before);
      add(summarize(before, records, queryFailed ? 1 : 0));
    };
    for await (const record of records) {
      if (record.status !== 'PENDING') continue;
      batch.push(record);
      if (batch.length === PAY_QUERY_BATCH) await flush();
    }
    await flush();
    return total;
  }

  /** One refund attempt; undefined when a concurrent attempt withdrew the order meanwhile. */
  async function attemptRefund(input: RefundInput, order: NewOrder): Promise<OrderRecord | undefined> {
    let original = await ledger.get(input.refundOrderNo);
    if (!original || original.type !== 'PAYMENT') {
      throw new OriginalNotPaidError(`refund_order_no ${input.refundOrderNo} is not a payment made through this gateway`);
    }
    if (original.status === 'PENDING') original = await resolveOne(original);
    if (original.status !== 'SUCCESS') {
      throw new OriginalNotPaidError(
        `refund_order_no ${input.refundOrderNo} is ${original.status}, not a SUCCESS payment`,
      );
    }
    for (const field of ['account', 'acctype', 'mercacc'] as const) {
      if (original[field] !== input[field]) {
        throw new ValidationError(`${field} does not match the original payment ${input.refundOrderNo}`, field);
      }
    }

    const created = await ledger.createPending(order, now());
    if (!created.created) {
      const replayed = await replay(created.record, order);
      return replayed && finishRefund(replayed);
    }

    const reservation = await ledger.reserveRefund(original.orderNo, order.orderNo, order.amountFen, now());
    if (reservation === 'INSUFFICIENT' || reservation === 'NOT_REFUNDABLE') {
      const left = (await ledger.get(original.orderNo))?.refundableFen ?? 0;
      const settled = await ledger.settle(
        order.orderNo,
        {
          status: 'FAILED',
          error: {
            code: 'REFUND_EXCEEDS_PAYMENT',
            message: `a refund of ${order.amountFen} fen would exceed payment ${original.orderNo} (${left} fen still refundable)`,
          },
        },
        now(),
      );
      return finishRefund(settled.record);
    }
    const outcome = await callMoney(() => platform.refund(input));
    return finishRefund(await applyOutcome(created.record, outcome));
  }

  return {
    async pay(input) {
      const order = paymentOrder(input);
      for (let round = 1; round <= CREATE_ROUNDS; round++) {
        const created = await ledger.createPending(order, now());
        if (!created.created) {
          const replayed = await replay(created.record, order);
          if (replayed) return toOrderRecord(replayed);
          continue; // withdrawn meanwhile: this request may attempt it itself
        }
        const outcome = await callMoney(() => platform.pay(input));
        return toOrderRecord(await applyOutcome(created.record, outcome));
      }
      throw new LocalContentionError(order.orderNo);
    },

    async refund(input) {
      const order = refundOrder(input);
      for (let round = 1; round <= CREATE_ROUNDS; round++) {
        const existing = await ledger.get(order.orderNo);
        if (existing) {
          const replayed = await replay(existing, order);
          if (replayed) return finishRefund(replayed);
          continue; // withdrawn meanwhile
        }
        const attempted = await attemptRefund(input, order);
        if (attempted) return attempted;
      }
      throw new LocalContentionError(order.orderNo);
    },

    async getOrder(orderNo) {
      return toOrderRecord(await resolveOne(await reread(orderNo)));
    },

    async queryPayments(items) {
      const results = await platform.payQuery(items);
      const stored = await ledger.getMany(results.map((result) => result.orderNo));
      // The caller's query terms decide the platform's answer (a wrong acctype gets 78, "no such
      // order"), so an answer settles a PENDING order only when it was asked with the ledger's own
      // account and acctype, exactly as resolvePending would ask.
      const askedAsLedger = (record: LedgerRecord): boolean =>
        items.some((item) => item.orderNo === record.orderNo && item.account === record.account && item.acctype === record.acctype);
      await Promise.allSettled(
        results.map(async (result) => {
          const record = stored.get(result.orderNo);
          if (!record || record.status !== 'PENDING' || record.account !== result.account || !askedAsLedger(record)) return;
          await applyOutcome(record, outcomeOfQuery(record, result));
        }),
      );
      return results;
    },

    async resolvePending(orderNos) {
      const stored = await ledger.getMany(orderNos);
      return settleRecords(stored.values());
    },

    async settlePending({ olderThanMs }) {
      return settleRecords(ledger.listPending(new Date(now().getTime() - olderThanMs)));
    },

    async settleFromBill(entries) {
      const stored = await ledger.getMany(entries.map((entry) => entry.orderNo));
      const before: LedgerRecord[] = [];
      const after: LedgerRecord[] = [];
      for (const entry of entries) {
        const record = stored.get(entry.orderNo);
        if (!record || record.status !== 'PENDING') continue;
        before.push(record);
        after.push(await applyOutcome(record, { kind: 'SUCCESS', outId: entry.outId }));
      }
      return summarize(before, after, 0);
    },
  };
}

/** Money-call failure → outcome: FAILED only when the platform certainly did not act. */
export function classifyMoneyError(error: unknown): CallOutcome {
  if (error instanceof BusinessError) {
    const described = { code: error.retcode, message: error.message };
    return AMBIGUOUS_RETCODES.has(error.retcode) ? { kind: 'UNKNOWN', error: described } : { kind: 'FAILED', error: described };
  }
  if (neverReachedPlatform(error)) return { kind: 'NOT_ATTEMPTED', error: describeError(error), cause: error };
  return { kind: 'UNKNOWN', error: describeError(error) };
}

/** True when the platform's business layer certainly never saw the call, so nothing can have moved. */
function neverReachedPlatform(error: unknown): boolean {
  if (error instanceof UpstreamError) {
    return error.delivery === 'NOT_SENT' || (error.delivery === 'REJECTED' && error instanceof PlatformSystemError);
  }
  // Thrown before anything was sent: no token within the 2-minute rule, unloadable credentials,
  // or a request the client's wire limits refuse.
  return (
    error instanceof TokenUnavailableError ||
    error instanceof ConfigurationError ||
    error instanceof KeyFormatError ||
    error instanceof ValidationError
  );
}

function describeError(error: unknown): LedgerError {
  if (error instanceof GatewayError) return { code: error.code, message: error.message.slice(0, 500) };
  if (error instanceof Error) return { code: 'INTERNAL', message: `${error.name}: ${error.message}`.slice(0, 500) };
  return { code: 'INTERNAL', message: String(error).slice(0, 500) };
}

function assertPositiveFen(amountFen: number): void {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) {
    throw new ValidationError('tranamt must be a positive whole number of fen', 'tranamt');
  }
}

function paymentOrder(input: PaymentInput): NewOrder {
  assertPositiveFen(input.amountFen);
  const order = {
    orderNo: input.orderNo,
    type: 'PAYMENT' as const,
    account: input.account,
    acctype: input.acctype,
    mercacc: input.mercacc,
    amountFen: input.amountFen,
    ...(input.remark ? { remark: input.remark } : {}),
    ...(input.attach ? { attach: input.attach } : {}),
    ...(input.termid !== undefined ? { termid: input.termid } : {}),
  };
  return { ...order, requestHash: requestHash(order) };
}

function refundOrder(input: RefundInput): NewOrder {
  assertPositiveFen(input.amountFen);
  if (input.refundOrderNo === input.orderNo) {
    throw new ValidationError('refund_order_no must name another order than order_no', 'refund_order_no');
  }
  const order = {
    orderNo: input.orderNo,
    type: 'REFUND' as const,
    account: input.account,
    acctype: input.acctype,
    mercacc: input.mercacc,
    amountFen: input.amountFen,
    refundOrderNo: input.refundOrderNo,
    ...(input.termid !== undefined ? { termid: input.termid } : {}),
  };
  return { ...order, requestHash: requestHash(order) };
}

/** The parameters that define an order, in the order a conflict is reported (wire names). */
const DEFINING_FIELDS = [
  ['type', (o: Omit<NewOrder, 'requestHash'>) => o.type],
  ['account', (o) => o.account],
  ['acctype', (o) => o.acctype],
  ['mercacc', (o) => o.mercacc],
  ['tranamt', (o) => o.amountFen],
  ['remark', (o) => o.remark ?? null],
  ['attach', (o) => o.attach ?? null],
  ['termid', (o) => o.termid ?? null],
  ['refund_order_no', (o) => o.refundOrderNo ?? null],
] as const satisfies readonly (readonly [string, (order: Omit<NewOrder, 'requestHash'>) => string | number | null])[];

/** sha256 over the defining parameters: equal hash ⇔ a replay of the same request. */
export function requestHash(order: Omit<NewOrder, 'requestHash'>): string {
  const values = DEFINING_FIELDS.map(([, pick]) => pick(order));
  return createHash('sha256').update(JSON.stringify(['v1', ...values])).digest('hex');
}

function assertSameRequest(stored: LedgerRecord, order: NewOrder): void {
  if (stored.requestHash === order.requestHash) return;
  for (const [field, pick] of DEFINING_FIELDS) {
    if (pick(stored) !== pick(order)) throw new OrderConflictError(order.orderNo, field);
  }
  throw new OrderConflictError(order.orderNo, 'request');
}

export function toOrderRecord(record: LedgerRecord): OrderRecord {
  return {
    orderNo: record.orderNo,
    type: record.type,
    status: record.status,
    account: record.account,
    acctype: record.acctype,
    mercacc: record.mercacc,
    amountFen: record.amountFen,
    ...(record.outId !== undefined ? { outId: record.outId } : {}),
    ...(record.refundOrderNo !== undefined ? { refundOrderNo: record.refundOrderNo } : {}),
    ...(record.type === 'PAYMENT' ? { refundedFen: record.refundedFen ?? 0 } : {}),
    ...(record.status === 'FAILED' && record.error ? { error: record.error } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    tradeDay: record.tradeDay,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
