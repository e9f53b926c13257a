// Log redaction: secrets removed by key name, phone and ID numbers masked by key name and inside
// any free text; the Logger applies it to every line (lib/observability/logger.ts).

const SECRET_KEYS = new Set([
  'pwd',
  'password',
  'private_key',
  'privatekey',
  'platform_private_key',
  'app_secret',
  'appsecret',
  'access_token',
  'accesstoken',
  'token',
  'bill_key',
  'billkey',
  'secret',
  'authorization',
  'tripledeskey',
  'billdeskey',
]);
const PHONE_KEYS = /^(phone|mobile|tel|telephone|phone_?no|mobile_?no)$/i;
const CERT_KEYS = /^(cert|cert_?no|certno|id_?no|idno|id_?card|idcard|bankacc|bank_?account)$/i;
/** Mainland ID numbers (15 or 18 characters) and mobile numbers inside free text. */
const ID_NUMBER_IN_TEXT = /(?<![0-9A-Za-z])([0-9]{14}|[0-9]{17})([0-9Xx])(?![0-9A-Za-z])/g;
/** With an optional country prefix (+86, 0086, 86), kept as written. */
const MOBILE_IN_TEXT = /(?<![0-9])((?:\+|00)?86[- ]?)?(1[3-9][0-9][0-9]{8})(?![0-9])/g;
const PEM_IN_TEXT = /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g;
const REDACTED = '[REDACTED]';
/**
 * Identifiers that look like ID numbers but are not personal (platform serials, timestamps). Not
 * request ids: a client chooses its x-request-id, so it is masked like any other text.
 */
const NOT_PERSONAL_KEYS = new Set(['out_id', 'outid', 'timestamp']);

/** Keeps the first 3 and last 4 characters of a phone number. */
export function maskPhone(value: string): string {
  if (value.length <= 7) return '*'.repeat(value.length);
  return `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
}

/** Keeps the last 4 characters of a certificate / ID / bank number. */
export function maskTail(value: string): string {
  if (value.length <= 4) return '*'.repeat(value.length);
  return `${'*'.repeat(value.length - 4)}${value.slice(-4)}`;
}

/** Masks ID and mobile numbers and PEM blocks inside a free-text string. */
export function maskText(text: string): string {
  return text
    .replace(PEM_IN_TEXT, REDACTED)
    .replace(ID_NUMBER_IN_TEXT, (match) => maskTail(match))
    .replace(MOBILE_IN_TEXT, (_match, prefix: string | undefined, mobile: string) => `${prefix ?? ''}${maskPhone(mobile)}`);
}

/**
 * The masking rule for one key/value, as a JSON.stringify replacer: removes secrets by key name,
 * masks phone and cert/ID numbers by key name, and masks such numbers in any string.
 */
export function redactValue(key: string, value: unknown): unknown {
  const normalized = key.toLowerCase();
  if (SECRET_KEYS.has(normalized) || normalized.endsWith('_secret') || normalized.endsWith('private_key')) {
    return value === undefined || value === null || value === '' ? value : REDACTED;
  }
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    if (PHONE_KEYS.test(key)) return maskPhone(text);
    if (CERT_KEYS.test(key)) return maskTail(text);
    if (typeof value === 'string' && !NOT_PERSONAL_KEYS.has(normalized)) return maskText(value);
  }
  return value;
}

/** Deep copy of a value with redactValue applied to every key (for tests and non-logger output). */
export function redact(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, redactValue) ?? 'null') as unknown;
}
