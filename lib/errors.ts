// The shared bases of every gateway error, and the generic failures any layer may raise (bad input,
// missing thing, bad configuration). Domain failures live in their own room's errors.ts.
//
// Naming: every class declares `static name` and sets `this.name` from it in its constructor. The
// Lambda bundles are minified without esbuild's keepNames (infra/constructs/gateway-functions.ts), so
// the source names would otherwise be lost; `error.name` reaches the logs and the ledger's stored errors.

/** Base of all gateway errors: a stable machine code, a human message, retryability and optional details. */
export abstract class GatewayError extends Error {
  static override readonly name: string = 'GatewayError';
  abstract readonly code: string;
  readonly retryable: boolean = false;
  /** Seconds a client should wait before retrying, when known. */
  readonly retryAfterSeconds?: number;
  /** Structured context for logs (never secrets); absent unless given. */
  declare readonly details?: Readonly<Record<string, unknown>>;

  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, options);
    this.name = GatewayError.name;
    if (details !== undefined) this.details = details;
  }
}

/** A value from the client is malformed (HTTP 400 VALIDATION). `field` names it. */
export class ValidationError extends GatewayError {
  static override readonly name: string = 'ValidationError';
  readonly code = 'VALIDATION';
  constructor(message: string, readonly field?: string, options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = ValidationError.name;
  }
}

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends GatewayError {
  static override readonly name: string = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = NotFoundError.name;
  }
}

/** Configuration or secret is missing or invalid (names the field, never its value). */
export class ConfigurationError extends GatewayError {
  static override readonly name: string = 'ConfigurationError';
  readonly code = 'CONFIGURATION';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = ConfigurationError.name;
  }
}
