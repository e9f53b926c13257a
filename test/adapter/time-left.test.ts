// timeLeft (lib/adapter/time-left.ts): the budget handlers give work that must stop in time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeLeft } from '../../lib/adapter/time-left.js';
import { API_GATEWAY_TIMEOUT_MS } from '../../lib/function-timeouts.js';

afterEach(() => vi.useRealTimers());

describe('timeLeft', () => {
  it('a scheduled run gets the Lambda\'s remaining time, and no bound without a context', () => {
    expect(timeLeft({ getRemainingTimeInMillis: () => 123_456 }, 'schedule').remainingMs?.()).toBe(123_456);
    expect(timeLeft(undefined, 'schedule')).toEqual({});
  });

  it('a route is cut at API Gateway\'s timeout from now, or sooner when the Lambda ends first', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const route = timeLeft({ getRemainingTimeInMillis: () => 300_000 }, 'route');
    vi.advanceTimersByTime(4_000);
    expect(route.remainingMs?.()).toBe(API_GATEWAY_TIMEOUT_MS - 4_000);
    expect(timeLeft({ getRemainingTimeInMillis: () => 7_000 }, 'route').remainingMs?.()).toBe(7_000);
    expect(timeLeft(undefined, 'route').remainingMs?.()).toBe(API_GATEWAY_TIMEOUT_MS);
  });

  it('the function\'s own remaining time is given on a route and on a schedule, not cut at API Gateway\'s timeout', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const route = timeLeft({ getRemainingTimeInMillis: () => 250_000 }, 'route');
    expect(route.functionRemainingMs?.()).toBe(250_000);
    expect(route.remainingMs?.()).toBe(API_GATEWAY_TIMEOUT_MS);
    expect(timeLeft({ getRemainingTimeInMillis: () => 123_456 }, 'schedule').functionRemainingMs?.()).toBe(123_456);
    expect(timeLeft(undefined, 'route').functionRemainingMs).toBeUndefined();
  });
});
