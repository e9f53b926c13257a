// Request schemas of every route of API.md (zod 4), with the spec's field limits. The handlers
// validate with them and lib/http/openapi.ts turns the same objects into the OpenAPI document.
import * as z from 'zod';
import { parseYuan } from '../protocol/money.js';

/** 1–32 characters of [A-Za-z0-9_-]. */
export const ORDER_NO_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const YUAN_TEXT_PATTERN = /^[0-9]{1,8}(\.[0-9]{1,2})?$/;
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

export const IDTYPES = ['sno', 'id', 'phone', 'acc', 'cardid', 'barcode'] as const;

const orderNo = z
  .string()
  .min(1)
  .max(32)
  .regex(ORDER_NO_PATTERN, { error: 'must be 1–32 characters of A-Z, a-z, 0-9, _ and -' });

const text = (max: number) =>
  z.string().min(1).max(max).regex(NO_CONTROL_CHARACTERS, { error: 'must not contain control characters' });

const account = text(10).describe('one-card account (≤10 characters)');
const acctype = text(3).default('###').describe('"###" is the card account; other values are e-account types');
const mercacc = text(10).describe('merchant account (≤10 characters)');
const termid = z.number().int().min(1).max(9999).describe('terminal number, 1–9999');

/**
 * A yuan amount: "10", "10.5", "10.50" or a JSON number with at most two decimals → integer fen.
 * The shape is checked first (for a clear message and the JSON Schema), then parseYuan decides.
 */
export const yuanAmount = z
  .union(
    [
      z.string().regex(YUAN_TEXT_PATTERN),
      z.number().min(0.01).max(99_999_999.99),
    ],
    { error: 'must be a yuan amount: a string like "10.50" or a number with at most 2 decimals, 0.01 to 99999999.99' },
  )
  .transform((value, context) => {
    try {
      return parseYuan(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid amount', input: value });
      return z.NEVER;
    }
  })
  .describe('yuan; input "10", "10.5", "10.50" or 10.5; at most two decimals');

export const QueryCardBodySchema = z.strictObject({
  idtype: z.enum(IDTYPES),
  id: text(32),
  get_merge: z
    .union([z.boolean(), z.enum(['0', '1'])])
    .transform((value) => value === true || value === '1')
    .optional(),
  pwd: z.string().min(1).max(32).optional(),
});

export const PaymentBodySchema = z.strictObject({
  order_no: orderNo,
  account,
  tranamt: yuanAmount,
  acctype,
  mercacc,
  remark: text(128).optional(),
  attach: text(128).optional(),
  termid: termid.optional(),
});

export const RefundBodySchema = z.strictObject({
  order_no: orderNo,
  refund_order_no: orderNo.describe("the original payment's order_no"),
  account,
  tranamt: yuanAmount,
  acctype,
  mercacc,
  termid: termid.optional(),
});

export const PayQueryBodySchema = z.strictObject({
  queries: z
    .array(z.strictObject({ account, acctype, order_no: orderNo }))
    .min(1)
    .max(50),
});

export const OrderParamsSchema = z.strictObject({ order_no: orderNo });

export const BillParamsSchema = z.strictObject({
  bill_date: z
    .string()
    .regex(/^[0-9]{8}$/, { error: 'must be a date yyyyMMdd' })
    .refine(isCalendarDate, { error: 'must be a valid calendar date yyyyMMdd' }),
});

export const BillQuerySchema = z.strictObject({
  bill_type: z.enum(['ALL', 'SUCCESS']).optional(),
  crypt_type: z.enum(['0', '1']).optional(),
});

export const EmptyQuerySchema = z.strictObject({});

export type QueryCardBody = z.output<typeof QueryCardBodySchema>;
export type PaymentBody = z.output<typeof PaymentBodySchema>;
export type RefundBody = z.output<typeof RefundBodySchema>;
export type PayQueryBody = z.output<typeof PayQueryBodySchema>;
export type OrderParams = z.output<typeof OrderParamsSchema>;
export type BillParams = z.output<typeof BillParamsSchema>;
export type BillQuery = z.output<typeof BillQuerySchema>;

/** yyyyMMdd naming a real day of the Gregorian calendar (years 1900–2999). */
export function isCalendarDate(value: string): boolean {
  if (!/^[0-9]{8}$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(4, 6));
  const day = Number(value.slice(6, 8));
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}
