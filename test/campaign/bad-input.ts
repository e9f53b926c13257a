// The campaign's bad-input phase: thousands of generated requests against every route over HTTP, the
// edge fuzz's rule breakers (test/support/bad-input.ts) plus what only HTTP can send (oversized bodies,
// path injection, missing callers, query strings). Refused input must be a 4xx with no platform call;
// the edge cases that may pass (`1e2`, a remark of emoji) must simply never be a 5xx.
import fc from 'fast-check';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { BAD_BILL_DATES, BODY_ROUTES, DEFECTS, objectText, q, replace, type Defect } from '../support/bad-input.js';
import { routeOf, type RawRequest, type Tally } from './http.js';
import type { CampaignStack } from './stack.js';

export interface BadInputReport {
  readonly refusedSent: number;
  /** Refused-class requests answered outside 400–499 (or without an error code). */
  readonly notRefused: string[];
  /** Platform calls while only refused-class requests were in flight. */
  readonly platformCalls: number;
  readonly edgeSent: number;
  readonly byStatus: Record<string, number>;
  readonly fiveHundreds: number;
  /** Route names the requests named ('other': unknown routes and wrong methods). */
  readonly routes: ReadonlySet<string>;
}

interface Generated extends RawRequest {
  readonly rule: string;
}

const today = chinaDate();
let serial = 0;
const tag = (): string => `bi${Date.now().toString(36)}${(serial++).toString(36)}`;

/**
 * A body as a careless client puts it on the wire. A lone surrogate cannot be UTF-8: fetch would send
 * U+FFFD instead (a valid character, so not the rule the fuzz meant); it goes as its three-byte WTF-8 form.
 */
function wire(text: string): { text: string } | { bytes: Buffer } {
  if (!/[\ud800-\udfff]/.test(text)) return { text };
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pair) {
      parts.push(Buffer.from(text.slice(i, i + 2), 'utf8'));
      i += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      parts.push(Buffer.from([0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]));
    } else {
      parts.push(Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return { bytes: Buffer.concat(parts) };
}

/** The fuzz's rule breakers applied to the JSON routes (and wrapped into a pay.query batch). */
const fuzzBody = fc.tuple(fc.constantFrom(...BODY_ROUTES, 'payments.query' as const), fc.constantFrom(...Object.keys(DEFECTS))).chain(([route, rule]) =>
  (DEFECTS[rule] as fc.Arbitrary<Defect>).map((defect): Generated => {
    if (route === 'payments.query') {
      const inner = defect([['account', '"32718"'], ['acctype', '"###"'], ['order_no', q(tag())]], ['account', 'acctype', 'order_no']);
      const text = inner.text !== undefined ? `{"queries":[${inner.text}]}` : undefined;
      return { rule, method: 'POST', path: '/v1/payments/query', caller: 'canteen', ...(text !== undefined ? wire(text) : { bytes: inner.bytes as Buffer }) };
    }
    const sent = defect(route.members(serial++), route.strings);
    return { rule, method: 'POST', path: route.resource, caller: 'canteen', ...(sent.bytes ? { bytes: sent.bytes } : wire(sent.text ?? '')) };
  }),
);

const payMembers = (): [string, string][] => [['order_no', q(tag())], ['account', '"32718"'], ['tranamt', '"0.01"'], ['mercacc', '"1001"']];
const withMember = (name: string, value: string): string => objectText(replace(payMembers(), name, value));

/** Wrong JSON types, spellings of numbers the rules refuse, and bodies over the size limit. */
const HTTP_REFUSED: readonly Generated[] = [
  ...['order_no', 'account', 'mercacc', 'acctype', 'remark'].flatMap((field) =>
    ['12', 'true', 'null', '[]', '{}', '["32718"]'].map((value): Generated => ({ rule: 'wrong type', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember(field, value) })),
  ),
  ...['true', '[]', '{}', '"abc"', '"-1"', '-1', '"0x10"', '0x10', '" 1"', '"1 "', '1e400', '"1e400"', '"1,00"', '"¥1"', '"１"', '""', 'NaN', 'Infinity', '01', '.5', '"12.345"'].map(
    (value): Generated => ({ rule: 'bad amount', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('tranamt', value) }),
  ),
  { rule: 'oversized', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('remark', q('x'.repeat(17 * 1024))) },
  { rule: 'oversized', method: 'POST', path: '/v1/refunds', caller: 'canteen', text: `{"pad":${q('y'.repeat(2 * 1024 * 1024))}}` },
  { rule: 'oversized', method: 'POST', path: '/v1/payments/query', caller: 'canteen', text: `{"queries":[${Array.from({ length: 51 }, () => `{"account":"32718","order_no":${q(tag())}}`).join(',')}]}` },
  { rule: 'bad batch', method: 'POST', path: '/v1/payments/query', caller: 'canteen', text: '{"queries":[]}' },
  { rule: 'bad batch', method: 'POST', path: '/v1/payments/query', caller: 'canteen', text: '{"queries":{"account":"32718"}}' },
  { rule: 'repeated member', method: 'POST', path: '/v1/payments/query', caller: 'canteen', text: '{"queries":[{"account":"32718","order_no":"a","order_no":"b"}]}' },
  { rule: 'empty body', method: 'POST', path: '/v1/payments', caller: 'canteen' },
  { rule: 'BOM', method: 'POST', path: '/v1/payments', caller: 'canteen', text: `\ufeff${withMember('remark', '"bom"')}` },
];

/** Path injection and odd targets on every route with a path parameter, and unknown routes and methods. */
const PATHS: readonly string[] = [
  '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '%00', 'a%2Fb', '%E0%A4%A', '%', "a'%20OR%20'1'%3D'1", '%7B%7D', 'x'.repeat(33), '%F0%9F%98%80', 'a%20', '%20a', 'a.b', 'a%0Ab',
];
const PATH_REFUSED: readonly Generated[] = [
  ...PATHS.map((p): Generated => ({ rule: 'path injection', method: 'GET', path: `/v1/payments/${p}`, caller: 'canteen' })),
  ...PATHS.flatMap((p) =>
    ['', '/merchants', '/report.csv'].map((tail): Generated => ({ rule: 'path injection', method: 'GET', path: `/v1/bills/${p}${tail}`, caller: 'finance' })),
  ),
  ...PATHS.map((p): Generated => ({ rule: 'path injection', method: 'POST', path: `/v1/reconciliation/exceptions/${p}/acknowledge`, caller: 'finance', text: '{"note":"x"}' })),
  ...['/v1/nope', '/v1/payments/a/b', '/v1//payments', '/v1/bills', '/../v1/payments', '/v1/payments%2Fquery'].map((path): Generated => ({ rule: 'unknown route', method: 'GET', path, caller: 'canteen' })),
  ...['DELETE', 'PUT', 'PATCH'].flatMap((method) =>
    ['/v1/payments', '/v1/refunds', '/v1/cards/query', `/v1/bills/${today}`].map((path): Generated => ({ rule: 'wrong method', method, path, caller: 'canteen', text: '{}' })),
  ),
];

/** Query strings of the bill routes, the exceptions routes' input, and every caller refusal (API.md "Callers"). */
const ROUTE_REFUSED: readonly Generated[] = [
  ...['limit=0', 'limit=5001', 'limit=-1', 'limit=0x10', 'limit=%201', 'limit=1.5', 'limit=abc', 'cursor=garbage', 'cursor=%00', 'crypt_type=2', 'crypt_type=%201', 'bill_type=X', 'bill_type=all', 'limit=99999999999999999999'].flatMap((query) =>
    ['', '/merchants', '/report.csv'].map((tail): Generated => ({ rule: 'bill query', method: 'GET', path: `/v1/bills/${today}${tail}?${query}`, caller: 'finance' })),
  ),
  ...['status=bogus', 'bill_date=2026', 'limit=0', 'cursor=garbage'].map((query): Generated => ({ rule: 'exceptions query', method: 'GET', path: `/v1/reconciliation/exceptions?${query}`, caller: 'finance' })),
  ...['{}', '{"note":""}', `{"note":${q('n'.repeat(257))}}`, '{"note":1}', '{"note":"a","note":"b"}'].map((text): Generated => ({ rule: 'exceptions input', method: 'POST', path: '/v1/reconciliation/exceptions/none/acknowledge', caller: 'finance', text })),
  { rule: 'no caller', method: 'POST', path: '/v1/payments', caller: null, text: withMember('remark', '"x"') },
  { rule: 'unknown caller', method: 'POST', path: '/v1/payments', caller: 'mallory', text: withMember('remark', '"x"') },
  { rule: 'unknown caller', method: 'GET', path: `/v1/bills/${today}`, caller: 'Finance' },
  { rule: 'route not granted', method: 'POST', path: '/v1/cards/query', caller: 'library', text: '{"idtype":"sno","id":"2015032718"}' },
  { rule: 'route not granted', method: 'POST', path: '/v1/payments', caller: 'finance', text: withMember('remark', '"x"') },
  { rule: 'route not granted', method: 'GET', path: `/v1/bills/${today}`, caller: 'canteen' },
  { rule: 'merchant not granted', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('mercacc', '"2001"') },
  { rule: 'amount over limit', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('tranamt', '"500.01"') },
];

/** Inputs the rules may let through: never a 5xx, whatever else they are answered. */
const EDGE: readonly Generated[] = [
  ...['1e2', '1234e-2', '12.340', '"10"', '10', '99999999999999999999', '"0.00"', '0', '1E1'].map((value): Generated => ({ rule: 'number spelling', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('tranamt', value) })),
  ...['😀'.repeat(32), 'é'.repeat(64), 'e\u0301', '\u202eevil', 'a\u200db', '\ufffd', '账'.repeat(42)].map(
    (remark): Generated => ({ rule: 'unicode remark', method: 'POST', path: '/v1/payments', caller: 'canteen', text: withMember('remark', q(remark)) }),
  ),
  { rule: 'repeated query key', method: 'GET', path: `/v1/bills/${today}?limit=1&limit=2`, caller: 'finance' },
  { rule: 'content type', method: 'POST', path: '/v1/cards/query', caller: 'canteen', text: '{"idtype":"sno","id":"2015032718"}', headers: { 'content-type': 'text/plain' } },
  { rule: 'unknown order', method: 'GET', path: `/v1/payments/${tag()}`, caller: 'canteen' },
];

/** The refused-class requests of one run: the fixed lists once, the rest generated from the seed. */
export function refusedRequests(seed: number, count: number): Generated[] {
  const fixed = [...HTTP_REFUSED, ...PATH_REFUSED, ...ROUTE_REFUSED];
  const billDates = fc.sample(BAD_BILL_DATES, { seed, numRuns: Math.max(1, Math.floor(count / 12)) }).map(
    (date, i): Generated => ({ rule: 'bill_date', method: 'GET', path: `/v1/bills/${encodeURIComponent(date)}${['', '/merchants', '/report.csv'][i % 3]}`, caller: 'finance' }),
  );
  const generated = fc.sample(fuzzBody, { seed, numRuns: Math.max(1, count - fixed.length - billDates.length) });
  return [...fixed, ...billDates, ...generated];
}

async function sendAll(stack: CampaignStack, tally: Tally, requests: readonly Generated[], concurrency: number, seen: (request: Generated, status: number | undefined, code: string | undefined) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        const request = requests[i];
        if (!request) return;
        const instance = stack.instances[i % stack.instances.length]!;
        const answer = await tally.send(instance.url, instance.index, request, 30_000);
        seen(request, answer?.status, answer?.code);
      }
    }),
  );
}

export async function runBadInput(stack: CampaignStack, tally: Tally, options: { seed: number; count: number; concurrency: number }): Promise<BadInputReport> {
  const refused = refusedRequests(options.seed, options.count);
  const byStatus: Record<string, number> = {};
  const notRefused: string[] = [];
  const routes = new Set<string>();
  let fiveHundreds = 0;
  const note = (request: Generated, status: number | undefined): void => {
    byStatus[String(status ?? 'no answer')] = (byStatus[String(status ?? 'no answer')] ?? 0) + 1;
    routes.add(routeOf(request.method, request.path));
    if (status !== undefined && status >= 500) fiveHundreds += 1;
  };
  const callsBefore = stack.sandbox.state.calls.length;
  await sendAll(stack, tally, refused, options.concurrency, (request, status, code) => {
    note(request, status);
    if (status === undefined || status < 400 || status > 499 || code === undefined) {
      notRefused.push(`${request.rule}: ${request.method} ${request.path.slice(0, 60)} ${(request.text ?? '').slice(0, 80)} → ${status} ${code ?? ''}`);
    }
  });
  const platformCalls = stack.sandbox.state.calls.length - callsBefore;
  await sendAll(stack, tally, EDGE, options.concurrency, (request, status) => note(request, status));
  return { refusedSent: refused.length, notRefused, platformCalls, edgeSent: EDGE.length, byStatus, fiveHundreds, routes };
}
