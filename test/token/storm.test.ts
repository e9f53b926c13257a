// The storm: 200 cold instances (own store and fresh memory, one table) ask for the token
// at once → exactly one token call. A token killed mid-storm → exactly one more, once allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoTokenStore } from '../../lib/token/store.js';
import { createTokenManager, type TokenManager } from '../../lib/token/manager.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { fakeTokenCall, manualClock, type FakeTokenCall, type ManualClock } from './fakes.js';

const INSTANCES = 200;
const SPACING = 300;

let dynamo: TestDynamo;
let clients: DynamoDBClient[];
let appKeyCounter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  // 20 DynamoDB clients shared round-robin (each instance still has its own store, manager and
  // memory): the conditional writes are decided by the table, and 200 sockets only slow dynalite.
  const pool = Array.from({ length: 20 }, () => dynamo.newClient());
  clients = Array.from({ length: INSTANCES }, (_, i) => pool[i % pool.length]!);
});
afterAll(async () => dynamo.close());

function coldFleet(platform: FakeTokenCall, clock: ManualClock): TokenManager[] {
  const appKey = `storm-${++appKeyCounter}`;
  return clients.map((client) =>
    createTokenManager({
      store: createDynamoTokenStore({ client, tableName: dynamo.tables.tokenTable }),
      appKey,
      fetchToken: platform.fetch,
      now: clock.now,
      minIssueIntervalMs: SPACING,
      leaseMs: 10_000,
    }),
  );
}

type Outcome = { ok: true; token: string } | { ok: false; error: unknown };

/** One business call as the platform client makes it: on 40017, invalidate and retry once. */
async function businessCall(manager: TokenManager, platform: FakeTokenCall, beforeUse?: () => void): Promise<Outcome> {
  try {
    let token = await manager.get();
    beforeUse?.();
    if (platform.accepts(token)) return { ok: true, token };
    await manager.invalidate(token);
    token = await manager.get();
    if (platform.accepts(token)) return { ok: true, token };
    return { ok: false, error: new Error('40017 twice') };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('token storm (200 cold instances, one table)', { timeout: 120_000 }, () => {
  it('makes exactly one token call, and every instance gets that token', async () => {
    const platform = fakeTokenCall({ delayMs: 50 });
    const clock = manualClock();
    const fleet = coldFleet(platform, clock);
    const tokens = await Promise.all(fleet.map((manager) => manager.get()));
    expect(platform.calls).toBe(1);
    expect(new Set(tokens)).toEqual(new Set([platform.current]));
  });

  it('after the token is killed: 503 before the spacing allows, then exactly one more call', async () => {
    const platform = fakeTokenCall({ delayMs: 50 });
    const clock = manualClock();
    const fleet = coldFleet(platform, clock);
    const first = await Promise.all(fleet.map((manager) => businessCall(manager, platform)));
    expect(first.every((outcome) => outcome.ok)).toBe(true);
    expect(platform.calls).toBe(1);

    // The platform drops the token 100 ms after it was issued: spacing (300 ms) forbids a new call.
    platform.revoke();
    clock.advance(100);
    const early = await Promise.all(fleet.map((manager) => businessCall(manager, platform)));
    expect(platform.calls).toBe(1);
    for (const outcome of early) {
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(TokenUnavailableError);
      expect((error as TokenUnavailableError).retryable).toBe(true);
      expect((error as TokenUnavailableError).retryAfterSeconds).toBe(1);
    }

    // Once the spacing has elapsed, the retries bring exactly one more call, shared by all.
    clock.advance(200);
    const retried = await Promise.all(fleet.map((manager) => businessCall(manager, platform)));
    expect(platform.calls).toBe(2);
    expect(retried.every((outcome) => outcome.ok)).toBe(true);
    expect(new Set(retried.map((outcome) => (outcome as { token: string }).token))).toEqual(new Set([platform.current]));
  });

  it('a token killed in the middle of a storm (spacing already elapsed) costs exactly one more call', async () => {
    const platform = fakeTokenCall({ delayMs: 50 });
    const clock = manualClock();
    const fleet = coldFleet(platform, clock);
    await Promise.all(fleet.map((manager) => manager.get()));
    expect(platform.calls).toBe(1);
    clock.advance(SPACING);

    let used = 0;
    const killAfterHalf = (): void => {
      used += 1;
      if (used === INSTANCES / 2) platform.revoke();
    };
    const outcomes = await Promise.all(fleet.map((manager) => businessCall(manager, platform, killAfterHalf)));
    const failures = outcomes.filter((outcome) => !outcome.ok);
    // No failure at all here: the renewal is allowed, and waiters poll the table for it.
    expect(failures).toEqual([]);
    expect(platform.calls).toBe(2);
  });
});
