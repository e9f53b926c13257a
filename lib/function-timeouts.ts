// The Lambda timeouts that lib/ derives bounds from and infra/ configures, one constant each, so that a bound
// lib/timings.ts checks is the function's real timeout (infra/ may import this module: test/architecture).

/** down-bill's Lambda timeout (infra/constructs/handlers.ts); lib/timings.ts bounds the platform timeout by it. */
export const BILL_FUNCTION_TIMEOUT_SECONDS = 300;
