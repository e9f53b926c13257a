// A publish that fails after a successful token call (lib/token/manager.ts): the platform has already
// killed the old token, so the new one is published with bounded retries instead of being dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenManager, type TokenManagerOptions } from '../../lib/token/manager.js';
import { createDynamoTokenStore, type TokenStore } from '../../lib/token/store.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { rejection } from '../support/rejection.js';
import { countingStore, fakeTokenCall, manualClock } from './fakes.js';

let dynamo: TestDynamo;
let store: TokenStore;
let appKeyCounter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createDynamoTokenStore({ client: dynamo.client, tableName: dynamo.tables.tokenTable });
});
afterAll(async () => dynamo.close());

const throttled = (): Error => Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });

/** The real store, except that its next `failures` publishes throw. */
function failingPublishes(failures: number): TokenStore & { publishes: number } {
  let left = failures;
  const wrapped = {
    ...store,
    publishes: 0,
    publish: async (...args: Parameters<TokenStore['publish']>) => {
      wrapped.publishes += 1;
      if (left > 0) {
        left -= 1;
        throw throttled();
      }
      return store.publish(...args);
    },
  };
  return wrapped;
}

function fixture(storeUnderTest: TokenStore, overrides: Partial<TokenManagerOptions> = {}) {
  const appKey = `publish-${++appKeyCounter}`;
  const clock = manualClock();
  const platform = fakeTokenCall();
  const sleeps: number[] = [];
  const manager = createTokenManager({
    store: storeUnderTest,
    appKey,
    fetchToken: platform.fetch,
    now: clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    ...overrides,
  });
  return { appKey, clock, platform, sleeps, manager };
}

describe('publishing a new token', () => {
  it('retries a publish that failed after the token call, so the fleet gets the token the platform issued', async () => {
    const flaky = failingPublishes(2);
    const f = fixture(flaky);
    const token = await f.manager.get();
    expect(token).toBe(f.platform.current);
    expect(flaky.publishes).toBe(3);
    expect((await store.read(f.appKey))?.token).toBe(token);
    // Another instance reads it from the table: no second token call.
    const other = createTokenManager({ store, appKey: f.appKey, fetchToken: f.platform.fetch, now: f.clock.now });
    expect(await other.get()).toBe(token);
    expect(f.platform.calls).toBe(1);
  });

  it('gives up after a bounded backoff when the table keeps failing, with one token call', async () => {
    const down = failingPublishes(Number.POSITIVE_INFINITY);
    const f = fixture(down);
    const error = await rejection(f.manager.get());
    expect((error as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(down.publishes).toBeGreaterThan(1);
    expect(down.publishes).toBeLessThanOrEqual(5);
    expect(f.sleeps).toHaveLength(down.publishes - 1);
    expect(f.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(2_000);
    expect(f.platform.calls).toBe(1);
  });

  it('does not retry a publish refused by its condition (the lease went to another instance)', async () => {
    const counted = countingStore({ ...store, publish: async () => false });
    const f = fixture(counted, { maxWaitMs: 0 });
    await f.manager.get().catch(() => undefined);
    expect(counted.counts.publish).toBe(1);
    expect(f.platform.calls).toBe(1);
  });
});
