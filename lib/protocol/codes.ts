// The platform's catalogues: envelope `errcode` values (system) and decrypted `retcode` values
// (business), with what each means and whether a retry may help (PROTOCOL.md).

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

/**
 * System errcodes the platform's gate answers before any business work: 400xx (message, app_key,
 * signature, authorisation, token, timestamp checks) and -4…-9 (key, signing, school code, encryption
 * key). Anything else (-2 internal error, -3 database error, unknown codes) may come after the
 * business layer ran, so a money call that gets one stays PENDING for pay.query to decide.
 */
const GATE_ERRCODE = /^(?:400(?:0[1-9]|1[0-8])|-[4-9])$/;

/** True when the errcode is answered by the platform's gate, before its business layer could act. */
export function isGateErrcode(errcode: string): boolean {
  return GATE_ERRCODE.test(errcode);
}
