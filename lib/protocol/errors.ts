// Wire errors: what reading the platform's envelopes, keys and amounts can fail with. Transport
// failures are in lib/platform/errors.ts, the code catalogues in ./codes.ts, HTTP mapping in lib/presenters/error-response.ts.
import { GatewayError, ValidationError } from '../errors.js';
import { BUSINESS_RETCODES, describeRetcode, describeSystemErrcode, isGateErrcode } from './codes.js';

// ---- local input ---------------------------------------------------------------------------

/** A yuan amount is malformed or out of range. Also a 400 when it comes from a client. */
export class MoneyFormatError extends ValidationError {
  static override readonly name: string = 'MoneyFormatError';
  constructor(message: string, field?: string, options?: ErrorOptions) {
    super(message, field, options);
    this.name = MoneyFormatError.name;
  }
}

/** A key in the secret cannot be loaded. Names the key, never echoes its material. */
export class KeyFormatError extends GatewayError {
  static override readonly name: string = 'KeyFormatError';
  readonly code = 'CONFIGURATION';
  constructor(readonly keyName: string, reason: string, options?: ErrorOptions) {
    super(`${keyName} could not be loaded: ${reason}`, undefined, options);
    this.name = KeyFormatError.name;
  }
}

// ---- upstream (the platform's answers) ----------------------------------------------------

/** Where an upstream failure happened relative to the platform possibly acting on the call. */
export type DeliveryState =
  /** The request certainly did not reach the platform (connection refused, DNS, pre-send). */
  | 'NOT_SENT'
  /** The request may have been processed; the outcome is unknown. */
  | 'UNKNOWN'
  /** The platform answered and the answer says it did not act (system errcode, refusal). */
  | 'REJECTED';

/** Base of every failure of a call to the platform; `delivery` says whether it may have acted. */
export abstract class UpstreamError extends GatewayError {
  static override readonly name: string = 'UpstreamError';
  abstract readonly delivery: DeliveryState;
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = UpstreamError.name;
  }
}

/** System errcode -1 (or -10): the platform is busy. */
export class PlatformBusyError extends UpstreamError {
  static override readonly name: string = 'PlatformBusyError';
  readonly code = 'UPSTREAM_BUSY';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 2;
  /** Busy answers are envelopes, but API.md treats money calls as unknown: stay conservative. */
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(readonly errcode: string, message = 'the one-card platform is busy', options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = PlatformBusyError.name;
  }
}

/** The response's signature does not verify: its content is never trusted. */
export class SignatureMismatchError extends UpstreamError {
  static override readonly name: string = 'SignatureMismatchError';
  readonly code = 'UPSTREAM_BAD_SIGNATURE';
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(message = 'the one-card platform response signature does not verify', options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = SignatureMismatchError.name;
  }
}

/** The body is an envelope we cannot decode (bad base64, bad ciphertext, bad JSON, wrong root). */
export class GarbledResponseError extends UpstreamError {
  static override readonly name: string = 'GarbledResponseError';
  readonly code = 'UPSTREAM_GARBLED';
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(message: string, details?: Readonly<Record<string, unknown>>, options?: ErrorOptions) {
    super(message, details, options);
    this.name = GarbledResponseError.name;
  }
}

/** The body is not an envelope but plain text (often GBK), e.g. `签名错误`. */
export class UpstreamTextError extends UpstreamError {
  static override readonly name: string = 'UpstreamTextError';
  readonly code = 'UPSTREAM_TEXT';
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(readonly text: string, readonly httpStatus: number, options?: ErrorOptions) {
    super(`the one-card platform answered with text: ${text.slice(0, 200)}`, undefined, options);
    this.name = UpstreamTextError.name;
  }
}

/**
 * A system-level errcode other than busy (40004 bad signature, 40018 timestamp, -2 internal, ...).
 * REJECTED when the platform's gate answered it (./codes.ts isGateErrcode), else UNKNOWN.
 */
export class PlatformSystemError extends UpstreamError {
  static override readonly name: string = 'PlatformSystemError';
  readonly code: string;
  readonly delivery: DeliveryState;
  constructor(readonly errcode: string, message?: string, options?: ErrorOptions) {
    super(message ?? `the one-card platform rejected the call: ${describeSystemErrcode(errcode)} (errcode ${errcode})`, undefined, options);
    this.name = PlatformSystemError.name;
    this.code = `UPSTREAM_${errcode}`;
    this.delivery = isGateErrcode(errcode) ? 'REJECTED' : 'UNKNOWN';
  }
}

/** errcode 40017: the access token is not (or no longer) valid. */
export class TokenInvalidError extends PlatformSystemError {
  static override readonly name: string = 'TokenInvalidError';
  constructor(readonly token?: string, options?: ErrorOptions) {
    super('40017', undefined, options);
    this.name = TokenInvalidError.name;
  }
}

/** A business refusal: `retcode` ≠ "0" in the decrypted JSON. No money moved. */
export class BusinessError extends UpstreamError {
  static override readonly name: string = 'BusinessError';
  readonly code: string;
  readonly delivery: DeliveryState = 'REJECTED';
  override readonly retryable: boolean;
  constructor(readonly retcode: string, readonly errmsg: string, options?: ErrorOptions) {
    super(errmsg || describeRetcode(retcode), undefined, options);
    this.name = BusinessError.name;
    this.code = retcode;
    this.retryable = BUSINESS_RETCODES[retcode]?.retryable ?? false;
  }
}

/**
 * Not a failure of the platform: bill text read as UTF-8 turned out not to be UTF-8 after non-ASCII text
 * was already given out, so the reader must start again from the raw bytes as GBK (lib/protocol/bill-decode.ts).
 */
export class BillEncodingRestart extends GatewayError {
  static override readonly name: string = 'BillEncodingRestart';
  readonly code = 'BILL_ENCODING_RESTART';
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
    this.name = BillEncodingRestart.name;
  }
}
