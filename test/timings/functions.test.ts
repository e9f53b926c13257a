// The Lambda sizing in infra/constructs/handlers.ts against lib/timings.ts at the default platform
// timeout: the scheduled functions must outlive what they wait for, or they end without finishing.
import { describe, expect, it } from 'vitest';
import { HANDLERS, type HandlerName } from '../../infra/constructs/handlers.js';
import { BILL_FUNCTION_TIMEOUT_MS, DEFAULT_TIMINGS, MARGIN_MS } from '../../lib/timings.js';

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

  it('down-bill\'s timeout is the one lib/timings.ts checks the bill body idle bound against', () => {
    expect(timeoutMs('down-bill')).toBe(BILL_FUNCTION_TIMEOUT_MS);
  });

  it('a bill body stalled at its first chunk, after the longest call, fails and is dropped inside down-bill\'s time', () => {
    expect(DEFAULT_TIMINGS.callMs + DEFAULT_TIMINGS.billBodyIdleMs + MARGIN_MS).toBeLessThan(timeoutMs('down-bill'));
  });
});
