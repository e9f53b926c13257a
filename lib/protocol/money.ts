// Yuan strings on the wire ⇄ integer fen inside. String and integer arithmetic only: no float
// ever touches an amount (a JS number input is read through its shortest decimal string).
import { MoneyFormatError } from './errors.js';

/** The largest amount accepted: 99 999 999.99 yuan. */
export const MAX_FEN = 9_999_999_999;

const YUAN_PATTERN = /^(\d+)(?:\.(\d{1,2}))?$/;
const SIGNED_YUAN_PATTERN = /^(-?)(\d+)(?:\.(\d*))?$/;
const FEN_PATTERN = /^-?\d+$/;

function describe(field: string | undefined): string {
  return field ?? 'amount';
}

/** A number's shortest decimal string, refusing NaN, Infinity and exponent forms. */
function numberToDecimalString(value: number, field: string | undefined): string {
  if (!Number.isFinite(value)) {
    throw new MoneyFormatError(`${describe(field)} must be a finite number`, field);
  }
  const text = String(value);
  if (/e/i.test(text)) {
    throw new MoneyFormatError(`${describe(field)} is out of range (exponent notation)`, field);
  }
  return text;
}

/**
 * Parses a yuan amount (`"10"`, `"10.5"`, `"10.50"`, `10.5`) into integer fen. Throws
 * MoneyFormatError naming `field` for: empty, not a number, exponent notation, more than two
 * decimals, zero, negative, or more than 99 999 999.99 yuan.
 */
export function parseYuan(value: string | number, field?: string): number {
  let text: string;
  if (typeof value === 'number') {
    text = numberToDecimalString(value, field);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new MoneyFormatError(`${describe(field)} must be a string or number`, field);
  }
  if (text === '') throw new MoneyFormatError(`${describe(field)} is empty`, field);
  if (/[eE]/.test(text)) {
    throw new MoneyFormatError(`${describe(field)} must not use exponent notation`, field);
  }
  if (text.startsWith('-')) {
    throw new MoneyFormatError(`${describe(field)} must not be negative`, field);
  }
  const match = YUAN_PATTERN.exec(text);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(text)) {
      throw new MoneyFormatError(`${describe(field)} must have at most two decimals`, field);
    }
    throw new MoneyFormatError(`${describe(field)} is not a yuan amount`, field);
  }
  const whole = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').padEnd(2, '0');
  if (whole.length > 8) {
    throw new MoneyFormatError(`${describe(field)} exceeds 99999999.99 yuan`, field);
  }
  const fen = Number(whole) * 100 + Number(fraction);
  if (fen <= 0) throw new MoneyFormatError(`${describe(field)} must be at least 0.01`, field);
  return fen;
}

/**
 * Signed, zero-allowing yuan parser for amounts the platform reports (bill rows, footers, query
 * results): `"-1.5"`, `"0"`, `"100.0"`. Same exactness and size limit as parseYuan.
 */
export function parseSignedYuan(value: string | number, field?: string): number {
  const text = typeof value === 'number' ? numberToDecimalString(value, field) : String(value).trim();
  const match = SIGNED_YUAN_PATTERN.exec(text);
  if (!match || (match[3] !== undefined && match[3].length === 0)) {
    throw new MoneyFormatError(`${describe(field)} is not a yuan amount`, field);
  }
  const fractionDigits = match[3] ?? '';
  if (fractionDigits.length > 2) {
    throw new MoneyFormatError(`${describe(field)} must have at most two decimals`, field);
  }
  const whole = (match[2] ?? '').replace(/^0+(?=\d)/, '');
  if (whole.length > 8) {
    throw new MoneyFormatError(`${describe(field)} exceeds 99999999.99 yuan`, field);
  }
  const fen = Number(whole) * 100 + Number(fractionDigits.padEnd(2, '0'));
  return match[1] === '-' && fen !== 0 ? -fen : fen;
}

/** Integer fen as a yuan string with exactly two decimals: 1000 → "10.00", -50 → "-0.50". */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) {
    throw new MoneyFormatError(`amount in fen must be a safe integer, got ${String(fen)}`);
  }
  const negative = fen < 0;
  const absolute = negative ? -fen : fen;
  const whole = Math.trunc(absolute / 100);
  const cents = absolute - whole * 100;
  return `${negative ? '-' : ''}${whole}.${cents < 10 ? '0' : ''}${cents}`;
}

/** Integer fen as the platform sends balances ("10000", "0", "-5", or a number). */
export function parseFenString(value: string | number, field?: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new MoneyFormatError(`${describe(field)} must be an integer number of fen`, field);
    }
    return value === 0 ? 0 : value;
  }
  if (typeof value !== 'string') {
    throw new MoneyFormatError(`${describe(field)} must be a string or number`, field);
  }
  const text = value.trim();
  if (!FEN_PATTERN.test(text)) {
    throw new MoneyFormatError(`${describe(field)} must be an integer number of fen`, field);
  }
  const fen = Number(text);
  if (!Number.isSafeInteger(fen)) {
    throw new MoneyFormatError(`${describe(field)} is out of range`, field);
  }
  return fen === 0 ? 0 : fen;
}
