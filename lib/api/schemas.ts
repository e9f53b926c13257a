// Request schemas of every route of API.md (zod 4, mini API), with the spec's field limits. The handlers
// validate with them and lib/api/openapi.ts turns the same objects into the OpenAPI document.
import * as z from '../protocol/zod.js';
import { parseYuan } from '../protocol/money.js';
import { chinaDate } from '../protocol/timestamp.js';

/** 1–32 characters of [A-Za-z0-9_-]. */
export const ORDER_NO_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** account and mercacc: 1–10 characters of [0-9A-Za-z] (the bill has no room for anything else). */
export const ACCOUNT_PATTERN = /^[0-9A-Za-z]{1,10}$/;
/** acctype: "###" (the card account) or 1–3 characters of [0-9A-Za-z] (an e-account type). */
export const ACCTYPE_PATTERN = /^(###|[0-9A-Za-z]{1,3})$/;
const YUAN_TEXT_PATTERN = /^[0-9]{1,8}(\.[0-9]{1,2})?$/;
/** C0 controls, DEL and C1 controls (API.md: U+0000–U+001F, U+007F–U+009F). */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/** Starts and ends with a non-whitespace character: values are refused, never trimmed. */
const NO_SURROUNDING_WHITESPACE = /^\S(?:[\s\S]*\S)?$/;
/** In a `u` regex a surrogate range matches only a surrogate without its pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

export const IDTYPES = ['sno', 'id', 'phone', 'acc', 'cardid', 'barcode'] as const;

// Every exported schema is z.lazy: built on its first parse (once per container), not at module load,
// where zod's first construction costs a Lambda several ms of init for schemas its route may never use.
// The field builders below make fresh instances for each schema that uses them.

const orderNo = () =>
  z
    .string()
    .check(z.minLength(1), z.maxLength(32), z.regex(ORDER_NO_PATTERN, { error: 'must be 1–32 characters of A-Z, a-z, 0-9, _ and -' }));

/** The UTF-8 byte length of a string (the platform's 最大字节长度). */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * Free text of at most `maxBytes` UTF-8 bytes: no control characters, no lone surrogates, no
 * surrounding whitespace. maxLength (UTF-16 units, never more than the bytes) is what a JSON Schema
 * can say; the byte limit itself is the refinement after it.
 */
const text = (maxBytes: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(maxBytes),
    z.regex(NO_CONTROL_CHARACTERS, { error: 'must not contain control characters' }),
    z.refine((value: string) => !LONE_SURROGATE.test(value), { error: 'must not contain a lone surrogate (invalid UTF-16)' }),
    z.regex(NO_SURROUNDING_WHITESPACE, { error: 'must not begin or end with whitespace' }),
    z.refine((value: string) => utf8Bytes(value) <= maxBytes, { error: `must be at most ${maxBytes} bytes (UTF-8)` }),
  );

const account = () =>
  z.string().check(z.regex(ACCOUNT_PATTERN, { error: 'must be 1–10 characters of 0-9, A-Z and a-z' }), z.describe('one-card account (1–10 of [0-9A-Za-z])'));
const acctype = () =>
  z._default(z.string().check(z.regex(ACCTYPE_PATTERN, { error: 'must be "###" or 1–3 characters of 0-9, A-Z and a-z' })), '###').check(
    z.describe('"###" is the card account; other values (1–3 of [0-9A-Za-z]) are e-account types'),
  );
const mercacc = () =>
  z.string().check(z.regex(ACCOUNT_PATTERN, { error: 'must be 1–10 characters of 0-9, A-Z and a-z' }), z.describe('merchant account (1–10 of [0-9A-Za-z])'));
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
    id: text(32).check(z.describe('≤32 bytes (UTF-8)')),
    get_merge: z.optional(
      z.pipe(
        z.union([z.boolean(), z.enum(['0', '1'])]),
        z.transform((value: boolean | '0' | '1') => value === true || value === '1'),
      ),
    ),
    pwd: z.optional(text(32)),
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

const billDate = () =>
  z
    .string()
    .check(
      z.regex(/^[0-9]{8}$/, { error: 'must be a date yyyyMMdd' }),
      z.refine(isCalendarDate, { error: 'must be a valid calendar date yyyyMMdd' }),
      z.refine(isBillDay, { error: `must be a day from ${FIRST_BILL_DATE} to today (China date)` }),
    );

export const BillParamsSchema = z.lazy(() => z.strictObject({ bill_date: billDate() }));

/** The day views (merchants, report.csv): which bill, how it is downloaded when not final. */
export const BillDayQuerySchema = z.lazy(() =>
  z.strictObject({
    bill_type: z.optional(z.enum(['ALL', 'SUCCESS'])),
    crypt_type: z.optional(z.enum(['0', '1'])),
  }),
);

/** Rows per page of GET /v1/bills/{bill_date} (API.md "Bills"). */
export const BILL_PAGE_LIMIT = { min: 1, max: 5000, default: 1000 } as const;

export const BillQuerySchema = z.lazy(() =>
  z.strictObject({
    bill_type: z.optional(z.enum(['ALL', 'SUCCESS'])),
    crypt_type: z.optional(z.enum(['0', '1'])),
    limit: z.optional(
      z.pipe(
        z.string().check(z.regex(/^[1-9][0-9]{0,3}$/, { error: `must be an integer from ${BILL_PAGE_LIMIT.min} to ${BILL_PAGE_LIMIT.max}` })),
        z.pipe(
          z.transform((value: string) => Number(value)),
          z.number().check(z.lte(BILL_PAGE_LIMIT.max, { error: `must be an integer from ${BILL_PAGE_LIMIT.min} to ${BILL_PAGE_LIMIT.max}` })),
        ),
      ),
    ),
    cursor: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}$/, { error: 'is not a cursor of this API (use next_cursor of the previous page)' })),
    ),
  }),
);

export const EmptyQuerySchema = z.lazy(() => z.strictObject({}));

/** Exceptions per list answer (API.md "Reconciliation exceptions"; each well under 1 KB, so an answer stays far below 1 MB). */
export const EXCEPTION_PAGE_LIMIT = { min: 1, max: 500, default: 100 } as const;
/** lib/reconciliation/exceptions.ts ExceptionStatus, written out so this contract stays free of the use case. */
export const EXCEPTION_STATUS_VALUES = ['open', 'acknowledged', 'resolved'] as const;
/** The most characters (code points) of an acknowledgement's note. */
export const NOTE_MAX_CHARACTERS = 256;

export const ExceptionsQuerySchema = z.lazy(() =>
  z.strictObject({
    status: z.optional(z.enum(EXCEPTION_STATUS_VALUES)),
    bill_date: z.optional(billDate()),
    limit: z.optional(
      z.pipe(
        z.string().check(z.regex(/^[1-9][0-9]{0,2}$/, { error: `must be an integer from ${EXCEPTION_PAGE_LIMIT.min} to ${EXCEPTION_PAGE_LIMIT.max}` })),
        z.pipe(
          z.transform((value: string) => Number(value)),
          z.number().check(z.lte(EXCEPTION_PAGE_LIMIT.max, { error: `must be an integer from ${EXCEPTION_PAGE_LIMIT.min} to ${EXCEPTION_PAGE_LIMIT.max}` })),
        ),
      ),
    ),
    cursor: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9_-]{1,376}\.[A-Za-z0-9_-]{22}$/, { error: 'is not a cursor of this list (use next_cursor of the previous page)' })),
    ),
  }),
);

/** An exception id is bill_date, '-' and 22 base64url characters; any other 1–64 of [A-Za-z0-9_-] is simply unknown (404). */
export const ExceptionParamsSchema = z.lazy(() =>
  z.strictObject({ id: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be 1–64 characters of A-Z, a-z, 0-9, _ and -' })) }),
);

export const AcknowledgeBodySchema = z.lazy(() =>
  z.strictObject({
    note: z
      .string()
      .check(
        z.minLength(1),
        // JSON Schema counts code points and zod UTF-16 units: the model's bound is the loose one, the refinement decides.
        z.maxLength(NOTE_MAX_CHARACTERS * 2),
        z.regex(NO_CONTROL_CHARACTERS, { error: 'must not contain control characters' }),
        z.refine((value: string) => !LONE_SURROGATE.test(value), { error: 'must not contain a lone surrogate (invalid UTF-16)' }),
        z.regex(NO_SURROUNDING_WHITESPACE, { error: 'must not begin or end with whitespace' }),
        z.refine((value: string) => [...value].length <= NOTE_MAX_CHARACTERS, { error: `must be 1–${NOTE_MAX_CHARACTERS} characters` }),
        z.describe(`what the person found (1–${NOTE_MAX_CHARACTERS} characters)`),
      ),
  }),
);

export type QueryCardBody = z.output<typeof QueryCardBodySchema>;
export type PaymentBody = z.output<typeof PaymentBodySchema>;
export type RefundBody = z.output<typeof RefundBodySchema>;
export type PayQueryBody = z.output<typeof PayQueryBodySchema>;
export type OrderParams = z.output<typeof OrderParamsSchema>;
export type BillParams = z.output<typeof BillParamsSchema>;
export type BillQuery = z.output<typeof BillQuerySchema>;
export type BillDayQuery = z.output<typeof BillDayQuerySchema>;
export type ExceptionsQuery = z.output<typeof ExceptionsQuerySchema>;
export type AcknowledgeBody = z.output<typeof AcknowledgeBodySchema>;

/** The first day a bill may be asked for (API.md "Input rules"). */
export const FIRST_BILL_DATE = '20000101';

/** A calendar day from FIRST_BILL_DATE to today (China date, read when asked). */
export function isBillDay(value: string, today: string = chinaDate(new Date())): boolean {
  return isCalendarDate(value) && value >= FIRST_BILL_DATE && value <= today;
}

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
