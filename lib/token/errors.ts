// What getting an access token can fail with, beyond the platform's own answers.
import { GatewayError } from '../errors.js';

/** No token can be had right now without breaking the 2-minute rule (HTTP 503). */
export class TokenUnavailableError extends GatewayError {
  static override readonly name: string = 'TokenUnavailableError';
  readonly code = 'TOKEN_UNAVAILABLE';
  override readonly retryable = true;
  constructor(message: string, override readonly retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = TokenUnavailableError.name;
  }
}
