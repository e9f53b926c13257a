// Failures of the reconciliation exceptions use case that a client can act on.
import { GatewayError } from '../errors.js';

/** Acknowledging an exception that a later reconciliation already resolved (HTTP 409 EXCEPTION_RESOLVED). */
export class ExceptionResolvedError extends GatewayError {
  static override readonly name: string = 'ExceptionResolvedError';
  readonly code = 'EXCEPTION_RESOLVED';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = ExceptionResolvedError.name;
  }
}
