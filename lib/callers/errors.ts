// What a caller is refused (API.md "Callers"): no known caller (401), a route, a merchant account or
// an amount beyond its permissions (403). lib/presenters/error-response.ts maps them to HTTP.
import { GatewayError } from '../errors.js';

/** No caller could be named for the request (HTTP 401 UNAUTHENTICATED). */
export class UnauthenticatedError extends GatewayError {
  static override readonly name: string = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = UnauthenticatedError.name;
  }
}

/** The route is not among the caller's routes (HTTP 403 FORBIDDEN_ROUTE). */
export class ForbiddenRouteError extends GatewayError {
  static override readonly name: string = 'ForbiddenRouteError';
  readonly code = 'FORBIDDEN_ROUTE';
  constructor(readonly caller: string, readonly route: string, options?: ErrorOptions) {
    super(`caller ${caller} may not use ${route}`, { caller, route }, options);
    this.name = ForbiddenRouteError.name;
  }
}

/** A payment or refund into a merchant account the caller is not given (HTTP 403 FORBIDDEN_MERCHANT). */
export class ForbiddenMerchantError extends GatewayError {
  static override readonly name: string = 'ForbiddenMerchantError';
  readonly code = 'FORBIDDEN_MERCHANT';
  constructor(readonly caller: string, options?: ErrorOptions) {
    super(`mercacc is not one of caller ${caller}'s merchant accounts`, { caller }, options);
    this.name = ForbiddenMerchantError.name;
  }
}

/** tranamt above the caller's max_tranamt (HTTP 403 AMOUNT_OVER_LIMIT). */
export class AmountOverLimitError extends GatewayError {
  static override readonly name: string = 'AmountOverLimitError';
  readonly code = 'AMOUNT_OVER_LIMIT';
  constructor(readonly caller: string, limit: string, options?: ErrorOptions) {
    super(`tranamt is above caller ${caller}'s limit of ${limit} yuan`, { caller }, options);
    this.name = AmountOverLimitError.name;
  }
}
