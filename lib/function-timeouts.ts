// The Lambda and API Gateway timeouts that lib/ derives bounds from and infra/ configures, one constant each, so a bound
// lib/timings.ts checks is the function's real timeout (infra/ may import this module: test/architecture).

/** down-bill's Lambda timeout (infra/constructs/handlers.ts); lib/timings.ts bounds the platform timeout by it. */
export const BILL_FUNCTION_TIMEOUT_SECONDS = 300;

/**
 * pay's and refund's Lambda timeout (infra/constructs/handlers.ts): one money call at its longest (lib/timings.ts
 * callMs, a slow token read included: 71 s at the largest platform timeout) and its ledger writes. API Gateway
 * answers at 29 s; the function goes on to record the outcome, or to withdraw an order the platform never saw.
 * test/timings/functions.test.ts holds it above callMs + MARGIN_MS at the default and the largest platform timeout.
 */
export const MONEY_FUNCTION_TIMEOUT_SECONDS = 80;

/**
 * How long API Gateway waits for a function's answer on a route (the REST API's integration timeout, 29 s
 * unless a quota raise), whatever the function's own timeout: a route's work must end before it.
 */
export const API_GATEWAY_TIMEOUT_MS = 29_000;
