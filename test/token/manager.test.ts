// Proves the token manager on dynalite with a manual clock: memory → table → renewal, the
// margins, the 2-minute spacing (even after 40017), lease takeover after a crash, safe logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoTokenStore, type TokenStore } from '../../lib/token/store.js';
import { createTokenManager, tokenFingerprint, type TokenManagerOptions } from '../../lib/token/manager.js';
import { GarbledResponseError, PlatformBusyError } from '../../lib/protocol/errors.js';
import { PlatformTimeoutError } from '../../lib/platform/errors.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { countingStore, fakeTokenCall, manualClock, type ManualClock } from './fakes.js';
import { rejection } from '../support/rejection.js';
import { redact } from '../../lib/observability/redaction.js';

let dynamo: TestDynamo;
let store: TokenStore;
let appKeyCounter = 0;

const SPACING = 120_000;
const LEASE = 10_000;
const HOUR = 3_600_000;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createDynamoTokenStore({ client: dynamo.client, tableName: dynamo.tables.tokenTable });
});
afterAll(async () => dynamo.close());

interface Fixture {
  readonly appKey: string;
  readonly clock: ManualClock;
  readonly platform: ReturnType<typeof fakeTokenCall>;
  /** A fresh instance (cold container) on the shared table. */
  instance(overrides?: Partial<TokenManagerOptions>): ReturnType<typeof createTokenManager>;
}

function fixture(platformOptions: Parameters<typeof fakeTokenCall>[0] = {}): Fixture {
  const appKey = `app-${++appKeyCounter}`;
  const clock = manualClock();
  const platform = fakeTokenCall(platformOptions);
  return {
    appKey,
    clock,
    platform,
    instance: (overrides = {}) =>
      createTokenManager({
        store,
        appKey,
        fetchToken: platform.fetch,
        now: clock.now,
        minIssueIntervalMs: SPACING,
        leaseMs: LEASE,
        pollInitialMs: 5,
        pollMaxMs: 20,
        maxWaitMs: 200,
        ...overrides,
      }),
  };
}

describe('token manager: reading', () => {
  it('fetches once when cold, then serves the warm path from memory without any I/O', async () => {
    const f = fixture();
    const counted = countingStore(store);
    const manager = f.instance({ store: counted });
    const token = await manager.get();
    expect(token).toBe(f.platform.current);
    expect(f.platform.calls).toBe(1);
    const ioAfterCold = { ...counted.counts };
    for (let i = 0; i < 50; i++) expect(await manager.get()).toBe(token);
    expect(counted.counts).toEqual(ioAfterCold);
  });

  it('joins concurrent callers in one container onto one resolution', async () => {
    const f = fixture({ delayMs: 20 });
    const counted = countingStore(store);
    const manager = f.instance({ store: counted });
    const tokens = await Promise.all(Array.from({ length: 30 }, () => manager.get()));
    expect(new Set(tokens).size).toBe(1);
    expect(f.platform.calls).toBe(1);
    expect(counted.counts.read).toBe(1);
    expect(counted.counts.acquireLease).toBe(1);
  });

  it('a second cold instance takes the token from the table, not the platform', async () => {
    const f = fixture();
    const first = await f.instance().get();
    f.clock.advance(HOUR);
    expect(await f.instance().get()).toBe(first);
    expect(f.platform.calls).toBe(1);
  });
});

describe('token manager: clock edges', () => {
  it('uses expiresInSeconds for the expiry: a short-lived token is renewed once inside the margin', async () => {
    const f = fixture({ expiresInSeconds: 600 });
    const manager = f.instance({ refreshMarginSeconds: 300 });
    const first = await manager.get();
    f.clock.advance(300_000 - 1); // 300 s + 1 ms left: outside the margin
    expect(await manager.get()).toBe(first);
    expect(f.platform.calls).toBe(1);
    f.clock.advance(1); // exactly the margin left: renew
    const second = await manager.get();
    expect(second).not.toBe(first);
    expect(f.platform.calls).toBe(2);
    const record = await store.read(f.appKey);
    expect(record?.expiresAt).toBe(f.clock.now() + 600_000);
  });

  it('a 7200 s token is not renewed at 600 s of age (expiry follows expires_in, not a constant)', async () => {
    const f = fixture({ expiresInSeconds: 7200 });
    const manager = f.instance();
    const first = await manager.get();
    f.clock.advance(600_000);
    expect(await f.instance().get()).toBe(first);
    expect(await manager.get()).toBe(first);
    expect(f.platform.calls).toBe(1);
  });

  it('renews an expired token', async () => {
    const f = fixture({ expiresInSeconds: 7200 });
    const manager = f.instance();
    const first = await manager.get();
    f.clock.advance(7200_000 + 1);
    const second = await manager.get();
    expect(second).not.toBe(first);
    expect(second).toBe(f.platform.current);
  });

  it('inside the margin but within the spacing: serves the still-valid token, makes no call', async () => {
    // 130 s lifetime, 120 s margin: the token is inside the margin right after issue.
    const f = fixture({ expiresInSeconds: 130 });
    const manager = f.instance({ refreshMarginSeconds: 120 });
    const first = await manager.get();
    f.clock.advance(60_000);
    expect(await manager.get()).toBe(first);
    expect(await f.instance({ refreshMarginSeconds: 120 }).get()).toBe(first);
    expect(f.platform.calls).toBe(1);
    f.clock.advance(60_000); // spacing elapsed, still inside the margin: renew
    expect(await manager.get()).not.toBe(first);
    expect(f.platform.calls).toBe(2);
  });

  it('expired and within the spacing: TokenUnavailableError with the seconds until the next allowed call', async () => {
    const f = fixture({ expiresInSeconds: 60 });
    const manager = f.instance({ refreshMarginSeconds: 10 });
    await manager.get();
    f.clock.advance(60_000);
    const error = await rejection(manager.get());
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).retryAfterSeconds).toBe(60);
    expect((error as TokenUnavailableError).retryable).toBe(true);
    f.clock.advance(59_500);
    expect((await rejection(manager.get())) as TokenUnavailableError).toMatchObject({ retryAfterSeconds: 1 });
    f.clock.advance(500);
    await manager.get();
    expect(f.platform.calls).toBe(2);
  });

  it('rejects an issued token without a usable expiry, releasing the lease but counting the call', async () => {
    const f = fixture();
    const manager = f.instance({
      fetchToken: async () => ({ accessToken: 'tok-with-bad-expiry', expiresInSeconds: Number.NaN }),
    });
    expect(await rejection(manager.get())).toBeInstanceOf(GarbledResponseError);
    const record = await store.read(f.appKey);
    expect(record).toEqual({ version: 0, fetchedAt: f.clock.now() });
  });
});

describe('token manager: invalidation and the 2-minute rule', () => {
  it('after 40017 within the spacing: 503-style TokenUnavailableError, never a token call', async () => {
    const f = fixture();
    const a = f.instance();
    const b = f.instance();
    const token = await a.get();
    expect(await b.get()).toBe(token);
    f.clock.advance(30_000);
    await a.invalidate(token);
    expect((await store.read(f.appKey))?.token).toBeUndefined();
    const fromA = await rejection(a.get());
    expect(fromA).toBeInstanceOf(TokenUnavailableError);
    expect((fromA as TokenUnavailableError).retryAfterSeconds).toBe(90);
    // b still has the token in memory; once it fails too, b is told to wait as well.
    await b.invalidate(token);
    expect(await rejection(b.get())).toBeInstanceOf(TokenUnavailableError);
    expect(f.platform.calls).toBe(1);
    f.clock.advance(90_000);
    const renewed = await b.get();
    expect(renewed).not.toBe(token);
    expect(await a.get()).toBe(renewed);
    expect(f.platform.calls).toBe(2);
  });

  it('invalidating a token that was already replaced is a no-op: the newer token is served', async () => {
    const f = fixture();
    const a = f.instance();
    const b = f.instance();
    const old = await a.get();
    expect(await b.get()).toBe(old);
    f.clock.advance(SPACING);
    await a.invalidate(old);
    const fresh = await a.get();
    expect(f.platform.calls).toBe(2);
    // b learns of the new token only through its own 40017 on the old one.
    expect(await b.get()).toBe(old);
    await b.invalidate(old);
    expect((await store.read(f.appKey))?.token).toBe(fresh);
    expect(await b.get()).toBe(fresh);
    expect(f.platform.calls).toBe(2);
  });

  it('never serves a token it has seen fail, even if the table still holds it', async () => {
    const f = fixture();
    const manager = f.instance();
    const token = await manager.get();
    const broken = { ...store, invalidate: async () => { throw new Error('table unavailable'); } };
    const instance = f.instance({ store: broken });
    expect(await instance.get()).toBe(token);
    await instance.invalidate(token); // the conditional delete fails; the local mark remains
    expect((await store.read(f.appKey))?.token).toBe(token);
    expect(await rejection(instance.get())).toBeInstanceOf(TokenUnavailableError);
    f.clock.advance(SPACING);
    expect(await instance.get()).not.toBe(token);
    expect(f.platform.calls).toBe(2);
  });

  it('a failed token call releases the lease and still counts for the spacing', async () => {
    const f = fixture();
    f.platform.failNext(new PlatformBusyError('-1'));
    const manager = f.instance();
    expect(await rejection(manager.get())).toBeInstanceOf(PlatformBusyError);
    expect(await store.read(f.appKey)).toEqual({ version: 0, fetchedAt: f.clock.now() });
    const other = f.instance();
    expect(await rejection(other.get())).toBeInstanceOf(TokenUnavailableError);
    expect(f.platform.calls).toBe(1);
    f.clock.advance(SPACING);
    expect(await other.get()).toBe(f.platform.current);
    expect(f.platform.calls).toBe(2);
  });
});

/** The shared table behind a lease write that takes 3 s (a table slow under load). */
function slowLeaseStore(clock: ManualClock): TokenStore {
  return {
    ...store,
    acquireLease: async (appKey, input) => {
      const taken = await store.acquireLease(appKey, input);
      clock.advance(3_000);
      return taken;
    },
  };
}

describe('token manager: the spacing counts from the send', () => {
  /** A lease write that takes 3 s (a table slow under load), and a token call that notes when it was sent. */
  function slowLeaseFixture(answers: readonly ('lost' | 'token')[]) {
    const f = fixture();
    const sent: number[] = [];
    const slowStore = slowLeaseStore(f.clock);
    const fetchToken: TokenManagerOptions['fetchToken'] = async ({ beforeSend } = {}) => {
      beforeSend?.();
      sent.push(f.clock.now());
      // 'lost': the platform issued a token but the answer never came (a drop after commit, a timeout).
      if (answers[sent.length - 1] === 'lost') throw new PlatformTimeoutError(1_000, 'UNKNOWN');
      return { accessToken: `tok-${sent.length}-${'x'.repeat(24)}`, expiresInSeconds: 7200 };
    };
    const instance = () => f.instance({ store: slowStore, fetchToken, tokenCallMs: 1_000 });
    return { f, sent, instance };
  }

  it('after a lost answer: no instance calls again until the spacing has passed since the call went out', async () => {
    const { f, sent, instance } = slowLeaseFixture(['lost', 'token']);
    const leaseTakenAt = f.clock.now();
    const a = instance();
    const lost = await rejection(a.get());
    expect(lost).toBeInstanceOf(PlatformTimeoutError);
    expect(sent).toEqual([leaseTakenAt + 3_000]);
    expect(a.retryAfterSeconds?.(lost)).toBe(SPACING / 1000);

    // The spacing after the lease was taken is only 117 s after the call the platform counts.
    f.clock.set(leaseTakenAt + SPACING);
    const b = instance();
    expect(await rejection(b.get())).toBeInstanceOf(TokenUnavailableError);
    expect(await rejection(a.get())).toBeInstanceOf(TokenUnavailableError);
    expect(sent).toHaveLength(1);

    f.clock.set((sent[0] as number) + SPACING);
    expect(await b.get()).toBe(`tok-2-${'x'.repeat(24)}`);
    expect((sent[1] as number) - (sent[0] as number)).toBeGreaterThanOrEqual(SPACING);
  });

  it('after a token: a renewal after 40017 waits the spacing since the call that got it went out', async () => {
    const { f, sent, instance } = slowLeaseFixture(['token', 'token']);
    const leaseTakenAt = f.clock.now();
    const a = instance();
    const first = await a.get();
    await a.invalidate(first);
    f.clock.set(leaseTakenAt + SPACING);
    expect(await rejection(instance().get())).toBeInstanceOf(TokenUnavailableError);
    expect(sent).toHaveLength(1);
    f.clock.set((sent[0] as number) + SPACING);
    expect(await instance().get()).not.toBe(first);
    expect((sent[1] as number) - (sent[0] as number)).toBeGreaterThanOrEqual(SPACING);
  });
});

describe('token manager: lease holder crash', () => {
  it('a holder that crashed after a late send: a takeover still waits the spacing since the latest send its lease allowed', async () => {
    // The lease write takes 3 s, the call goes out then and the holder dies: no publish, no release records
    // when it was sent, so the store must count from the latest moment the lease let it send.
    const f = fixture();
    const sent: number[] = [];
    const slowStore = slowLeaseStore(f.clock);
    const hangAfterSend: TokenManagerOptions['fetchToken'] = async ({ beforeSend } = {}) => {
      beforeSend?.();
      sent.push(f.clock.now());
      return new Promise<never>(() => undefined); // the instance died mid-call
    };
    const leaseTakenAt = f.clock.now();
    void f.instance({ store: slowStore, fetchToken: hangAfterSend, tokenCallMs: 1_000 }).get();
    await waitFor(async () => sent.length === 1);
    expect(sent[0]).toBe(leaseTakenAt + 3_000);

    const takeover = () => f.instance({ fetchToken: f.platform.fetch, tokenCallMs: 1_000 });
    f.clock.set(leaseTakenAt + SPACING); // the lease lapsed long ago and 120 s passed since the lease write...
    expect(await rejection(takeover().get())).toBeInstanceOf(TokenUnavailableError); // ...but not since the send
    expect(f.platform.calls).toBe(0);
    f.clock.set(leaseTakenAt + LEASE - 1_000 + SPACING); // the latest send the lease allowed, + 120 s
    expect(await takeover().get()).toBe(f.platform.current);
    expect(f.platform.calls).toBe(1);
  });

  it('others wait (bounded), then take over after lease expiry and spacing; the late holder cannot publish', async () => {
    const f = fixture();
    f.platform.hold();
    const crashed = f.instance();
    const crashedResult = crashed.get(); // takes the lease, then hangs in the token call
    await waitFor(async () => (await store.read(f.appKey))?.leaseOwner !== undefined);
    const lease = await store.read(f.appKey);
    expect(lease?.leaseUntil).toBe(f.clock.now() + LEASE);

    const waiter = f.instance({ maxWaitMs: 60 });
    const whileLeased = await rejection(waiter.get());
    expect(whileLeased).toBeInstanceOf(TokenUnavailableError);
    expect((whileLeased as TokenUnavailableError).retryAfterSeconds).toBe(10);

    f.clock.advance(LEASE); // lease lapsed, but the hung call counts for the spacing
    const afterLease = await rejection(waiter.get());
    expect((afterLease as TokenUnavailableError).retryAfterSeconds).toBe(110);
    expect(f.platform.calls).toBe(1);

    f.clock.advance(SPACING - LEASE);
    const takeover = f.instance();
    const takeoverResult = takeover.get();
    await waitFor(async () => (await store.read(f.appKey))?.leaseOwner !== lease?.leaseOwner);
    expect(f.platform.calls).toBe(2);
    f.platform.release(); // both calls return; the crashed holder's late publish must lose
    const [takenOver, late] = await Promise.all([takeoverResult, crashedResult]);
    const record = await store.read(f.appKey);
    expect(record?.token).toBe(takenOver);
    expect(record?.fetchedAt).toBe(f.clock.now());
    expect(record?.version).toBe(1);
    // The woken holder did not publish its (now dead) token; it returns the takeover's.
    expect(late).toBe(takenOver);
    expect(f.platform.calls).toBe(2);
  });
});

describe('token manager: scheduled renewal', () => {
  it('renewIfDue renews within min(30 min, half the lifetime) of expiry, else reports the expiry', async () => {
    const f = fixture({ expiresInSeconds: 7200 });
    const manager = f.instance();
    const first = await manager.renewIfDue();
    expect(first.renewed).toBe(true);
    f.clock.advance(HOUR);
    expect(await manager.renewIfDue()).toEqual({ renewed: false, expiresAt: first.expiresAt });
    f.clock.advance(30 * 60_000); // exactly 30 min left
    const second = await manager.renewIfDue();
    expect(second.renewed).toBe(true);
    expect(second.expiresAt).toBe(f.clock.now() + 7200_000);
    expect(f.platform.calls).toBe(2);
    // The request path on another instance sees the new token straight from the table.
    expect(await f.instance().get()).toBe(f.platform.current);
  });

  it('for short-lived tokens the proactive margin is half the lifetime', async () => {
    const f = fixture({ expiresInSeconds: 600 });
    const manager = f.instance({ refreshMarginSeconds: 60, minIssueIntervalMs: 1_000 });
    await manager.renewIfDue();
    f.clock.advance(300_000 - 1);
    expect((await manager.renewIfDue()).renewed).toBe(false);
    f.clock.advance(1);
    expect((await manager.renewIfDue()).renewed).toBe(true);
  });

  it('renewIfDue respects the spacing and leaves a still-valid token in place', async () => {
    const f = fixture({ expiresInSeconds: 7200 });
    const manager = f.instance({ proactiveMarginSeconds: 7200 });
    const first = await manager.renewIfDue();
    f.clock.advance(60_000);
    expect(await manager.renewIfDue()).toEqual({ renewed: false, expiresAt: first.expiresAt });
    expect(f.platform.calls).toBe(1);
  });
});

describe('token manager: logs', () => {
  it('never logs a token, only its fingerprint', async () => {
    const f = fixture();
    const lines: string[] = [];
    const logger = {
      info: (message: string, attributes?: Record<string, unknown>) => lines.push(message + JSON.stringify(attributes)),
      warn: (message: string, attributes?: Record<string, unknown>) => lines.push(message + JSON.stringify(attributes)),
    };
    const manager = f.instance({ logger });
    const token = await manager.get();
    await manager.invalidate(token);
    f.clock.advance(SPACING);
    f.platform.failNext(new PlatformBusyError('-1'));
    await manager.get().catch(() => undefined);
    f.clock.advance(SPACING);
    const next = await manager.get();
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const all = lines.join('\n');
    expect(all).toContain(tokenFingerprint(token));
    for (const secret of [token, next]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.slice(0, 12));
    }
    expect(tokenFingerprint(token)).toMatch(/^sha256:[0-9a-f]{8}\/len\d+$/);
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never held');
}

describe('token manager: table outage', () => {
  it('serves its still-valid in-memory token when the table fails inside the margin; fails when cold', async () => {
    const f = fixture({ expiresInSeconds: 600 });
    let tableDown = false;
    const flaky: TokenStore = {
      ...store,
      read: async (appKey) => {
        if (tableDown) throw new Error('ProvisionedThroughputExceeded');
        return store.read(appKey);
      },
    };
    const manager = f.instance({ store: flaky });
    const token = await manager.get();
    tableDown = true;
    f.clock.advance(400_000); // inside the 300 s margin, 200 s before expiry
    expect(await manager.get()).toBe(token);
    await expect(f.instance({ store: flaky }).get()).rejects.toThrow('ProvisionedThroughputExceeded');
    f.clock.advance(200_000); // expired: nothing left to serve
    await expect(manager.get()).rejects.toThrow('ProvisionedThroughputExceeded');
  });

  it('logs the fingerprint where the redaction of the gateway keeps it (not under a secret key name)', async () => {
    const f = fixture();
    const lines: string[] = [];
    // The replacer the shared Logger applies to every line (lib/observability/redaction.ts).
    const record = (message: string, attributes?: Record<string, unknown>) => lines.push(message + JSON.stringify(redact(attributes ?? {})));
    const manager = f.instance({ logger: { info: record, warn: record } });
    const token = await manager.get();
    await manager.invalidate(token);
    const all = lines.join('\n');
    expect(all).toContain(tokenFingerprint(token));
    expect(all).not.toContain('[REDACTED]');
    expect(all).not.toContain(token);
  });
});
