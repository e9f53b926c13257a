// Test doubles for the token tests: a manual clock, a token call that counts itself (each new
// token kills the previous one, like the platform), and a store wrapper that counts reads.
import type { IssuedToken } from '../../lib/platform/types.js';
import type { TokenStore } from '../../lib/token/store.js';

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
  set(at: number): void;
}

export function manualClock(start = 1_800_000_000_000): ManualClock {
  let at = start;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
    set: (value) => {
      at = value;
    },
  };
}

export interface FakeTokenCall {
  /** How many token calls were made. */
  readonly calls: number;
  /** The only token the fake platform currently accepts. */
  readonly current: string | undefined;
  readonly fetch: () => Promise<IssuedToken>;
  /** Whether the fake platform would accept this token now. */
  accepts(token: string): boolean;
  /** The platform drops its token (as a redeploy or a foreign token call would). */
  revoke(): void;
  /** Makes the next call fail with this error (the call still counts). */
  failNext(error: Error): void;
  /** Makes calls wait until release() (simulates a hung or crashed holder). */
  hold(): void;
  release(): void;
}

export function fakeTokenCall(options: { delayMs?: number; expiresInSeconds?: number } = {}): FakeTokenCall {
  let calls = 0;
  let current: string | undefined;
  let nextFailure: Error | undefined;
  let gate: Promise<void> | undefined;
  let openGate: (() => void) | undefined;
  return {
    get calls() {
      return calls;
    },
    get current() {
      return current;
    },
    async fetch() {
      calls += 1;
      const serial = calls;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (gate) await gate;
      if (nextFailure) {
        const failure = nextFailure;
        nextFailure = undefined;
        throw failure;
      }
      current = `tok-${serial}-${'x'.repeat(24)}`;
      return { accessToken: current, expiresInSeconds: options.expiresInSeconds ?? 7200 };
    },
    accepts: (token) => token === current,
    revoke: () => {
      current = undefined;
    },
    failNext: (error) => {
      nextFailure = error;
    },
    hold: () => {
      gate = new Promise<void>((resolve) => (openGate = resolve));
    },
    release: () => {
      openGate?.();
      gate = undefined;
    },
  };
}

/** Wraps a store, counting every operation (to prove the warm path does no I/O). */
export function countingStore(inner: TokenStore): TokenStore & { readonly counts: Record<string, number> } {
  const counts: Record<string, number> = { read: 0, acquireLease: 0, publish: 0, releaseLease: 0, invalidate: 0 };
  const bump = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  return {
    counts,
    read: (...args) => (bump('read'), inner.read(...args)),
    acquireLease: (...args) => (bump('acquireLease'), inner.acquireLease(...args)),
    publish: (...args) => (bump('publish'), inner.publish(...args)),
    releaseLease: (...args) => (bump('releaseLease'), inner.releaseLease(...args)),
    invalidate: (...args) => (bump('invalidate'), inner.invalidate(...args)),
  };
}
