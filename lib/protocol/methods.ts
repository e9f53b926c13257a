// The six platform methods as a typed catalogue: method name, JSON root key, zod schema of the wire
// request body (the spec's field limits, zod mini API) and tolerant readers of their responses.
import type { CardRecord, IssuedToken, PayQueryItem, PayQueryResult } from './types.js';
import { GarbledResponseError } from './errors.js';
import { parseSignedYuan, parseYuan } from './money.js';
import * as z from './zod.js';

// Each request schema is z.lazy: built on its first parse (once per container), not at module load.
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const optionalText = (max: number) => z.optional(z.string().check(z.maxLength(max)));
/** Wire amounts: yuan with exactly two decimals, 0.01 … 99999999.99. */
const tranamt = () =>
  z
    .string()
    .check(
      z.regex(/^\d{1,8}\.\d{2}$/, 'tranamt must be yuan with two decimals'),
      z.refine((value) => value !== '0.00' && !/^0+\.00$/.test(value), 'tranamt must be at least 0.01'),
    );
const orderNo = () => z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'order_no must be 1-32 of [A-Za-z0-9_-]'));
const termid = () => z.optional(z.string().check(z.regex(/^[1-9]\d{0,3}$/, 'termid must be 1-9999')));
const payQueryItem = () => z.strictObject({ account: text(10), acctype: text(3), order_no: orderNo() });

export const AccessTokenRequestSchema = z.lazy(() => z.strictObject({}));
export const QueryCardRequestSchema = z.lazy(() =>
  z.strictObject({
    idtype: z.enum(['sno', 'id', 'phone', 'acc', 'cardid', 'barcode']),
    id: text(32),
    get_merge: z.optional(z.enum(['0', '1'])),
    pwd: optionalText(32),
  }),
);
export const PayRequestSchema = z.lazy(() =>
  z.strictObject({
    account: text(10),
    tranamt: tranamt(),
    acctype: text(3),
    mercacc: text(10),
    remark: optionalText(128),
    attach: optionalText(128),
    order_no: orderNo(),
    termid: termid(),
  }),
);
export const RefundRequestSchema = z.lazy(() =>
  z.strictObject({
    account: text(10),
    tranamt: tranamt(),
    acctype: text(3),
    mercacc: text(10),
    order_no: orderNo(),
    refund_order_no: orderNo(),
    termid: termid(),
  }),
);
export const PayQueryItemSchema = z.lazy(payQueryItem);
export const PayQueryRequestSchema = z.lazy(() =>
  z.strictObject({ pay_queries: z.array(payQueryItem()).check(z.minLength(1), z.maxLength(50)) }),
);
export const DownBillRequestSchema = z.lazy(() =>
  z.strictObject({
    bill_date: z.string().check(z.regex(/^\d{8}$/, 'bill_date must be yyyyMMdd')),
    bill_type: z.enum(['ALL', 'SUCCESS']),
    crypt_type: z.enum(['0', '1']),
  }),
);

export interface MethodSpec<Schema extends z.ZodMiniType = z.ZodMiniType> {
  /** The `method` form field. */
  readonly name: string;
  /** The JSON root key of request and response. */
  readonly rootKey: string;
  /** Zod schema of the wire request body (inside the root key). */
  readonly request: Schema;
  /** Moves money: never retried once the request may have arrived. */
  readonly movesMoney: boolean;
  /** Sent to the bill URL instead of the API URL. */
  readonly billEndpoint: boolean;
}

export const METHODS = {
  accessToken: {
    name: 'synjones.authorize.access_token',
    rootKey: 'authorize_access_token',
    request: AccessTokenRequestSchema,
    movesMoney: false,
    billEndpoint: false,
  },
  queryCard: {
    name: 'synjones.onecard.query.card',
    rootKey: 'query_card',
    request: QueryCardRequestSchema,
    movesMoney: false,
    billEndpoint: false,
  },
  pay: {
    name: 'synjones.onecard.gdccard.pay',
    rootKey: 'gdccard_pay',
    request: PayRequestSchema,
    movesMoney: true,
    billEndpoint: false,
  },
  refund: {
    name: 'synjones.onecard.gdccard.refund',
    rootKey: 'gdccard_refund',
    request: RefundRequestSchema,
    movesMoney: true,
    billEndpoint: false,
  },
  payQuery: {
    name: 'synjones.onecard.pay.query',
    rootKey: 'pay_query',
    request: PayQueryRequestSchema,
    movesMoney: false,
    billEndpoint: false,
  },
  downBill: {
    name: 'synjones.onecard.down.bill',
    rootKey: 'down_bill',
    request: DownBillRequestSchema,
    movesMoney: false,
    billEndpoint: true,
  },
} as const satisfies Record<string, MethodSpec>;

export type MethodKey = keyof typeof METHODS;
export type WireRequest<K extends MethodKey> = z.infer<(typeof METHODS)[K]['request']>;

// ---- tolerant response readers -----------------------------------------------------------

function garbled(message: string): GarbledResponseError {
  return new GarbledResponseError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or number field as a trimmed string; undefined when absent, null or empty. */
export function readText(root: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = root[name];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function requireText(root: Readonly<Record<string, unknown>>, name: string, where: string): string {
  const value = readText(root, name);
  if (value === undefined) throw garbled(`response ${where} has no ${name}`);
  return value;
}

/** tranamt as the platform sends it ("10", "10.5", "100.0", 10.5) → fen; GarbledResponseError if bad. */
export function readTranamt(root: Readonly<Record<string, unknown>>, where: string): number | undefined {
  const value = root.tranamt;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw garbled(`response ${where} tranamt is not an amount`);
  try {
    return parseYuan(value, 'tranamt');
  } catch {
    try {
      // "0" / "0.00" for orders that do not exist: no amount rather than an error.
      if (parseSignedYuan(value, 'tranamt') === 0) return undefined;
    } catch {
      /* fall through */
    }
    throw garbled(`response ${where} tranamt is not a valid yuan amount`);
  }
}

/** access_token result: `expires_in` may be a string or a number. */
export function readAccessToken(root: Readonly<Record<string, unknown>>): IssuedToken {
  const accessToken = requireText(root, 'access_token', 'authorize_access_token');
  const expires = readText(root, 'expires_in');
  if (expires === undefined || !/^\d+$/.test(expires) || Number(expires) <= 0 || !Number.isSafeInteger(Number(expires))) {
    throw garbled('response authorize_access_token has no valid expires_in');
  }
  return { accessToken, expiresInSeconds: Number(expires) };
}

/** query_card result: `card` is an array, or a single object from some platforms. */
export function readCards(root: Readonly<Record<string, unknown>>): CardRecord[] {
  const card = root.card;
  if (card === undefined || card === null || card === '') return [];
  const list = Array.isArray(card) ? card : [card];
  return list.map((entry, index) => {
    if (!isRecord(entry)) throw garbled(`response query_card card[${index}] is not an object`);
    const account = requireText(entry, 'account', `query_card card[${index}]`);
    return { ...entry, account };
  });
}

export interface MoneyMovedFields {
  readonly outId: string;
  readonly amountFen?: number;
  /** refund only: refund_order_no (or the misspelt reund_order_no). */
  readonly refundOrderNo?: string;
}

/** gdccard_pay / gdccard_refund result: out_id, tranamt and (refund) the original order. */
export function readMoneyMoved(root: Readonly<Record<string, unknown>>, rootKey: string): MoneyMovedFields {
  const outId = requireText(root, 'out_id', rootKey);
  const amountFen = readTranamt(root, rootKey);
  const refundOrderNo = readText(root, 'refund_order_no') ?? readText(root, 'reund_order_no');
  return {
    outId,
    ...(amountFen !== undefined ? { amountFen } : {}),
    ...(refundOrderNo !== undefined ? { refundOrderNo } : {}),
  };
}

/**
 * pay_query result: the list is `pay_querys` or `pay_queries` (array or single object). Items are
 * matched to the request by order_no, else by position (the spec's sample omits order_no).
 */
export function readPayQueryResults(
  root: Readonly<Record<string, unknown>>,
  requested: readonly PayQueryItem[],
): PayQueryResult[] {
  const rawList = root.pay_querys ?? root.pay_queries;
  if (rawList === undefined || rawList === null) throw garbled('response pay_query has no pay_querys list');
  const list = Array.isArray(rawList) ? rawList : [rawList];
  return list.map((entry, index): PayQueryResult => {
    if (!isRecord(entry)) throw garbled(`response pay_query item ${index} is not an object`);
    const where = `pay_query item ${index}`;
    const orderNo = readText(entry, 'order_no') ?? requested[index]?.orderNo;
    if (orderNo === undefined) throw garbled(`response ${where} has no order_no`);
    const match = requested.find((item) => item.orderNo === orderNo) ?? requested[index];
    const account = readText(entry, 'account') ?? match?.account;
    const acctype = readText(entry, 'acctype') ?? match?.acctype;
    if (account === undefined || acctype === undefined) throw garbled(`response ${where} has no account`);
    const retcode = readText(entry, 'retcode');
    const errmsg = typeof entry.errmsg === 'string' ? entry.errmsg : undefined;
    const orderStatus = readText(entry, 'order_status');
    if (orderStatus === undefined && (retcode === undefined || retcode === '0')) {
      throw garbled(`response ${where} has no order_status`);
    }
    const amountFen = readTranamt(entry, where);
    const outId = readText(entry, 'out_id');
    const orderDesc = typeof entry.order_desc === 'string' && entry.order_desc !== '' ? entry.order_desc : undefined;
    return {
      orderNo,
      account,
      acctype,
      orderStatus: orderStatus ?? '',
      ...(amountFen !== undefined ? { amountFen } : {}),
      ...(outId !== undefined ? { outId } : {}),
      ...(orderDesc !== undefined ? { orderDesc } : {}),
      ...(retcode !== undefined ? { retcode } : {}),
      ...(errmsg !== undefined ? { errmsg } : {}),
    };
  });
}
