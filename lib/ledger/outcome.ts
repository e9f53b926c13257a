// The outcome policy for money calls: which answers of pay/refund and of pay.query mean SUCCESS,
// FAILED, still PENDING, or "never reached the platform" (withdraw the order) — never FAILED while money may have moved.
//
// - Money call: MoneyMoved → SUCCESS. BusinessError → FAILED (the platform refused; no money moved), except
//   the business codes that say the platform already knows the order or faulted after it may have acted
//   (AMBIGUOUS_RETCODES) → PENDING. A call the platform's business layer certainly never saw (no token within
//   the 2-minute rule, connection refused, a system-level errcode such as 40018, credentials that do not
//   load) → NOT_ATTEMPTED: the PENDING record is withdrawn and the error thrown (a retryable 5xx), so the
//   client may send the same order_no again. Everything else (timeout, UNKNOWN delivery, busy, bad
//   signature, garbled, text, any other error) → PENDING with last_error.
// - pay.query order_status: 60/80 → SUCCESS, 77 → FAILED (ORDER_STATUS_77), 78 → FAILED (ORDER_STATUS_78)
//   only once the order is older than notFoundGraceMs (lib/timings.ts: longer than the longest client
//   call plus a platform timeout, so a call still in flight is never failed), anything else or a query
//   failure → stays PENDING. Before any of that, the answer must describe the order (settlement-terms.ts
//   compareTerms): an answer whose terms differ stays PENDING whatever its status, with the differences.
import { ConfigurationError, GatewayError, ValidationError } from '../errors.js';
import { BusinessError, KeyFormatError, PlatformSystemError, UpstreamError } from '../protocol/errors.js';
import { TokenUnavailableError } from '../token/errors.js';
import type { MoneyMoved, PayQueryResult } from '../platform/types.js';
import { OrderStatus, type LedgerError, type LedgerRecord } from './records.js';
import { compareTerms, mismatchError, payQueryRequired, payQueryTerms, type TermDifference } from './settlement-terms.js';

/** What a money call or a pay.query answer means for a PENDING order. */
export type CallOutcome =
  | { readonly kind: typeof OrderStatus.SUCCESS; readonly outId?: string }
  | { readonly kind: typeof OrderStatus.FAILED; readonly error: LedgerError }
  /** `differences`: the answer described another order (settlement-terms.ts). */
  | { readonly kind: 'UNKNOWN'; readonly error?: LedgerError; readonly differences?: readonly TermDifference[] }
  /** The platform never saw the call: withdraw the order and throw `cause`. */
  | { readonly kind: 'NOT_ATTEMPTED'; readonly error: LedgerError; readonly cause: unknown };

/**
 * Business codes that are not a refusal, so the outcome is unknown and pay.query decides: the platform
 * already has this order_no (60009, 60045, 60070, 60053 order state forbids it), or a fault on its
 * side that may come after the money moved (60001 internal error, 60037 one-card network fault).
 */
const AMBIGUOUS_RETCODES: ReadonlySet<string> = new Set(['60001', '60009', '60037', '60045', '60053', '60070']);

/** Makes a money call and says what its answer means. */
export async function callMoney(call: () => Promise<MoneyMoved>): Promise<CallOutcome> {
  try {
    const moved = await call();
    return { kind: OrderStatus.SUCCESS, outId: moved.outId };
  } catch (error) {
    return classifyMoneyError(error);
  }
}

/** Money-call failure → outcome: FAILED only when the platform certainly did not act. */
export function classifyMoneyError(error: unknown): CallOutcome {
  if (error instanceof BusinessError) {
    const described = { code: error.retcode, message: error.message };
    return AMBIGUOUS_RETCODES.has(error.retcode)
      ? { kind: 'UNKNOWN', error: described }
      : { kind: OrderStatus.FAILED, error: described };
  }
  if (neverReachedPlatform(error)) return { kind: 'NOT_ATTEMPTED', error: describeError(error), cause: error };
  return { kind: 'UNKNOWN', error: describeError(error) };
}

/** What pay.query's answer (undefined: none for this order) means for `record`, as of `at`. */
export function outcomeOfQuery(
  record: LedgerRecord,
  result: PayQueryResult | undefined,
  policy: { readonly at: Date; readonly notFoundGraceMs: number },
): CallOutcome {
  if (!result) return { kind: 'UNKNOWN', error: { code: 'NO_ANSWER', message: 'pay.query did not answer for the order' } };
  const differences = compareTerms(record, payQueryTerms(result), payQueryRequired(result));
  if (differences.length > 0) return { kind: 'UNKNOWN', error: mismatchError('pay.query', differences), differences };
  switch (result.orderStatus) {
    case '60':
    case '80':
      return result.outId ? { kind: OrderStatus.SUCCESS, outId: result.outId } : { kind: OrderStatus.SUCCESS };
    case '77':
      return {
        kind: OrderStatus.FAILED,
        error: { code: 'ORDER_STATUS_77', message: result.orderDesc || 'the platform reports the order failed' },
      };
    case '78': {
      const ageMs = policy.at.getTime() - Date.parse(record.createdAt);
      const error = { code: 'ORDER_STATUS_78', message: result.orderDesc || 'the platform has no record of the order' };
      return ageMs >= policy.notFoundGraceMs ? { kind: OrderStatus.FAILED, error } : { kind: 'UNKNOWN', error };
    }
    default:
      return {
        kind: 'UNKNOWN',
        error: {
          code: `ORDER_STATUS_${result.orderStatus}`,
          message: result.orderDesc || result.errmsg || 'the platform is still processing the order',
        },
      };
  }
}

/** An error as the ledger records it (code and a message of at most 500 characters). */
export function describeError(error: unknown): LedgerError {
  if (error instanceof GatewayError) return { code: error.code, message: error.message.slice(0, 500) };
  if (error instanceof Error) return { code: 'INTERNAL', message: `${error.name}: ${error.message}`.slice(0, 500) };
  return { code: 'INTERNAL', message: String(error).slice(0, 500) };
}

/** True when the platform's business layer certainly never saw the call, so nothing can have moved. */
function neverReachedPlatform(error: unknown): boolean {
  if (error instanceof UpstreamError) {
    return error.delivery === 'NOT_SENT' || (error.delivery === 'REJECTED' && error instanceof PlatformSystemError);
  }
  // Thrown before anything was sent: no token within the 2-minute rule, unloadable credentials,
  // or a request the client's wire limits refuse.
  return (
    error instanceof TokenUnavailableError ||
    error instanceof ConfigurationError ||
    error instanceof KeyFormatError ||
    error instanceof ValidationError
  );
}
