// Response schemas of API.md, used only to document the API (lib/api/openapi.ts); the handlers
// build responses with lib/presenters/ and do not re-validate them.
import * as z from 'zod';

const yuan = z.string().regex(/^-?[0-9]+\.[0-9]{2}$/).describe('yuan, two decimals');
const isoTime = z.string().describe('ISO 8601 with +08:00');

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe('VALIDATION, NOT_FOUND, METHOD_NOT_ALLOWED, ORDER_CONFLICT, a business retcode, UPSTREAM_*, TOKEN_UNAVAILABLE, INTERNAL'),
      message: z.string().describe('a human sentence naming the field or cause'),
      retryable: z.boolean(),
    }),
  });

export const OrderResponseSchema = z
  .object({
    order_no: z.string(),
    type: z.enum(['PAYMENT', 'REFUND']),
    status: z.enum(['PENDING', 'SUCCESS', 'FAILED']),
    account: z.string(),
    acctype: z.string(),
    mercacc: z.string(),
    tranamt: yuan,
    out_id: z.string().optional(),
    refund_order_no: z.string().optional(),
    refunded: yuan.optional(),
    error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
    created_at: isoTime,
    updated_at: isoTime,
    caller: z.string().nullable().describe('the caller that created the order (null: written before callers existed)'),
    history: z
      .array(
        z.object({
          at: isoTime,
          status: z.enum(['PENDING', 'SUCCESS', 'FAILED']),
          by: z.string().describe("the caller's name, settler, bill or gateway"),
          reason: z.string(),
        }),
      )
      .describe('every status the order has had, oldest first'),
  });

export const CardsResponseSchema = z
  .object({
    cards: z.array(
      z
        .looseObject({
          account: z.string(),
          db_balance_yuan: yuan.nullable(),
          unsettle_amount_yuan: yuan.nullable(),
        })
        .describe('every field the platform returned, plus the two balances in yuan'),
    ),
  });

export const PayQueryResponseSchema = z
  .object({
    results: z.array(
      z.object({
        order_no: z.string(),
        account: z.string(),
        acctype: z.string(),
        tranamt: yuan.nullable(),
        out_id: z.string().nullable(),
        order_status: z.string().describe('20 processing · 60 paid · 77 failed · 78 no such order · 80 refunded'),
        status: z.enum(['PENDING', 'SUCCESS', 'FAILED', 'NOT_FOUND', 'REFUNDED', 'UNKNOWN']),
        order_desc: z.string().nullable(),
      }),
    ),
  });

const moneyCount = z.object({ count: z.number().int(), amount: yuan });
const summary = z.object({ payments: moneyCount, refunds: moneyCount, net: yuan.describe('payments − refunds') });

export const BillResponseSchema = z
  .object({
    bill_date: z.string(),
    bill_type: z.enum(['ALL', 'SUCCESS']),
    count: z.number().int().describe("the bill footer's row count"),
    total: yuan.describe("the bill footer's total"),
    final: z.boolean().describe('downloaded at or after BILL_FINAL_AFTER (China time) of the next day: never downloaded again'),
    fetched_at: isoTime,
    summary: summary.describe('rows whose status moved money (60, 80): 01 payments, 02 refunds'),
    rows: z.array(
      z.object({
        trade_time: isoTime,
        account: z.string(),
        acctype: z.string(),
        mercacc: z.string(),
        out_id: z.string(),
        order_no: z.string(),
        trade_type: z.string().describe('01 payment, 02 refund'),
        order_status: z.string(),
        tranamt: yuan,
        attach: z.string(),
      }),
    ).describe('one page of the download: limit rows, or fewer when they would pass 1 MB of JSON (rows far longer than the spec allows); follow next_cursor'),
    next_cursor: z.string().nullable().describe('the cursor of the next page; null on the last page'),
    reconciliation: z.object({
      matched: z
        .number()
        .int()
        .describe("ledger orders the bill agrees with: those whose row matches them (the day's, and those of the day before's last 5 minutes), and the day's FAILED ones the bill lacks (no money moved on either side)"),
      settled: z.number().int().describe('PENDING orders this download settled'),
      missing_local: z.array(z.string()).describe('at most 1000'),
      missing_remote: z.array(z.string()).describe('at most 1000'),
      mismatched: z.array(z.object({ order_no: z.string(), field: z.string(), ledger: z.string(), bill: z.string() })).describe('at most 1000'),
      pending: z
        .array(z.string())
        .describe(
          'extension: PENDING orders still PENDING after this download with no difference to show: a row on equal terms that did not settle ' +
            "them, or no row (a PENDING order whose row differs in a term is in mismatched instead); report.csv's mismatched status lines with " +
            'ledger PENDING, which are no difference; pay.query or a later bill decides. At most 1000',
        ),
      counts: z.object({ missing_local: z.number().int(), missing_remote: z.number().int(), mismatched: z.number().int(), pending: z.number().int().describe('extension: the length of the whole pending list') }),
    }),
  });

export const MerchantsResponseSchema = z.object({
  bill_date: z.string(),
  final: z.boolean(),
  merchants: z.array(summary.extend({ mercacc: z.string() })).describe('sorted by mercacc'),
});

/** report.csv is text: documented as a string (its columns in the description). */
export const ReportCsvSchema = z
  .string()
  .describe(
    'UTF-8 CSV, header line order_no,trade_type,category,field,ledger,bill,account,mercacc,tranamt,out_id,trade_time. One line per bill row ' +
      '(per difference for a mismatched one) and per ledger order of the day the bill lacks: next_day (created in its last 5 minutes, on the next day\'s bill), missing_remote (SUCCESS), matched ' +
      '(FAILED: nothing moved), or a mismatched status line with ledger PENDING and bill (none) (still PENDING: no difference of its own; ' +
      'an unresolved_pending exception once the bill is final). field, ledger and bill are filled on mismatched lines only.',
  );

export const ExceptionResponseSchema = z.object({
  id: z.string().describe('bill_date, "-" and 22 base64url characters; the same difference found again is the same id'),
  bill_date: z.string(),
  order_no: z.string(),
  kind: z
    .enum(['missing_local', 'missing_remote', 'mismatched', 'unresolved_pending'])
    .describe(
      'missing_local: a bill row that moved money (60, 80) with no ledger order; missing_remote: a SUCCESS ledger order the ' +
        'bill lacks; mismatched: a row and an order that differ in `field` (one exception per field); unresolved_pending: a ' +
        'PENDING order still unresolved after its day\'s final bill (its row unpaid or on other terms, or absent from the bill: ' +
          'bill "(none)")',
    ),
  field: z.string().optional().describe('mismatched only: type, account, acctype, mercacc, tranamt, out_id, status, order_no (a duplicate row)'),
  ledger: z.string().optional().describe("the ledger's value (mismatched), its status (missing_remote, unresolved_pending), or (none)"),
  bill: z.string().optional().describe("the bill's value (mismatched), its row status (missing_local, unresolved_pending), or (none)"),
  first_seen: isoTime.describe('when a reconciliation first found it'),
  last_seen: isoTime.describe('when a reconciliation last found it'),
  status: z
    .enum(['open', 'acknowledged', 'resolved'])
    .describe(
      'resolved: a later reconciliation of the day found the order matched, settled or on the next day\'s bill (also when ' +
        'acknowledged); a resolved difference found again is open again (same id, first_seen and note kept)',
    ),
  note: z.string().optional().describe('the acknowledgement\'s note'),
  resolved_at: isoTime.optional(),
});

export const ExceptionListResponseSchema = z.object({
  exceptions: z
    .array(ExceptionResponseSchema)
    .describe(
      'newest first_seen first; only exceptions of the caller\'s merchant accounts (unless mercacc "*"), so a page may hold ' +
        'fewer than limit (1–500, default 100): follow next_cursor until it is null. Kept from the reconciliation of a final ' +
        'bill of bill_type ALL (the SUCCESS bill lacks unpaid rows, so its differences would restate the ALL bill\'s); one ' +
        'exception per difference, however many. A run that cannot record them all in its time records them in bill ' +
        'order, logs how many it left and resolves none; the next final run of the day goes on (the bill\'s counts stay complete)',
    ),
  next_cursor: z.string().nullable().describe('the cursor of the next page (same status and bill_date); null on the last page'),
});

export const HealthResponseSchema = z.object({ status: z.literal('ok') });
