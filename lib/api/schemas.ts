// Request schemas of every route of API.md (zod 4, mini API), with the spec's field limits. The handlers
// validate with them and lib/api/openapi.ts turns the same objects into the OpenAPI document.
import * as z from '../protocol/zod.js';
import { parseYuan } from '../protocol/money.js';

/** 1–32 characters of [A-Za-z0-9_-]. */
export const ORDER_NO_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const YUAN_TEXT_PATTERN = /^[0-9]{1,8}(\.[0-9]{1,2})?$/;
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

export const IDTYPES = ['sno', 'id', 'phone', 'acc', 'cardid', 'barcode'] as const;

// Every exported schema is z.lazy: built on its first parse (once per container), not at module load,
// where zod's first construction costs a Lambda several ms of init for schemas its route may never use.
// The field builders below make fresh instances for each schema that uses them.

const orderNo = () =>
  z
    .string()
    .check(z.minLength(1), z.maxLength(32), z.regex(ORDER_NO_PATTERN, { error: 'must be 1–32 characters of A-Z, a-z, 0-9, _ and -' }));

const text = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(NO_CONTROL_CHARACTERS, { error: 'must not contain control characters' }));

const account = () => text(10).check(z.describe('one-card account (≤10 characters)'));
const acctype = () => z._default(text(3), '###').check(z.describe('"###" is the card account; other values are e-account types'));
const mercacc = () => text(10).check(z.describe('merchant account (≤10 characters)'));
const termid = () => z.number().check(z.int(), z.minimum(1), z.maximum(9999), z.describe('terminal number, 1–9999'));

/** Why `input` is not a yuan amount, in parseYuan's words ("amount must have at most two decimals"). */
function yuanProblem(input: unknown): string {
  try {
    parseYuan(input as string | number);
  } catch (error) {
    if (error instanceof Error) return error.message;
  }
  return 'must be a yuan amount from 0.01 to 99999999.99 with at most two decimals';
}

/**
 * A yuan amount: "10", "10.5", "10.50" or a JSON number with at most two decimals → integer fen.
 * The shape is checked first (for a clear message and the JSON Schema), then parseYuan decides.
 */
export const yuanAmount = () =>
  z
    .pipe(
      z.union(
        [
          z.string().check(z.regex(YUAN_TEXT_PATTERN, { error: (issue) => yuanProblem(issue.input) })),
          z.number().check(
            z.minimum(0.01, { error: (issue) => yuanProblem(issue.input) }),
            z.maximum(99_999_999.99, { error: (issue) => yuanProblem(issue.input) }),
          ),
        ],
        { error: 'must be a yuan amount: a string like "10.50" or a number with at most 2 decimals, 0.01 to 99999999.99' },
      ),
      z.transform((value: string | number, context) => {
        try {
          return parseYuan(value);
        } catch (error) {
          context.issues.push({ code: 'custom', message: error instanceof Error ? error.message : 'invalid amount', input: value });
          return z.NEVER;
        }
      }),
    )
    .check(z.describe('yuan; input "10", "10.5", "10.50" or 10.5; at most two decimals'));

export const QueryCardBodySchema = z.lazy(() =>
  z.strictObject({
    idtype: z.enum(IDTYPES),
    id: text(32),
    get_merge: z.optional(
      z.pipe(
        z.union([z.boolean(), z.enum(['0', '1'])]),
        z.transform((value: boolean | '0' | '1') => value === true || value === '1'),
      ),
    ),
    pwd: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  }),
);

export const PaymentBodySchema = z.lazy(() =>
  z.strictObject({
    order_no: orderNo(),
    account: account(),
    tranamt: yuanAmount(),
    acctype: acctype(),
    mercacc: mercacc(),
    remark: z.optional(text(128)),
    attach: z.optional(text(128)),
    termid: z.optional(termid()),
  }),
);

export const RefundBodySchema = z.lazy(() =>
  z.strictObject({
    order_no: orderNo(),
    refund_order_no: orderNo().check(z.describe("the original payment's order_no")),
    account: account(),
    tranamt: yuanAmount(),
    acctype: acctype(),
    mercacc: mercacc(),
    termid: z.optional(termid()),
  }),
);

export const PayQueryBodySchema = z.lazy(() =>
  z.strictObject({
    queries: z
      .array(z.strictObject({ account: account(), acctype: acctype(), order_no: orderNo() }))
      .check(z.minLength(1), z.maxLength(50)),
  }),
);

export const OrderParamsSchema = z.lazy(() => z.strictObject({ order_no: orderNo() }));

export const BillParamsSchema = z.lazy(() =>
  z.strictObject({
    bill_date: z
      .string()
      .check(
        z.regex(/^[0-9]{8}$/, { error: 'must be a date yyyyMMdd' }),
        z.refine(isCalendarDate, { error: 'must be a valid calendar date yyyyMMdd' }),
      ),
  }),
);

export const BillQuerySchema = z.lazy(() =>
  z.strictObject({
    bill_type: z.optional(z.enum(['ALL', 'SUCCESS'])),
    crypt_type: z.optional(z.enum(['0', '1'])),
  }),
);

export const EmptyQuerySchema = z.lazy(() => z.strictObject({}));

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
