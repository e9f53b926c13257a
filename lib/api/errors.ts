// Errors of the API contract itself (API.md "Errors"), raised before any use case runs: a method
// a known path does not serve, a body over the size limit.
import { GatewayError, ValidationError } from '../errors.js';

/** A known path called with a method it does not serve (HTTP 405). */
export class MethodNotAllowedError extends GatewayError {
  static override readonly name: string = 'MethodNotAllowedError';
  readonly code = 'METHOD_NOT_ALLOWED';
  constructor(readonly method: string, readonly allowed: readonly string[], options?: ErrorOptions) {
    super(`method ${method} is not allowed here; use ${allowed.join(', ')}`, undefined, options);
    this.name = MethodNotAllowedError.name;
  }
}

/** A request body over the size limit (HTTP 400 VALIDATION, as API.md lists "too large" there). */
export class BodyTooLargeError extends ValidationError {
  static override readonly name: string = 'BodyTooLargeError';
  constructor(readonly limitBytes: number, options?: ErrorOptions) {
    super(`request body is too large: the limit is ${limitBytes} bytes`, 'body', options);
    this.name = BodyTooLargeError.name;
  }
}
