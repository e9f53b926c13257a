// The largest platform timeout (lib/timings.ts MAX_PLATFORM_TIMEOUT_MS): the last one whose down-bill worst case
// ends inside down-bill's Lambda timeout, accepted at load; one more is refused, naming variable, value and maximum.
import { describe, expect, it } from 'vitest';
import { HANDLERS } from '../../infra/constructs/handlers.js';
import { loadConfig } from '../../lib/config.js';
import { ConfigurationError } from '../../lib/errors.js';
import { BILL_FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-timeouts.js';
import { MAX_SENDS_PER_CALL } from '../../lib/platform/sends.js';
import {
  BILL_FUNCTION_TIMEOUT_MS,
  MARGIN_MS,
  MAX_PLATFORM_TIMEOUT_MS,
  TOKEN_MAX_WAIT_MS,
  deriveTimings,
  downBillWorstCaseMs,
} from '../../lib/timings.js';
import { rejection } from '../support/rejection.js';

/**
 * down-bill's worst case worked out by hand: three slow token reads (one per renewal the 2-minute rule allows in
 * 300 s: the token call T, the token wait, 2 margins: lease and read, each), four downloads (the day's bill and the
 * next day's, each read again as GBK) of S sends and one idle T each, and a margin to drop the writers.
 */
const byHand = (t: number): number => 3 * (t + TOKEN_MAX_WAIT_MS + 2 * MARGIN_MS) + 4 * (MAX_SENDS_PER_CALL * t + t) + MARGIN_MS;

const refusal = async (value: number): Promise<ConfigurationError> => {
  const error = await rejection(Promise.resolve().then(() => loadConfig({ SYNJONES_TIMEOUT_MS: String(value) })));
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
};

describe('the largest platform timeout', () => {
  it('is the largest whose down-bill worst case ends inside the function timeout (10217 ms of 300 s)', () => {
    expect(BILL_FUNCTION_TIMEOUT_MS).toBe(300_000);
    expect(MAX_PLATFORM_TIMEOUT_MS).toBe(10_217);
    expect(byHand(MAX_PLATFORM_TIMEOUT_MS)).toBeLessThan(BILL_FUNCTION_TIMEOUT_MS);
    expect(byHand(MAX_PLATFORM_TIMEOUT_MS + 1)).toBeGreaterThanOrEqual(BILL_FUNCTION_TIMEOUT_MS);
  });

  it('is accepted at load, and its derived worst case fits', () => {
    const config = loadConfig({ SYNJONES_TIMEOUT_MS: String(MAX_PLATFORM_TIMEOUT_MS) });
    expect(config.platformTimeoutMs).toBe(MAX_PLATFORM_TIMEOUT_MS);
    const timings = deriveTimings({ platformTimeoutMs: config.platformTimeoutMs });
    expect(downBillWorstCaseMs(timings)).toBe(byHand(MAX_PLATFORM_TIMEOUT_MS));
    expect(downBillWorstCaseMs(timings)).toBeLessThan(BILL_FUNCTION_TIMEOUT_MS);
  });

  it.each([MAX_PLATFORM_TIMEOUT_MS + 1, 13_095, 45_833, 60_000])('%i ms is refused at load, naming the variable, the value and the maximum', async (value) => {
    const { message } = await refusal(value);
    expect(message).toContain(`SYNJONES_TIMEOUT_MS=${value} is out of range: allowed 100 to ${MAX_PLATFORM_TIMEOUT_MS} ms`);
    expect(message).toContain(`down-bill worst case fits its ${BILL_FUNCTION_TIMEOUT_SECONDS} s timeout`);
    expect(() => deriveTimings({ platformTimeoutMs: value })).toThrow(`from 1 to ${MAX_PLATFORM_TIMEOUT_MS} ms, not ${value}`);
  });

  it('a value below the minimum is named too; one that is no integer is refused by name only', async () => {
    expect((await refusal(99)).message).toContain(`SYNJONES_TIMEOUT_MS=99 is out of range: allowed 100 to ${MAX_PLATFORM_TIMEOUT_MS} ms`);
    const { message } = await refusal(Number.NaN);
    expect(message).toBe('invalid environment variable(s): SYNJONES_TIMEOUT_MS');
  });
});

describe("down-bill's timeout is the shared constant", () => {
  it('infra sets down-bill\'s timeout from lib/function-timeouts.ts, the one lib/timings.ts bounds by', () => {
    const downBill = HANDLERS.find((handler) => handler.name === 'down-bill');
    expect(downBill?.timeoutSeconds).toBe(BILL_FUNCTION_TIMEOUT_SECONDS);
    expect(BILL_FUNCTION_TIMEOUT_MS).toBe(BILL_FUNCTION_TIMEOUT_SECONDS * 1000);
  });
});

describe('the exceptions feed and the route stop inside the function timeout', () => {
  it('the feed\'s budget leaves EXCEPTIONS_FINISH_MS of down-bill\'s timeout, and a route ends before it too', async () => {
    const { EXCEPTIONS_BUDGET_MS, EXCEPTIONS_FINISH_MS, EXCEPTIONS_RESERVE_MS } = await import('../../lib/reconciliation/bill-consumer.js');
    const { API_GATEWAY_TIMEOUT_MS } = await import('../../lib/function-timeouts.js');
    expect(EXCEPTIONS_BUDGET_MS + EXCEPTIONS_FINISH_MS).toBe(BILL_FUNCTION_TIMEOUT_SECONDS * 1000);
    expect(EXCEPTIONS_BUDGET_MS).toBeGreaterThan(0);
    expect(EXCEPTIONS_FINISH_MS).toBeGreaterThan(EXCEPTIONS_RESERVE_MS);
    expect(API_GATEWAY_TIMEOUT_MS).toBeLessThan(BILL_FUNCTION_TIMEOUT_SECONDS * 1000);
  });
});
