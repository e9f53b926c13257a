// Transport failures of a call to the platform: no answer in time, or no connection. What the
// platform's answers themselves can fail with is in lib/protocol/errors.ts.
import { UpstreamError, type DeliveryState } from '../protocol/errors.js';

/** No answer within the per-call timeout. */
export class PlatformTimeoutError extends UpstreamError {
  static override readonly name: string = 'PlatformTimeoutError';
  readonly code = 'UPSTREAM_TIMEOUT';
  override readonly retryable = true;
  constructor(readonly timeoutMs: number, readonly delivery: DeliveryState = 'UNKNOWN', options?: ErrorOptions) {
    super(`the one-card platform did not answer within ${timeoutMs} ms`, undefined, options);
    this.name = PlatformTimeoutError.name;
  }
}

/** Connection refused, reset or dropped. `delivery` says whether the request may have arrived. */
export class PlatformUnreachableError extends UpstreamError {
  static override readonly name: string = 'PlatformUnreachableError';
  readonly code = 'UPSTREAM_UNREACHABLE';
  override readonly retryable = true;
  constructor(message: string, readonly delivery: DeliveryState, options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = PlatformUnreachableError.name;
  }
}
