// Failures of the bills use case that the client can act on: a page cursor of a replaced download.
import { GatewayError } from '../errors.js';

/** A page cursor from a download that has since been replaced (HTTP 409 CURSOR_STALE): start again. */
export class CursorStaleError extends GatewayError {
  static override readonly name: string = 'CursorStaleError';
  readonly code = 'CURSOR_STALE';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = CursorStaleError.name;
  }
}
