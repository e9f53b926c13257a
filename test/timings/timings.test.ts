// lib/timings.ts: every duration derived from the platform timeout and the sends per call, the
// relations between them held for every timeout the configuration could hold, and a broken one named.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig } from '../../lib/config.js';
import { MAX_SENDS_PER_CALL, TOKEN_CALL_SENDS } from '../../lib/platform/sends.js';
import { ConfigurationError } from '../../lib/errors.js';
import {
  DEFAULT_PLATFORM_TIMEOUT_MS,
  DEFAULT_TIMINGS,
  MARGIN_MS,
  MAX_PLATFORM_TIMEOUT_MS,
  OVERDUE_AFTER_MS,
  TOKEN_MAX_WAIT_MS,
  TOKEN_SPACING_MS,
  BILL_FUNCTION_TIMEOUT_MS,
  checkTimings,
  deriveTimings,
  type Timings,
} from '../../lib/timings.js';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_WAIT_MS, DEFAULT_MIN_ISSUE_INTERVAL_MS } from '../../lib/token/manager.js';
import { DEFAULT_SETTLE_OLDER_THAN_MS } from '../../lib/ledger/settler.js';
import { rejection } from '../support/rejection.js';
import { createPlatformClient } from '../../lib/platform/client.js';

/** The values main had as separate constants before lib/timings.ts (10 s timeout). */
const BEFORE = { tokenLeaseMs: 15_000, inFlightWindowMs: 30_000, notFoundGraceMs: 60_000, settleOlderThanMs: 60_000, settleReserveMs: 30_000 };

describe('timings at the default platform timeout', () => {
  it('a client call sends four times at most, the token call once', () => {
    expect(MAX_SENDS_PER_CALL).toBe(4);
    expect(TOKEN_CALL_SENDS).toBe(1);
    expect(DEFAULT_TIMINGS.sendsPerCall).toBe(MAX_SENDS_PER_CALL);
  });

  it('equals or exceeds every constant it replaces', () => {
    expect(DEFAULT_TIMINGS.platformTimeoutMs).toBe(10_000);
    expect(DEFAULT_TIMINGS.tokenLeaseMs).toBe(BEFORE.tokenLeaseMs);
    for (const [name, before] of Object.entries(BEFORE)) {
      expect(DEFAULT_TIMINGS[name as keyof Timings], name).toBeGreaterThanOrEqual(before);
    }
    expect(DEFAULT_TIMINGS).toMatchObject({
      tokenCallMs: 10_000,
      tokenLeaseMs: 15_000,
      tokenReadMs: 30_000,
      callMs: 70_000,
      inFlightWindowMs: 70_000,
      notFoundGraceMs: 85_000,
      settleOlderThanMs: 70_000,
      settleReserveMs: 45_000,
      billSettleReserveMs: 75_000,
    });
  });

  it('is what the consumers default to', () => {
    expect(DEFAULT_LEASE_MS).toBe(DEFAULT_TIMINGS.tokenLeaseMs);
    expect(DEFAULT_MAX_WAIT_MS).toBe(TOKEN_MAX_WAIT_MS);
    expect(DEFAULT_MIN_ISSUE_INTERVAL_MS).toBe(TOKEN_SPACING_MS);
    expect(DEFAULT_SETTLE_OLDER_THAN_MS).toBe(DEFAULT_TIMINGS.settleOlderThanMs);
    expect(loadConfig({}).platformTimeoutMs).toBe(DEFAULT_PLATFORM_TIMEOUT_MS);
  });

  it('at the longest timeout the lease outlasts the holder\'s token call (it lapsed mid-call at 15 s before)', () => {
    // 60 s until down-bill's worst case bounded the timeout (test/timings/limits.test.ts): 10217 ms now (three token reads and four downloads a run).
    const t = MAX_PLATFORM_TIMEOUT_MS;
    const atMax = deriveTimings({ platformTimeoutMs: t });
    expect(atMax.tokenLeaseMs).toBe(t + 5_000);
    expect(atMax.callMs).toBe(4 * t + (t + 20_000));
    expect(atMax.notFoundGraceMs).toBeGreaterThan(atMax.callMs + t);
  });
});

describe('timings for any timeout and sends per call', () => {
  it('derive every duration from the timeout and the sends, and hold every relation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PLATFORM_TIMEOUT_MS }), fc.integer({ min: 1, max: 8 }), (t, s) => {
        const x = deriveTimings({ platformTimeoutMs: t, sendsPerCall: s });
        expect(x.platformTimeoutMs).toBe(t);
        expect(x.sendsPerCall).toBe(s);
        // The token holder's lease covers its one send and the margin, and fits in the spacing.
        expect(x.tokenCallMs).toBe(TOKEN_CALL_SENDS * t);
        expect(x.tokenLeaseMs).toBeGreaterThanOrEqual(x.tokenCallMs + MARGIN_MS);
        expect(x.tokenLeaseMs).toBeLessThanOrEqual(TOKEN_SPACING_MS);
        expect(x.tokenReadMs).toBeGreaterThanOrEqual(TOKEN_MAX_WAIT_MS + x.tokenLeaseMs);
        // A call: every send to its timeout, plus one slow token read.
        expect(x.callMs).toBeGreaterThanOrEqual(s * t + x.tokenReadMs);
        expect(x.inFlightWindowMs).toBeGreaterThanOrEqual(x.callMs);
        expect(x.notFoundGraceMs).toBeGreaterThan(x.callMs + t);
        expect(x.settleOlderThanMs).toBeGreaterThanOrEqual(x.inFlightWindowMs);
        expect(x.settleReserveMs).toBeGreaterThan(s * t);
        expect(x.billSettleReserveMs).toBeGreaterThanOrEqual(x.callMs + MARGIN_MS);
        expect(Object.isFrozen(x)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('grow with the timeout: a longer timeout never shortens a derived duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PLATFORM_TIMEOUT_MS - 1 }), fc.integer({ min: 1, max: 1_000 }), (t, dt) => {
        const shorter = deriveTimings({ platformTimeoutMs: t });
        const longer = deriveTimings({ platformTimeoutMs: Math.min(MAX_PLATFORM_TIMEOUT_MS, t + dt) });
        for (const name of Object.keys(shorter) as (keyof Timings)[]) expect(longer[name], name).toBeGreaterThanOrEqual(shorter[name]);
      }),
    );
  });

  it('fail to derive outside 1..60000 ms or with no sends, as a configuration error', () => {
    for (const platformTimeoutMs of [0, -1, 1.5, Number.NaN, MAX_PLATFORM_TIMEOUT_MS + 1]) {
      expect(() => deriveTimings({ platformTimeoutMs }), String(platformTimeoutMs)).toThrow(ConfigurationError);
    }
    expect(() => deriveTimings({ platformTimeoutMs: 1_000, sendsPerCall: 0 })).toThrow(ConfigurationError);
  });
});

describe('checkTimings', () => {
  const broken: Array<[Partial<Timings>, string]> = [
    [{ tokenLeaseMs: 10_000 }, 'tokenLeaseMs >= tokenCallMs + MARGIN_MS'],
    [{ tokenCallMs: 9_999 }, 'tokenCallMs >= TOKEN_CALL_SENDS x platformTimeoutMs'],
    [{ tokenLeaseMs: TOKEN_SPACING_MS + 1, tokenReadMs: 1e9, callMs: 1e9, inFlightWindowMs: 1e9, settleOlderThanMs: 1e9 }, 'tokenLeaseMs <= TOKEN_SPACING_MS'],
    [{ tokenReadMs: 20_000 }, 'tokenReadMs >= TOKEN_MAX_WAIT_MS + tokenLeaseMs'],
    [{ callMs: 40_000 }, 'callMs >= sendsPerCall x platformTimeoutMs + tokenReadMs'],
    [{ inFlightWindowMs: 30_000 }, 'inFlightWindowMs >= callMs'],
    [{ notFoundGraceMs: 60_000 }, 'notFoundGraceMs > callMs + platformTimeoutMs'],
    [{ notFoundGraceMs: OVERDUE_AFTER_MS }, 'notFoundGraceMs < OVERDUE_AFTER_MS'],
    [{ settleOlderThanMs: 60_000 }, 'settleOlderThanMs >= inFlightWindowMs'],
    [{ settleReserveMs: 30_000 }, 'settleReserveMs > sendsPerCall x platformTimeoutMs'],
    [{ billSettleReserveMs: 70_000 }, 'billSettleReserveMs >= callMs + MARGIN_MS'],
  ];

  it.each(broken)('names the broken relation: %o', async (change, relation) => {
    const error = await rejection(Promise.resolve().then(() => checkTimings({ ...DEFAULT_TIMINGS, ...change })));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`timing relation violated: ${relation}`);
    expect((error as ConfigurationError).details).toMatchObject({ relation });
  });

  it('accepts the derived timings (the module checked them at load)', () => {
    expect(() => checkTimings(DEFAULT_TIMINGS)).not.toThrow();
  });
});

describe('the bill body idle bound (billBodyIdleMs)', () => {
  it('is one platform timeout, derived with the rest for any timeout', () => {
    expect(DEFAULT_TIMINGS.billBodyIdleMs).toBe(DEFAULT_PLATFORM_TIMEOUT_MS);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PLATFORM_TIMEOUT_MS }), (t) => {
        const x = deriveTimings({ platformTimeoutMs: t });
        expect(x.billBodyIdleMs).toBe(t);
        expect(x.billBodyIdleMs + MARGIN_MS).toBeLessThan(BILL_FUNCTION_TIMEOUT_MS);
      }),
    );
  });

  it.each([
    [{ billBodyIdleMs: 9_999 }, 'billBodyIdleMs >= platformTimeoutMs'],
    [{ billBodyIdleMs: BILL_FUNCTION_TIMEOUT_MS - MARGIN_MS }, 'billBodyIdleMs + MARGIN_MS < BILL_FUNCTION_TIMEOUT_MS'],
  ] as Array<[Partial<Timings>, string]>)('a bad bound is refused, naming its relation: %o', (change, relation) => {
    expect(() => checkTimings({ ...DEFAULT_TIMINGS, ...change })).toThrow(`timing relation violated: ${relation}`);
  });

  it('the platform client refuses timings whose idle bound breaks a relation when it is built', () => {
    const base = {
      apiUrl: 'http://127.0.0.1:9/onecard/uap/gateway.action',
      credentials: { get: async () => { throw new Error('unused'); }, refresh: async () => { throw new Error('unused'); } },
      tokens: { get: async () => 'token', invalidate: async () => undefined },
    };
    expect(() => createPlatformClient({ ...base, timings: { ...DEFAULT_TIMINGS, billBodyIdleMs: BILL_FUNCTION_TIMEOUT_MS } })).toThrow(ConfigurationError);
    expect(() => createPlatformClient({ ...base, timings: DEFAULT_TIMINGS, timeoutMs: 1_000 })).toThrow(ConfigurationError);
    expect(() => createPlatformClient({ ...base, timings: DEFAULT_TIMINGS })).not.toThrow();
  });
});
