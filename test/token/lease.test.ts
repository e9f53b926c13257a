// The renewal lease bounds when its holder may send (lib/token/manager.ts): the token call leaves only
// while, run to its timeout, it still ends inside the lease; otherwise a retryable 503 and no send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/errors.js';
import type { TokenCallOptions } from '../../lib/platform/types.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { createTokenManager } from '../../lib/token/manager.js';
import { createDynamoTokenStore, type TokenStore } from '../../lib/token/store.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { rejection } from '../support/rejection.js';
import { fakeTokenCall, manualClock } from './fakes.js';

const SPACING = 120_000;
const LEASE = 65_000;
const TOKEN_CALL = 60_000;

let dynamo: TestDynamo;
let store: TokenStore;
let appKeyCounter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createDynamoTokenStore({ client: dynamo.client, tableName: dynamo.tables.tokenTable });
});
afterAll(async () => dynamo.close());

/** A holder whose token call is delayed by `stallMs` (on the manual clock) before it would be sent. */
function stalledHolder(stallMs: number) {
  const appKey = `lease-${++appKeyCounter}`;
  const clock = manualClock();
  const platform = fakeTokenCall();
  const manager = createTokenManager({
    store,
    appKey,
    now: clock.now,
    minIssueIntervalMs: SPACING,
    leaseMs: LEASE,
    tokenCallMs: TOKEN_CALL,
    fetchToken: async (call: TokenCallOptions) => {
      clock.advance(stallMs);
      call.beforeSend?.();
      return platform.fetch();
    },
  });
  return { appKey, clock, platform, manager };
}

describe('the lease bounds the token call', () => {
  it('sends when the call, run to its timeout, still ends inside the lease (the boundary included)', async () => {
    const h = stalledHolder(LEASE - TOKEN_CALL);
    expect(await h.manager.get()).toBe(h.platform.current);
    expect(h.platform.calls).toBe(1);
  });

  it('does not send once it could outlast the lease: retryable 503 for the rest of the spacing, lease given up', async () => {
    const h = stalledHolder(LEASE - TOKEN_CALL + 1);
    const started = h.clock.now();
    const error = await rejection(h.manager.get());
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).retryable).toBe(true);
    expect((error as TokenUnavailableError).retryAfterSeconds).toBe(Math.ceil((started + SPACING - h.clock.now()) / 1000));
    expect(h.platform.calls).toBe(0);
    const record = await store.read(h.appKey);
    expect(record?.leaseOwner).toBeUndefined();
  });

  it('refuses a lease shorter than its token call, naming the relation', () => {
    const error = (() => {
      try {
        createTokenManager({ store, appKey: 'x', fetchToken: fakeTokenCall().fetch, leaseMs: 15_000, tokenCallMs: 60_000 });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('leaseMs >= tokenCallMs');
  });
});
