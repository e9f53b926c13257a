// The Lambda and API Gateway timeouts that lib/ derives bounds from and infra/ configures, one constant each, so a bound
// lib/timings.ts checks is the function's real timeout (infra/ may import this module: test/architecture).

/** down-bill's Lambda timeout (infra/constructs/handlers.ts); lib/timings.ts bounds the platform timeout by it. */
export const BILL_FUNCTION_TIMEOUT_SECONDS = 300;

/**
 * How long API Gateway waits for a function's answer on a route (the REST API's integration timeout, 29 s
 * unless a quota raise), whatever the function's own timeout: a route's work must end before it.
 */
export const API_GATEWAY_TIMEOUT_MS = 29_000;
