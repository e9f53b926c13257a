// One platform call processed: the system-level checks of its fields (required, lengths, format, app_key,
// timestamp skew, signature, method, token, decryption), then the method's business handler.
import iconv from 'iconv-lite';
import { parseRequestTimestamp } from './china-time.js';
import {
  downBill,
  issueAccessToken,
  pay,
  payQuery,
  queryCard,
  refund,
  type BusinessAnswer,
  type BusinessContext,
} from './business.js';
import type { Keys } from './keys.js';
import { BILL_PATH } from './platform-endpoint.js';
import type { SandboxWorld } from './state.js';
import { SANDBOX_METHODS, type SandboxFault, type SandboxOptions } from './types.js';
import { decryptTripleDes, encryptBillText, rsaSha1Verify, signString } from './wire.js';

const REQUIRED_FIELDS = ['method', 'timestamp', 'format', 'app_key', 'access_token', 'v', 'sign_method', 'request', 'sign'];
/** The spec's byte-length limits of the system fields (1.2.1); longer is an illegal message (40001). */
const SYSTEM_FIELD_MAX_BYTES: Readonly<Record<string, number>> = {
  method: 64,
  timestamp: 19,
  format: 16,
  app_key: 128,
  access_token: 128,
  v: 16,
  sign_method: 16,
};
const ZERO_TOKEN = '0'.repeat(128);
const MAX_BODY_BYTES = 1024 * 1024;

const ROOT_KEYS: Readonly<Record<string, string>> = {
  [SANDBOX_METHODS.accessToken]: 'authorize_access_token',
  [SANDBOX_METHODS.queryCard]: 'query_card',
  [SANDBOX_METHODS.pay]: 'gdccard_pay',
  [SANDBOX_METHODS.refund]: 'gdccard_refund',
  [SANDBOX_METHODS.payQuery]: 'pay_query',
  [SANDBOX_METHODS.downBill]: 'down_bill',
};

/** What processing a call produced, before faults shape the answer. */
export type Outcome =
  | { readonly kind: 'system'; readonly errcode: string; readonly reason: string }
  | { readonly kind: 'business'; readonly rootKey: string; readonly answer: BusinessAnswer; readonly orderNo?: string }
  | { readonly kind: 'bill'; readonly body: Buffer };

export interface CallProcessorDeps {
  readonly appKey: string;
  readonly maxSkewMs: number;
  readonly now: () => Date;
  /** The keys in use now (the platform's may be rotated). */
  readonly keys: () => Keys;
  readonly world: SandboxWorld;
  readonly context: BusinessContext;
  readonly tripleDesKey: Buffer;
  readonly billDesKey: Buffer;
  readonly billEncoding: NonNullable<SandboxOptions['billEncoding']>;
}

/** Processes one call to `path` with its form fields; a `retcode` fault answers in place of the business. */
export type CallProcessor = (path: string, fields: ReadonlyMap<string, string>, fault: SandboxFault | undefined) => Outcome;

export function createCallProcessor(deps: CallProcessorDeps): CallProcessor {
  const { appKey, maxSkewMs, now, keys, world, context, tripleDesKey, billDesKey, billEncoding } = deps;
  return function processCall(path: string, fields: ReadonlyMap<string, string>, fault: SandboxFault | undefined): Outcome {
    const system = (errcode: string, reason: string): Outcome => ({ kind: 'system', errcode, reason });
    const missing = REQUIRED_FIELDS.filter((name) => !fields.get(name));
    if (missing.length > 0) return system('40001', `missing ${missing.join(',')}`);
    const field = (name: string): string => fields.get(name) ?? '';
    const tooLong = Object.entries(SYSTEM_FIELD_MAX_BYTES).filter(([name, max]) => Buffer.byteLength(field(name), 'utf8') > max);
    if (tooLong.length > 0) return system('40001', `too long: ${tooLong.map(([name]) => name).join(',')}`);
    if (field('format') !== 'json') return system('40015', 'format');
    if (field('v') !== '2.0') return system('40016', 'v');
    if (field('sign_method') !== 'rsa') return system('40003', 'sign_method');
    if (field('app_key') !== appKey) return system('40002', 'app_key');
    const sentAt = parseRequestTimestamp(field('timestamp'));
    if (!sentAt || Math.abs(now().getTime() - sentAt.getTime()) > maxSkewMs) return system('40018', 'timestamp');
    if (!rsaSha1Verify(signString(fields), field('sign'), keys().clientPublicKey)) return system('40004', 'sign');
    const method = field('method');
    const rootKey = ROOT_KEYS[method];
    const allowedHere = path === BILL_PATH ? method === SANDBOX_METHODS.downBill : method !== SANDBOX_METHODS.downBill;
    if (rootKey === undefined || !allowedHere) return system('40012', 'method');
    const accessToken = field('access_token');
    if (method === SANDBOX_METHODS.accessToken) {
      if (accessToken !== ZERO_TOKEN) return system('40017', 'token call needs 128 zeros');
    } else if (accessToken !== world.liveToken()?.value) {
      return system('40017', 'access_token');
    }
    const plain = decryptTripleDes(field('request'), tripleDesKey);
    if (!plain) return system('40001', 'request does not decrypt');
    // A wrong key still "decrypts" when the garbage happens to end in valid padding (about 1 in 256):
    // bytes that are not UTF-8 text did not decrypt either. Only text that is not JSON is a format error.
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      return system('40001', 'request does not decrypt to UTF-8 text');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return system('40015', 'request is not JSON');
    }
    const root = isObject(parsed) ? parsed[rootKey] : undefined;
    if (!isObject(root)) return system('40015', `request has no ${rootKey} object`);
    // Payments and refunds name their order in the call log, so a test can count the calls per order_no.
    const orderNo = (method === SANDBOX_METHODS.pay || method === SANDBOX_METHODS.refund) && typeof root.order_no === 'string' ? { orderNo: root.order_no } : {};
    if (fault?.type === 'retcode') {
      return { kind: 'business', rootKey, answer: { retcode: fault.retcode, errmsg: fault.errmsg ?? `sandbox fault: retcode ${fault.retcode}` }, ...orderNo };
    }

    switch (method) {
      case SANDBOX_METHODS.accessToken:
        return { kind: 'business', rootKey, answer: issueAccessToken(context) };
      case SANDBOX_METHODS.queryCard:
        return { kind: 'business', rootKey, answer: queryCard(context, root) };
      case SANDBOX_METHODS.pay:
        return { kind: 'business', rootKey, answer: pay(context, root), ...orderNo };
      case SANDBOX_METHODS.refund:
        return { kind: 'business', rootKey, answer: refund(context, root), ...orderNo };
      case SANDBOX_METHODS.payQuery:
        return { kind: 'business', rootKey, answer: payQuery(context, root) };
      default: {
        const bill = downBill(context, root);
        if (bill.kind === 'refused') return { kind: 'business', rootKey, answer: bill.answer };
        // The bill's text in the platform's encoding (UTF-8, or GBK like many deployed platforms), then as is or DES'd.
        const bytes = billEncoding === 'gbk' ? iconv.encode(bill.text, 'gbk') : Buffer.from(bill.text, 'utf8');
        const body = bill.cryptType === '0' ? bytes : Buffer.from(encryptBillText(bytes, billDesKey), 'ascii');
        return { kind: 'bill', body };
      }
    }
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
