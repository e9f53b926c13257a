// The Lambda sizing in infra/constructs/handlers.ts against lib/timings.ts at the default platform
// timeout: the scheduled functions must outlive what they wait for, or they end without finishing.
import { describe, expect, it } from 'vitest';
import { HANDLERS, type HandlerName } from '../../infra/constructs/handlers.js';
import { resolveWhileTimeLeft } from '../../lib/ledger/settler.js';
import { NOTHING_SETTLED } from '../../lib/ledger/settlement.js';
import { BILL_FUNCTION_TIMEOUT_MS, DEFAULT_TIMINGS, deriveTimings, MARGIN_MS, MAX_PLATFORM_TIMEOUT_MS } from '../../lib/timings.js';

const timeoutMs = (name: HandlerName): number => {
  const spec = HANDLERS.find((handler) => handler.name === name);
  if (!spec) throw new Error(`no handler ${name}`);
  return spec.timeoutSeconds * 1000;
};

describe('function timeouts and the derived timings', () => {
  it('the settlement run has time to sweep before its reserve', () => {
    expect(timeoutMs('pay-query')).toBeGreaterThan(DEFAULT_TIMINGS.settleReserveMs);
  });

  it('the scheduled token renewal outlives one token read (a wait, then a renewal under a lease)', () => {
    expect(timeoutMs('access-token')).toBeGreaterThan(DEFAULT_TIMINGS.tokenReadMs);
  });

  it('pay and refund outlive one money call at its longest (a slow token read included) and its ledger writes', () => {
    for (const timings of [DEFAULT_TIMINGS, deriveTimings({ platformTimeoutMs: MAX_PLATFORM_TIMEOUT_MS })]) {
      for (const name of ['pay', 'refund'] as const) expect(timeoutMs(name), name).toBeGreaterThan(timings.callMs + MARGIN_MS);
    }
  });

  it('down-bill\'s last pay.query batch, at its longest, ends with the time to store the download left', async () => {
    let clock = 0;
    // Settlement reaches its next batch with just the reserve left; the batch takes one whole call (callMs).
    const deadline = DEFAULT_TIMINGS.billSettleReserveMs;
    const batches: number[] = [];
    await resolveWhileTimeLeft(
      {
        resolvePending: async () => {
          batches.push(clock);
          clock += DEFAULT_TIMINGS.callMs;
          return NOTHING_SETTLED;
        },
      },
      ['o-1', ...Array.from({ length: 60 }, (_, i) => `o-${i + 2}`)],
      { reserveMs: DEFAULT_TIMINGS.billSettleReserveMs, remainingMs: () => deadline - clock },
    );
    expect(batches).toEqual([0]); // one batch started, the second not (it would outlive the function)
    expect(deadline - clock).toBeGreaterThanOrEqual(MARGIN_MS);
    // The settler's own reserve would not do for down-bill: its last batch would end past the function's end.
    expect(DEFAULT_TIMINGS.settleReserveMs - DEFAULT_TIMINGS.callMs).toBeLessThan(0);
  });

  it('down-bill\'s timeout is the one lib/timings.ts checks the bill body idle bound against', () => {
    expect(timeoutMs('down-bill')).toBe(BILL_FUNCTION_TIMEOUT_MS);
  });

  it('a bill body stalled at its first chunk, after the longest call, fails and is dropped inside down-bill\'s time', () => {
    expect(DEFAULT_TIMINGS.callMs + DEFAULT_TIMINGS.billBodyIdleMs + MARGIN_MS).toBeLessThan(timeoutMs('down-bill'));
  });
});
