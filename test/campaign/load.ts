// The campaign's load: concurrent clients work through the seeded schedule against the fleet, each
// as a campus system would (a 503 retried after Retry-After with the same body, a 202/502/504 read
// back once), while the op's fault is queued at the sandbox just before its request leaves.
import { formatYuan } from '../../lib/protocol/money.js';
import { SANDBOX_METHODS, type Sandbox, type SandboxFault } from '../../lib/sandbox/index.js';
import type { CampaignInstance } from './stack.js';
import { sleep, type Answer, type Tally } from './http.js';
import type { Op } from './schedule.js';

/** One payment or refund order the clients created, with what they learnt of it. */
export interface SentOrder {
  readonly orderNo: string;
  readonly type: 'PAYMENT' | 'REFUND';
  readonly path: '/v1/payments' | '/v1/refunds';
  readonly caller: 'canteen' | 'library';
  readonly body: Record<string, unknown>;
  readonly fen: number;
  /** Set once an answer said SUCCESS (200), with the out_id it gave. */
  outId?: string;
  /** Payments: fen of refunds asked so far (so a refund can be made to exceed on purpose). */
  refundAskedFen: number;
}

export interface LoadOptions {
  readonly sandbox: Sandbox;
  readonly instances: readonly CampaignInstance[];
  readonly tally: Tally;
  readonly ops: readonly Op[];
  readonly clients: number;
  /** Tags this run's order_nos (so two runs on one platform never share one). */
  readonly runTag: string;
  /** The token spacing the platform keeps: a token invalidation is queued only once a new token may be fetched. */
  readonly tokenSpacingMs: number;
  /** The longest wait for a Retry-After, and how often a 503 is retried. */
  readonly maxRetryWaitMs: number;
  readonly maxRetries: number;
  /**
   * Called by the client that reaches op `at`, before it. The other clients keep going meanwhile, but
   * no further than `ahead` ops past it until the step calls `resume()`: load is left for after it.
   */
  readonly midRun?: { readonly at: number; readonly ahead: number; readonly run: (control: LoadControl) => Promise<void> };
  readonly progress?: (done: number, total: number) => void;
}

/** What a mid-run step can change: faults off while it measures, and when the held-back clients go on. */
export interface LoadControl {
  suspendFaults(suspended: boolean): void;
  resume(): void;
}

export interface LoadResult {
  readonly orders: Map<string, SentOrder>;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly faultsQueued: Record<string, number>;
  /** Invalidations drawn before the platform would allow a new token, put off until it would (else the fleet waits out the spacing). */
  readonly invalidationsDeferred: number;
  /** A promise of the API broken, seen by a client at once (a replay of a SUCCESS order not answered the same, …). */
  readonly violations: string[];
  readonly counts: Record<string, number>;
}

/**
 * The load's faults hit business calls. A failed token call costs the fleet a whole spacing (503
 * TOKEN_UNAVAILABLE until the next call is allowed), so token faults get rounds of their own (campaign.ts).
 */
const FAULTED_METHODS = [SANDBOX_METHODS.pay, SANDBOX_METHODS.refund, SANDBOX_METHODS.payQuery, SANDBOX_METHODS.queryCard];

/** When the platform last saw a token call (any answer, faults included): its spacing counts from there. */
export function lastTokenCallAt(sandbox: Sandbox): number | undefined {
  const calls = sandbox.state.calls;
  for (let i = calls.length - 1; i >= 0; i--) {
    const call = calls[i];
    if (call?.method === SANDBOX_METHODS.accessToken) return call.at.getTime();
  }
  return undefined;
}

/** A fault as the faults line counts it. */
export function faultName(fault: SandboxFault): string {
  return fault.type === 'latency' ? `latency ${fault.ms} ms` : fault.type === 'emptyRequest' ? `emptyRequest ${fault.signing}` : fault.type === 'retcode' ? `retcode ${fault.retcode}` : fault.type;
}

const MERCHANTS = { canteen: ['1001', '1002'], library: ['2001', '1001'] } as const;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { sandbox, tally, ops } = options;
  const orders = new Map<string, SentOrder>();
  const paid: SentOrder[] = [];
  const faultsQueued: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const violations: string[] = [];
  let invalidationsDeferred = 0;
  let suspended = false;
  let next = 0;
  let done = 0;
  const count = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const urlOf = (instance: number): CampaignInstance => options.instances[instance % options.instances.length] as CampaignInstance;

  /** A drawn token invalidation waits until the platform would allow a new token, then goes with the next op. */
  let invalidationOwed = false;
  const newTokenAllowed = (): boolean => {
    const lastCall = lastTokenCallAt(sandbox);
    return lastCall !== undefined && sandbox.clock.now().getTime() - lastCall >= options.tokenSpacingMs + 1_000;
  };
  const queueFault = (op: Op): void => {
    if (suspended) return;
    if (invalidationOwed && newTokenAllowed()) {
      invalidationOwed = false;
      inject({ type: 'invalidateToken' });
    }
    if (!op.fault) return;
    if (op.fault.type === 'invalidateToken' && !newTokenAllowed()) {
      if (!invalidationOwed) invalidationsDeferred += 1;
      invalidationOwed = true;
      return;
    }
    inject(op.fault);
  };
  const inject = (fault: SandboxFault): void => {
    sandbox.faults.inject(fault, { methods: FAULTED_METHODS });
    const name = faultName(fault);
    faultsQueued[name] = (faultsQueued[name] ?? 0) + 1;
  };

  const learn = (order: SentOrder, answer: Answer | undefined): void => {
    if (answer?.status === 200 && answer.body?.status === 'SUCCESS' && typeof answer.body.out_id === 'string') {
      if (order.outId !== undefined && order.outId !== answer.body.out_id) {
        violations.push(`${order.orderNo}: answered SUCCESS with out_id ${order.outId}, later ${answer.body.out_id}`);
      }
      if (order.outId === undefined && order.type === 'PAYMENT') paid.push(order);
      order.outId = answer.body.out_id as string;
    }
  };

  /** Sends an order's body as its client would, retrying a 503 after Retry-After and reading back an unknown outcome once. */
  const submit = async (op: Op, order: SentOrder, caller: string = order.caller): Promise<Answer | undefined> => {
    let answer: Answer | undefined;
    let noToken = false;
    for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
      if (attempt === 0) queueFault(op);
      answer = await tally.send(urlOf(op.instance).url, urlOf(op.instance).index, { method: 'POST', path: order.path, json: order.body, caller });
      if (caller === order.caller) learn(order, answer);
      if (answer?.status !== 503) break;
      count('503 retried');
      if (answer.code === 'TOKEN_UNAVAILABLE') noToken = true;
      await sleep(Math.min(options.maxRetryWaitMs, (answer.retryAfterSeconds ?? 1) * 1000));
    }
    if (noToken) {
      const paidNow = answer?.status === 200 && answer.body?.status === 'SUCCESS';
      count(paidNow ? 'no token, then SUCCESS' : answer?.code === 'TOKEN_UNAVAILABLE' ? 'no token to the end' : 'no token, then answered');
    }
    if (caller === order.caller && answer && [202, 502, 504].includes(answer.status)) {
      // The outcome is not known: read it back once, through another instance, as a client would.
      await sleep(300);
      const read = await tally.send(urlOf(op.instance + 1).url, urlOf(op.instance + 1).index, {
        method: 'GET',
        path: `/v1/payments/${order.orderNo}`,
        caller: order.caller,
      });
      learn(order, read);
    }
    return answer;
  };

  const run = async (op: Op): Promise<void> => {
    const pickFrom = <T>(list: readonly T[]): T | undefined => list[Math.floor(op.pick * list.length)];
    if (op.kind === 'pay' || ((op.kind === 'refund' || op.kind === 'replay' || op.kind === 'conflict') && (paid.length === 0 || orders.size === 0))) {
      const merchants = MERCHANTS[op.caller];
      const order: SentOrder = {
        orderNo: `${options.runTag}-${op.seq.toString(36)}`,
        type: 'PAYMENT',
        path: '/v1/payments',
        caller: op.caller,
        fen: op.fen,
        refundAskedFen: 0,
        body: {
          order_no: `${options.runTag}-${op.seq.toString(36)}`,
          account: op.account,
          tranamt: formatYuan(op.fen),
          mercacc: merchants[op.seq % merchants.length],
          ...(op.seq % 7 === 0 ? { remark: '食堂 campaign', attach: `seq=${op.seq},caller=${op.caller}` } : {}),
        },
      };
      orders.set(order.orderNo, order);
      count('payments sent');
      await submit(op, order);
      return;
    }
    if (op.kind === 'refund') {
      const original = pickFrom(paid) as SentOrder;
      // Most refunds fit; one in eight asks for what is left and more, to meet REFUND_EXCEEDS_PAYMENT.
      const left = original.fen - original.refundAskedFen;
      const fen = op.pick * 8 % 1 < 0.125 || left < 1 ? Math.max(1, left + 1) : Math.max(1, Math.floor(left * (0.2 + 0.5 * ((op.pick * 97) % 1))));
      original.refundAskedFen += fen;
      const order: SentOrder = {
        orderNo: `${options.runTag}-${op.seq.toString(36)}`,
        type: 'REFUND',
        path: '/v1/refunds',
        caller: original.caller,
        fen,
        refundAskedFen: 0,
        body: {
          order_no: `${options.runTag}-${op.seq.toString(36)}`,
          refund_order_no: original.orderNo,
          account: original.body.account,
          tranamt: formatYuan(fen),
          mercacc: original.body.mercacc,
        },
      };
      orders.set(order.orderNo, order);
      count('refunds sent');
      await submit(op, order);
      return;
    }
    if (op.kind === 'replay') {
      const order = pickFrom([...orders.values()]) as SentOrder;
      const knownSuccess = order.outId;
      count('replays sent');
      const answer = await submit(op, order);
      if (knownSuccess !== undefined && answer && (answer.status !== 200 || answer.body?.out_id !== knownSuccess)) {
        violations.push(`replay of SUCCESS ${order.orderNo} answered ${answer.status} ${answer.code ?? answer.body?.out_id ?? ''}`);
      }
      return;
    }
    if (op.kind === 'conflict') {
      const order = pickFrom([...orders.values()]) as SentOrder;
      const knownSuccess = order.outId !== undefined;
      // The same order_no with another amount, or (one in three) the same body from the other caller.
      const otherCaller = op.pick * 3 % 1 < 0.34;
      const body = otherCaller ? order.body : { ...order.body, tranamt: formatYuan(order.fen + 1) };
      const caller = otherCaller ? (order.caller === 'canteen' ? 'library' : 'canteen') : order.caller;
      count('conflicting reuses sent');
      queueFault(op);
      const answer = await tally.send(urlOf(op.instance).url, urlOf(op.instance).index, { method: 'POST', path: order.path, json: body, caller });
      if (answer?.status === 409) count('conflicts answered 409');
      if (knownSuccess && answer && answer.status !== 409 && !(otherCaller && answer.status === 403)) {
        violations.push(`conflicting reuse of SUCCESS ${order.orderNo} answered ${answer.status} ${answer.code ?? ''}`);
      }
      return;
    }
    if (op.kind === 'card') {
      count('card queries sent');
      queueFault(op);
      await tally.send(urlOf(op.instance).url, urlOf(op.instance).index, {
        method: 'POST',
        path: '/v1/cards/query',
        json: { idtype: 'sno', id: op.seq % 2 === 0 ? '2015032718' : '2015032719' },
        caller: 'canteen',
      });
      return;
    }
    const mine = [...orders.values()].filter((order) => order.caller === op.caller);
    const start = Math.floor(op.pick * Math.max(1, mine.length - 5));
    const queries = mine.slice(start, start + 5).map((order) => ({ account: order.body.account, order_no: order.orderNo }));
    if (queries.length === 0) return;
    count('pay.query batches sent');
    queueFault(op);
    await tally.send(urlOf(op.instance).url, urlOf(op.instance).index, { method: 'POST', path: '/v1/payments/query', json: { queries }, caller: op.caller });
  };

  let resume = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    resume = resolve;
  });
  const control: LoadControl = {
    suspendFaults(value) {
      suspended = value;
      if (value) sandbox.faults.clear();
    },
    resume: () => resume(),
  };
  const client = async (): Promise<void> => {
    for (;;) {
      const seq = next++;
      const op = ops[seq];
      if (!op) return;
      if (options.midRun && seq > options.midRun.at + options.midRun.ahead) await held;
      if (options.midRun && seq === options.midRun.at) {
        try {
          await options.midRun.run(control);
        } finally {
          resume();
        }
      }
      await run(op);
      done += 1;
      options.progress?.(done, ops.length);
    }
  };

  const startedAt = performance.now();
  await Promise.all(Array.from({ length: options.clients }, () => client()));
  const endedAt = performance.now();
  sandbox.faults.clear();
  return { orders, startedAt, endedAt, faultsQueued, invalidationsDeferred, violations, counts };
}
