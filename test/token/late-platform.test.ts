// The token rule at the longest platform timeout (SYNJONES_TIMEOUT_MS=MAX_PLATFORM_TIMEOUT_MS): two runtimes on one
// table and the sandbox, on one manual clock, with a platform that answers late. The lease covers the
// holder's token call, and a holder whose lease has run out before its call left never sends it.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../lib/runtime.js';
import type { CredentialsSource } from '../../lib/platform/types.js';
import { createStaticSource } from '../../lib/secrets/index.js';
import { deriveTimings, MAX_PLATFORM_TIMEOUT_MS } from '../../lib/timings.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { createDynamoTokenStore, type TokenStore } from '../../lib/token/store.js';
import { rejection } from '../support/rejection.js';
import { describeTokenCallLog, TOKEN_METHOD, useTokenRig } from '../support/token-rig.js';

/** 60 s until down-bill's worst case bounded the timeout (lib/timings.ts): 10217 ms now (three token reads and four downloads a run). */
const TIMEOUT_MS = MAX_PLATFORM_TIMEOUT_MS;
const AT_MAX = deriveTimings({ platformTimeoutMs: TIMEOUT_MS });

const rig = useTokenRig({ start: new Date(Date.UTC(2026, 11, 1, 2, 0, 0)), tablePrefix: 'late-platform-tokens' });
const { clock, tokenCalls } = rig;

/** A credentials source whose reads can be held (a slow secret read between lease and send). */
function gatedSource(): CredentialsSource & { hold(): void; release(): void; readonly waiting: boolean } {
  const inner = createStaticSource(rig.sandbox.secret, { requirePlatformKey: true });
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let waiting = false;
  const pass = async (): Promise<void> => {
    if (!gate) return;
    waiting = true;
    await gate;
    waiting = false;
  };
  return {
    get: async () => (await pass(), inner.get()),
    refresh: async () => (await pass(), inner.refresh()),
    hold: () => {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release: () => {
      gate = undefined;
      open?.();
    },
    get waiting() {
      return waiting;
    },
  };
}

/** A fleet of runtimes configured from the environment SYNJONES_TIMEOUT_MS=TIMEOUT_MS, on a fresh token table. */
async function fleet(size: number): Promise<{ runtimes: Runtime[]; sources: ReturnType<typeof gatedSource>[]; store: TokenStore }> {
  const tokenTable = await rig.freshTokenTable();
  const env = { SYNJONES_TIMEOUT_MS: String(TIMEOUT_MS) };
  const sources = Array.from({ length: size }, () => gatedSource());
  const runtimes = await Promise.all(
    sources.map((credentials, i) => rig.runtime(tokenTable, { env, credentials, instanceId: `instance-${i}` })),
  );
  return { runtimes, sources, store: createDynamoTokenStore({ client: rig.dynamo.client, tableName: tokenTable }) };
}

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never held');
}

describe('token rule at the longest SYNJONES_TIMEOUT_MS with a late platform', { timeout: 60_000 }, () => {
  it('the runtime leases for the token call plus the margin (T + 5 s), not the old 15 s', async () => {
    const { runtimes, sources, store } = await fleet(1);
    const [a] = runtimes as [Runtime];
    expect(a.timings).toEqual(AT_MAX);
    sources[0]!.hold();
    const pending = a.tokens.get();
    await waitFor(() => sources[0]!.waiting);
    const record = await store.read(rig.sandbox.secret.app_key);
    // Taken now, for the call plus the margin; until the send is recorded, fetched_at is the latest send the lease allows.
    expect((record?.leaseUntil ?? 0) - clock.now().getTime()).toBe(AT_MAX.tokenLeaseMs);
    expect((record?.leaseUntil ?? 0) - (record?.fetchedAt ?? 0)).toBe(AT_MAX.tokenCallMs);
    expect(AT_MAX.tokenLeaseMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    sources[0]!.release();
    await pending;
  });

  it('a holder whose lease ran out before its token call left never sends it: one token call, no dead token', async () => {
    const { runtimes, sources } = await fleet(2);
    const [a, b] = runtimes as [Runtime, Runtime];
    clock.advance(10 * 60_000); // well past any earlier test's token call
    const before = tokenCalls();

    // a takes the lease, then its secret read stalls before the token call is sent.
    sources[0]!.hold();
    const fromA = a.tokens.get();
    await waitFor(() => sources[0]!.waiting);

    // The stall outlasts a's lease and the 2-minute spacing: b may (and does) renew, and the platform
    // answers b late. While b's call is in flight, a wakes up.
    clock.advance(AT_MAX.tokenLeaseMs + 120_000);
    rig.sandbox.faults.inject({ type: 'latency', ms: 300 }, { methods: [TOKEN_METHOD] });
    const fromB = b.tokens.get();
    await waitFor(() => tokenCalls() === before + 1);
    sources[0]!.release();

    const errorOfA = await rejection(fromA);
    expect(errorOfA).toBeInstanceOf(TokenUnavailableError);
    expect((errorOfA as TokenUnavailableError).retryable).toBe(true);
    const token = await fromB;
    expect(tokenCalls()).toBe(before + 1);
    expect(rig.sandbox.state.calls.filter((call) => call.method === TOKEN_METHOD).at(-1)?.retcode).toBe('0');

    // b's token is alive for the whole fleet: a's retry uses it without another token call.
    expect(await a.tokens.get()).toBe(token);
    expect((await a.platform.queryCard({ idtype: 'sno', id: '2015032719' })).map((card) => card.account)).toEqual(['32719']);
    expect(tokenCalls()).toBe(before + 1);
  });
});

describeTokenCallLog(rig);
