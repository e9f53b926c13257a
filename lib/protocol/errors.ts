// Every failure a caller must tell apart, as one named class each, plus the platform's
// system (errcode) and business (retcode) catalogues. HTTP mapping lives in lib/http/errors.ts.

/** Base of all gateway errors: a stable machine code, a human message, and retryability. */
export abstract class GatewayError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean = false;
  /** Seconds a client should wait before retrying, when known. */
  readonly retryAfterSeconds?: number;
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Pins each class's `name` to its source name, so `error.name` (logs, stored ledger errors) survives
 * minification: the Lambda bundles are built without esbuild's keepNames (infra/constructs/gateway-functions.ts).
 */
export function nameErrorClasses(classes: Readonly<Record<string, abstract new (...args: never[]) => Error>>): void {
  for (const [name, errorClass] of Object.entries(classes)) Object.defineProperty(errorClass, 'name', { value: name });
}

// ---- input and configuration -------------------------------------------------------------

/** A value from the client is malformed (HTTP 400 VALIDATION). `field` names it. */
export class ValidationError extends GatewayError {
  readonly code = 'VALIDATION';
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** A yuan amount is malformed or out of range. Also a 400 when it comes from a client. */
export class MoneyFormatError extends ValidationError {}

/** A key in the secret cannot be loaded. Names the key, never echoes its material. */
export class KeyFormatError extends GatewayError {
  readonly code = 'CONFIGURATION';
  constructor(readonly keyName: string, reason: string) {
    super(`${keyName} could not be loaded: ${reason}`);
  }
}

/** Configuration or secret is missing or invalid (names the field, never its value). */
export class ConfigurationError extends GatewayError {
  readonly code = 'CONFIGURATION';
}

// ---- upstream (the platform) -------------------------------------------------------------

/** Where an upstream failure happened relative to the platform possibly acting on the call. */
export type DeliveryState =
  /** The request certainly did not reach the platform (connection refused, DNS, pre-send). */
  | 'NOT_SENT'
  /** The request may have been processed; the outcome is unknown. */
  | 'UNKNOWN'
  /** The platform answered and the answer says it did not act (system errcode, refusal). */
  | 'REJECTED';

export abstract class UpstreamError extends GatewayError {
  abstract readonly delivery: DeliveryState;
}

/** System errcode -1 (or -10): the platform is busy. */
export class PlatformBusyError extends UpstreamError {
  readonly code = 'UPSTREAM_BUSY';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 2;
  /** Busy answers are envelopes, but API.md treats money calls as unknown: stay conservative. */
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(readonly errcode: string, message = 'the one-card platform is busy') {
    super(message);
  }
}

/** No answer within the per-call timeout. */
export class PlatformTimeoutError extends UpstreamError {
  readonly code = 'UPSTREAM_TIMEOUT';
  override readonly retryable = true;
  constructor(readonly timeoutMs: number, readonly delivery: DeliveryState = 'UNKNOWN') {
    super(`the one-card platform did not answer within ${timeoutMs} ms`);
  }
}

/** Connection refused, reset or dropped. `delivery` says whether the request may have arrived. */
export class PlatformUnreachableError extends UpstreamError {
  readonly code = 'UPSTREAM_UNREACHABLE';
  override readonly retryable = true;
  constructor(message: string, readonly delivery: DeliveryState) {
    super(message);
  }
}

/** The response's signature does not verify: its content is never trusted. */
export class SignatureMismatchError extends UpstreamError {
  readonly code = 'UPSTREAM_BAD_SIGNATURE';
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(message = 'the one-card platform response signature does not verify') {
    super(message);
  }
}

/** The body is an envelope we cannot decode (bad base64, bad ciphertext, bad JSON, wrong root). */
export class GarbledResponseError extends UpstreamError {
  readonly code = 'UPSTREAM_GARBLED';
  readonly delivery: DeliveryState = 'UNKNOWN';
}

/** The body is not an envelope but plain text (often GBK), e.g. `签名错误`. */
export class UpstreamTextError extends UpstreamError {
  readonly code = 'UPSTREAM_TEXT';
  readonly delivery: DeliveryState = 'UNKNOWN';
  constructor(readonly text: string, readonly httpStatus: number) {
    super(`the one-card platform answered with text: ${text.slice(0, 200)}`);
  }
}

/**
 * System errcodes the platform's gate answers before any business work: 400xx (message, app_key,
 * signature, authorisation, token, timestamp checks) and -4…-9 (key, signing, school code, encryption
 * key). Anything else (-2 internal error, -3 database error, unknown codes) may come after the
 * business layer ran, so a money call that gets one stays PENDING for pay.query to decide.
 */
const GATE_ERRCODE = /^(?:400(?:0[1-9]|1[0-8])|-[4-9])$/;

/** A system-level errcode other than busy (40004 bad signature, 40018 timestamp, -2 internal, ...). */
export class PlatformSystemError extends UpstreamError {
  readonly code: string;
  readonly delivery: DeliveryState;
  constructor(readonly errcode: string, message?: string) {
    super(message ?? `the one-card platform rejected the call: ${describeSystemErrcode(errcode)} (errcode ${errcode})`);
    this.code = `UPSTREAM_${errcode}`;
    this.delivery = GATE_ERRCODE.test(errcode) ? 'REJECTED' : 'UNKNOWN';
  }
}

/** errcode 40017: the access token is not (or no longer) valid. */
export class TokenInvalidError extends PlatformSystemError {
  constructor(readonly token?: string) {
    super('40017');
  }
}

/** A business refusal: `retcode` ≠ "0" in the decrypted JSON. No money moved. */
export class BusinessError extends UpstreamError {
  readonly code: string;
  readonly delivery: DeliveryState = 'REJECTED';
  constructor(readonly retcode: string, readonly errmsg: string) {
    super(errmsg || describeRetcode(retcode));
    this.code = retcode;
    this.retryable = BUSINESS_RETCODES[retcode]?.retryable ?? false;
  }
  override readonly retryable: boolean;
}

/** No token can be had right now without breaking the 2-minute rule (HTTP 503). */
export class TokenUnavailableError extends GatewayError {
  readonly code = 'TOKEN_UNAVAILABLE';
  override readonly retryable = true;
  constructor(message: string, override readonly retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
  }
}

// ---- ledger ------------------------------------------------------------------------------

/** An order_no reused with different parameters (HTTP 409). */
export class OrderConflictError extends GatewayError {
  readonly code = 'ORDER_CONFLICT';
  constructor(readonly orderNo: string, readonly field: string) {
    super(`order_no ${orderNo} was already used with a different ${field}`);
  }
}

/** A refund whose original payment is not a SUCCESS payment in the ledger (HTTP 422). */
export class OriginalNotPaidError extends GatewayError {
  readonly code = 'ORIGINAL_NOT_PAID';
}

/** Refunds of one payment would exceed it (HTTP 422). */
export class RefundExceedsPaymentError extends GatewayError {
  readonly code = 'REFUND_EXCEEDS_PAYMENT';
}

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends GatewayError {
  readonly code = 'NOT_FOUND';
}

nameErrorClasses({
  GatewayError,
  ValidationError,
  MoneyFormatError,
  KeyFormatError,
  ConfigurationError,
  UpstreamError,
  PlatformBusyError,
  PlatformTimeoutError,
  PlatformUnreachableError,
  SignatureMismatchError,
  GarbledResponseError,
  UpstreamTextError,
  PlatformSystemError,
  TokenInvalidError,
  BusinessError,
  TokenUnavailableError,
  OrderConflictError,
  OriginalNotPaidError,
  RefundExceedsPaymentError,
  NotFoundError,
});

// ---- catalogues --------------------------------------------------------------------------

export interface CodeInfo {
  readonly meaning: string;
  readonly retryable: boolean;
}

/** Envelope `errcode` values (PROTOCOL.md). */
export const SYSTEM_ERRCODES: Readonly<Record<string, CodeInfo>> = {
  '0': { meaning: 'ok', retryable: false },
  '-1': { meaning: 'system busy', retryable: true },
  '-2': { meaning: 'internal error', retryable: false },
  '-3': { meaning: 'database error', retryable: false },
  '-4': { meaning: 'public key error', retryable: false },
  '-5': { meaning: 'private key error', retryable: false },
  '-6': { meaning: 'authorisation info error', retryable: false },
  '-7': { meaning: 'signing failed', retryable: false },
  '-8': { meaning: 'school code error', retryable: false },
  '-9': { meaning: 'encryption key error', retryable: false },
  '-10': { meaning: 'database busy', retryable: true },
  '40001': { meaning: 'illegal message', retryable: false },
  '40002': { meaning: 'unknown app_key', retryable: false },
  '40003': { meaning: 'unsupported sign method', retryable: false },
  '40004': { meaning: 'signature check failed', retryable: false },
  '40005': { meaning: 'system authorisation expired', retryable: false },
  '40006': { meaning: 'API authorisation expired', retryable: false },
  '40007': { meaning: 'client system authorisation expired', retryable: false },
  '40008': { meaning: 'system not authorised', retryable: false },
  '40009': { meaning: 'API not authorised', retryable: false },
  '40010': { meaning: 'client system not authorised', retryable: false },
  '40011': { meaning: 'client system not enabled', retryable: false },
  '40012': { meaning: 'unsupported API', retryable: false },
  '40013': { meaning: 'API disabled', retryable: false },
  '40014': { meaning: 'call limit exceeded', retryable: true },
  '40015': { meaning: 'data format error', retryable: false },
  '40016': { meaning: 'protocol version unsupported', retryable: false },
  '40017': { meaning: 'access_token invalid', retryable: true },
  '40018': { meaning: 'timestamp invalid', retryable: true },
};

/** Business `retcode` values seen in the field (PROTOCOL.md). */
export const BUSINESS_RETCODES: Readonly<Record<string, CodeInfo>> = {
  '60001': { meaning: 'internal error', retryable: true },
  '60002': { meaning: 'bad parameter', retryable: false },
  '60003': { meaning: 'account not found', retryable: false },
  '60004': { meaning: 'identity not found', retryable: false },
  '60005': { meaning: 'wrong password', retryable: false },
  '60006': { meaning: 'e-account not found', retryable: false },
  '60007': { meaning: 'account reported lost', retryable: false },
  '60009': { meaning: 'duplicate one-card serial', retryable: false },
  '60010': { meaning: 'insufficient balance', retryable: false },
  '60011': { meaning: 'counterparty balance too low to refund', retryable: false },
  '60013': { meaning: 'account frozen', retryable: false },
  '60015': { meaning: 'holder closed', retryable: false },
  '60016': { meaning: 'card status abnormal', retryable: false },
  '60017': { meaning: 'spending over limit', retryable: false },
  '60022': { meaning: 'account expired', retryable: false },
  '60024': { meaning: 'serial not found', retryable: false },
  '60025': { meaning: 'day already closed', retryable: false },
  '60037': { meaning: 'one-card network fault', retryable: true },
  '60038': { meaning: 'no data', retryable: false },
  '60041': { meaning: 'outside service hours', retryable: true },
  '60045': { meaning: 'duplicate sender serial (order_no reused)', retryable: false },
  '60048': { meaning: 'access_token call limit exceeded', retryable: true },
  '60053': { meaning: 'order state forbids payment', retryable: false },
  '60066': { meaning: 'interval too short', retryable: true },
  '60069': { meaning: 'order already failed', retryable: false },
  '60070': { meaning: 'order already paid', retryable: false },
  '60073': { meaning: 'third-party order not found', retryable: false },
};

export function describeSystemErrcode(errcode: string): string {
  return SYSTEM_ERRCODES[errcode]?.meaning ?? 'unknown system error';
}

export function describeRetcode(retcode: string): string {
  return BUSINESS_RETCODES[retcode]?.meaning ?? `business error ${retcode}`;
}
