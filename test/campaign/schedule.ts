// The campaign's seeded schedule: which operations the clients send, in which order, through which
// instance, and which platform fault is queued just before each. The same seed gives the same schedule.
import type { SandboxFault } from '../../lib/sandbox/index.js';

/** mulberry32: a small, fast PRNG; enough for a reproducible schedule. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type OpKind = 'pay' | 'refund' | 'replay' | 'conflict' | 'card' | 'query';

export interface Op {
  readonly seq: number;
  readonly kind: OpKind;
  readonly caller: 'canteen' | 'library';
  readonly account: string;
  readonly fen: number;
  /** 0 ≤ pick < 1: which earlier order a refund, replay or conflict takes. */
  readonly pick: number;
  /** 0-based instance index (modulo the fleet's size). */
  readonly instance: number;
  readonly fault?: SandboxFault;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly payments: number;
  readonly refunds: number;
  readonly replays: number;
  readonly conflicts: number;
  /** Card queries and pay.query batches, each. */
  readonly reads: number;
  /** Share of operations with a fault queued before them. */
  readonly faultRate: number;
  /** The client-side timeout of the instances (a latency spike past it becomes a timeout). */
  readonly platformTimeoutMs: number;
  readonly instances: number;
}

/** The faults a schedule draws from, each with its weight. */
export function faultMenu(platformTimeoutMs: number): readonly (readonly [SandboxFault, number])[] {
  return [
    [{ type: 'latency', ms: Math.round(platformTimeoutMs / 4) }, 3], // a spike the call survives
    [{ type: 'latency', ms: platformTimeoutMs * 2 }, 2], // a spike past the timeout: applied, unanswered in time
    [{ type: 'busy' }, 3],
    [{ type: 'timeout' }, 1],
    [{ type: 'dropAfterCommit' }, 2],
    [{ type: 'badSignature' }, 2],
    [{ type: 'gbkText' }, 2],
    [{ type: 'emptyRequest', signing: 'omitted' }, 1], // with the next error envelope: signed without `request`
    [{ type: 'emptyRequest', signing: 'named' }, 1], // … or with its name kept in the sign string
    [{ type: 'systemError', errcode: '40018' }, 1],
    [{ type: 'invalidateToken' }, 1],
    [{ type: 'retcode', retcode: '60010', errmsg: '余额不足' }, 2], // business refusals
    [{ type: 'retcode', retcode: '60013', errmsg: '账户冻结' }, 1],
    [{ type: 'plusAsSpace' }, 1],
    [{ type: 'garbled' }, 1],
  ];
}

/**
 * The faults the token call itself meets, in the order a run's token rounds take them (the same seed, the
 * same order): first one whose answer is lost after the platform issued a new token (so the old token is
 * dead and the new one unknown to the gateway), then the rest of timeout, busy, drop after commit and bad
 * signature, then a latency spike past the timeout and a GBK text answer. Each costs the fleet one spacing.
 */
export function tokenFaultRounds(seed: number, count: number, platformTimeoutMs: number): SandboxFault[] {
  const random = prng(seed ^ 0x70c3);
  const shuffled = <T>(list: readonly T[]): T[] => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  const [first, ...lost] = shuffled<SandboxFault>([{ type: 'dropAfterCommit' }, { type: 'timeout' }, { type: 'badSignature' }]);
  const named = shuffled<SandboxFault>([...lost, { type: 'busy' }]);
  const others = shuffled<SandboxFault>([{ type: 'latency', ms: platformTimeoutMs * 2 }, { type: 'gbkText' }]);
  return [first as SandboxFault, ...named, ...others].slice(0, Math.max(0, count));
}

/** The accounts payments draw from: three funded ones, and rarely one without money or with a lost card. */
const ACCOUNT_PICKS: readonly (readonly [string, number])[] = [
  ['32718', 30],
  ['32719', 30],
  ['32723', 30],
  ['32720', 2],
  ['32721', 1],
];

function weighted<T>(random: () => number, menu: readonly (readonly [T, number])[]): T {
  const total = menu.reduce((sum, [, weight]) => sum + weight, 0);
  let at = random() * total;
  for (const [value, weight] of menu) {
    at -= weight;
    if (at < 0) return value;
  }
  return (menu.at(-1) as readonly [T, number])[0];
}

export function buildSchedule(options: ScheduleOptions): Op[] {
  const random = prng(options.seed);
  const kinds: OpKind[] = [
    ...Array<OpKind>(options.payments).fill('pay'),
    ...Array<OpKind>(options.refunds).fill('refund'),
    ...Array<OpKind>(options.replays).fill('replay'),
    ...Array<OpKind>(options.conflicts).fill('conflict'),
    ...Array<OpKind>(options.reads).fill('card'),
    ...Array<OpKind>(options.reads).fill('query'),
  ];
  // Fisher–Yates, then the first payments moved to the front so refunds and replays have something to take.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as OpKind, kinds[i] as OpKind];
  }
  const lead = Math.max(4, Math.floor(options.payments / 20));
  const pays = kinds.filter((kind) => kind === 'pay').slice(0, lead);
  const rest = [...kinds];
  for (let moved = 0; moved < pays.length; moved++) rest.splice(rest.indexOf('pay'), 1);
  const ordered = [...pays, ...rest];
  const menu = faultMenu(options.platformTimeoutMs);
  return ordered.map((kind, seq) => {
    const fault = random() < options.faultRate ? weighted(random, menu) : undefined;
    return {
      seq,
      kind,
      caller: random() < 0.6 ? 'canteen' : 'library',
      account: weighted(random, ACCOUNT_PICKS),
      fen: 1 + Math.floor(random() * 5_000),
      pick: random(),
      instance: Math.floor(random() * options.instances),
      ...(fault ? { fault } : {}),
    };
  });
}
