// Why the gateway's secret cannot be used: each error names the secret (its id or file path, never a
// value from it) and what is missing or wrong. lib/presenters/error-response.ts maps them to HTTP.
import { ConfigurationError, GatewayError } from '../errors.js';

/** Which secret an error is about: its id or file path, never a value from it. */
export type SecretDetails = {
  /** How the secret is named in messages, e.g. "secret onecard/prod" or "secret file ./s.json". */
  readonly secret: string;
};

/**
 * The secret is missing, has no value, cannot be read with the function's permissions or key, or
 * does not hold a valid Synjones secret. An operator must act; retrying does not help.
 */
export class SecretConfigurationError extends ConfigurationError {
  static override readonly name: string = 'SecretConfigurationError';
  readonly secret: string;
  constructor(message: string, details: SecretDetails, options?: ErrorOptions) {
    super(message, details, options);
    this.name = SecretConfigurationError.name;
    this.secret = details.secret;
  }
}

/** Secrets Manager throttled or failed on its side (after the SDK's own retries), or was unreachable. */
export class SecretUnavailableError extends GatewayError {
  static override readonly name: string = 'SecretUnavailableError';
  readonly code = 'SECRET_UNAVAILABLE';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 2;
  readonly secret: string;
  constructor(message: string, details: SecretDetails, options?: ErrorOptions) {
    super(message, details, options);
    this.name = SecretUnavailableError.name;
    this.secret = details.secret;
  }
}
