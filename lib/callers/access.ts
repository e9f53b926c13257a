// What a caller may do: its routes, the merchant accounts and amount of its payments and refunds,
// which orders are its own, and the scope that filters bills and exceptions to its merchants.
import { formatYuan } from '../protocol/money.js';
import { AmountOverLimitError, ForbiddenMerchantError, ForbiddenRouteError } from './errors.js';
import type { Caller } from './registry.js';
import type { CallerRoute } from './schema.js';

/** @throws ForbiddenRouteError when `route` is not among the caller's routes. */
export function assertRoute(caller: Caller, route: CallerRoute): void {
  if (!caller.routes.has(route)) throw new ForbiddenRouteError(caller.name, route);
}

/**
 * A payment or refund's merchant account and amount against the caller's permissions.
 * @throws ForbiddenMerchantError, AmountOverLimitError.
 */
export function assertOrderAllowed(caller: Caller, order: { readonly mercacc: string; readonly amountFen: number }): void {
  if (caller.mercacc !== '*' && !caller.mercacc.has(order.mercacc)) throw new ForbiddenMerchantError(caller.name);
  if (caller.maxTranamtFen !== undefined && order.amountFen > caller.maxTranamtFen) {
    throw new AmountOverLimitError(caller.name, formatYuan(caller.maxTranamtFen));
  }
}

/** What an order says of its owner: its caller (absent on items written before callers existed). */
export interface OwnedOrder {
  readonly caller?: string;
  readonly mercacc: string;
}

/**
 * True when `caller` may see and act on `order`: its own, or any with mercacc "*". An order written
 * before callers existed (no caller) belongs to the callers of its merchant account.
 */
export function owns(caller: Caller, order: OwnedOrder): boolean {
  if (caller.mercacc === '*') return true;
  if (order.caller !== undefined) return order.caller === caller.name;
  return caller.mercacc.has(order.mercacc);
}

/** Which merchant accounts a caller's bills, statements, reports and exceptions show. */
export interface CallerScope {
  /** True: everything (mercacc "*"). */
  readonly all: boolean;
  /** The caller's merchant accounts (empty when `all`). */
  readonly mercacc: ReadonlySet<string>;
  /** True when a row or order of this merchant account is shown. */
  includes(mercacc: string): boolean;
}

const EVERYTHING: CallerScope = { all: true, mercacc: new Set(), includes: () => true };

/** The filter for bills views: rows, summaries, counts and lists keep only what `includes` accepts. */
export function callerScope(caller: Caller): CallerScope {
  const own = caller.mercacc;
  if (own === '*') return EVERYTHING;
  return { all: false, mercacc: own, includes: (mercacc) => own.has(mercacc) };
}
