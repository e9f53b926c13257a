// The HTTP edge under 10,000+ generated requests, through the real handlers against the sandbox:
// every input rule of API.md broken one at a time (and some valid requests mixed in) → never a
// 5xx, every refusal a 400 VALIDATION, and no refused request ever reaches the platform.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handler as downBill } from '../../functions/down-bill.js';
import { handler as pay } from '../../functions/pay.js';
import { handler as payQuery } from '../../functions/pay-query.js';
import { handler as queryCard } from '../../functions/query-card.js';
import { handler as refund } from '../../functions/refund.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;

/** A JSON body route, its valid body as members written as JSON text, and the string fields any rule applies to. */
interface BodyRoute {
  readonly name: string;
  readonly resource: string;
  readonly handler: Handler;
  readonly members: (id: number) => [string, string][];
  readonly strings: readonly string[];
}

const q = JSON.stringify;
const BODY_ROUTES: readonly BodyRoute[] = [
  {
    name: 'pay',
    resource: '/v1/payments',
    handler: pay as Handler,
    members: (id) => [['order_no', q(`fz-${id}`)], ['account', '"32718"'], ['tranamt', '"0.01"'], ['mercacc', '"1001"'], ['remark', '"fuzz"'], ['attach', '"a,b"']],
    strings: ['order_no', 'account', 'mercacc', 'remark', 'attach'],
  },
  {
    name: 'refund',
    resource: '/v1/refunds',
    handler: refund as Handler,
    members: (id) => [['order_no', q(`fzr-${id}`)], ['refund_order_no', '"fz-none"'], ['account', '"32718"'], ['tranamt', '"0.01"'], ['mercacc', '"1001"'], ['acctype', '"###"']],
    strings: ['order_no', 'refund_order_no', 'account', 'mercacc', 'acctype'],
  },
  {
    name: 'query-card',
    resource: '/v1/cards/query',
    handler: queryCard as Handler,
    members: () => [['idtype', '"sno"'], ['id', '"2015032718"'], ['pwd', '"123456"']],
    strings: ['id', 'pwd'],
  },
];

/** One broken rule applied to a valid body: the JSON text (or bytes) to send. */
type Defect = (members: [string, string][], strings: readonly string[]) => { text?: string; bytes?: Buffer };

const objectText = (members: readonly [string, string][]): string => `{${members.map(([name, value]) => `${q(name)}:${value}`).join(',')}}`;
const replace = (members: [string, string][], name: string, value: string): [string, string][] =>
  members.some(([n]) => n === name) ? members.map(([n, v]) => [n, n === name ? value : v]) : [...members, [name, value]];

const CONTROL = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((code) => String.fromCharCode(code));
const WHITESPACE = fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\u2028', '\ufeff', '\u2003');
const LONE = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const NOT_ACCOUNT_CHAR = fc.constantFrom(' ', ',', '-', '_', '.', '#', '☕', '账', 'é', '\u0000', '"');
const MULTIBYTE = fc.constantFrom('账', 'é', '€', '😀');
const EXCESS_DECIMALS = fc
  .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 25 }), fc.integer({ min: 1, max: 9 }))
  .map(([whole, cents, zeros, last]) => `${whole}.${String(cents).padStart(2, '0')}${'0'.repeat(zeros)}${last}`);

/** Every rule of API.md "Input rules" that a body can break, with a generator for each. */
const DEFECTS: Record<string, fc.Arbitrary<Defect>> = {
  'invalid UTF-8': fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])).map(
    (bad) => (members) => {
      const text = objectText(replace(members, members[0]?.[0] ?? 'x', '"@@"'));
      const bytes = Buffer.from(text, 'utf8');
      const at = bytes.indexOf('@@');
      return { bytes: Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at + 2)]) };
    },
  ),
  'repeated member': fc.nat().map((pick) => (members) => {
    const [name, value] = members[pick % members.length] as [string, string];
    return { text: objectText([...members, [name, value]]) };
  }),
  'inexact or over-precise amount': fc.tuple(EXCESS_DECIMALS, fc.boolean()).map(([written, asString]) => (members) => ({
    text: objectText(replace(members, 'tranamt', asString ? q(written) : written)),
  })),
  'control character': fc.tuple(fc.nat(), CONTROL, fc.boolean()).map(([pick, char, escaped]) => (members, strings) => {
    const name = strings[pick % strings.length] as string;
    const value = escaped ? q(`a${char}b`) : `"a${char === '"' || char === '\\' ? '' : char}b"`;
    return { text: objectText(replace(members, name, value)) };
  }),
  'lone surrogate': fc.tuple(fc.nat(), LONE, fc.boolean()).map(([pick, char, escaped]) => (members, strings) => {
    const name = strings[pick % strings.length] as string;
    const value = escaped ? `"a\\u${char.charCodeAt(0).toString(16)}"` : `"a${char}"`;
    return { text: objectText(replace(members, name, value)) };
  }),
  'surrounding whitespace': fc.tuple(fc.nat(), WHITESPACE, fc.boolean()).map(([pick, space, leading]) => (members, strings) => {
    const name = strings[pick % strings.length] as string;
    const current = JSON.parse(members.find(([n]) => n === name)?.[1] ?? '"x"') as string;
    return { text: objectText(replace(members, name, q(leading ? `${space}${current}` : `${current}${space}`))) };
  }),
  'character class': fc.tuple(fc.constantFrom('account', 'mercacc', 'acctype', 'order_no', 'refund_order_no'), NOT_ACCOUNT_CHAR).map(
    ([field, char]) => (members) => {
      // order_no allows - and _, the account fields do not.
      const name = members.some(([n]) => n === field) ? field : 'order_no';
      const outside = name.includes('order_no') && (char === '-' || char === '_') ? '.' : char;
      return { text: objectText(replace(members, name, q(`1${outside}2`))) };
    },
  ),
  'byte length': fc.tuple(fc.nat(), MULTIBYTE).map(([pick, char]) => (members, strings) => {
    const name = strings[pick % strings.length] as string;
    const limit = name === 'remark' || name === 'attach' ? 128 : name === 'id' || name === 'pwd' || name === 'order_no' || name === 'refund_order_no' ? 32 : 10;
    const bytes = Buffer.byteLength(char);
    return { text: objectText(replace(members, name, q(char.repeat(Math.floor(limit / bytes) + 1)))) };
  }),
  'not JSON': fc.constantFrom('{', '{"a":}', '[1,]', '{"a":1}}', "{'a':1}", '{"a":01}', '{"a":1.}', '{"a":NaN}', '\u0000').map((text) => () => ({ text })),
};

const BAD_BILL_DATES = fc.oneof(
  fc.integer({ min: 1900, max: 1999 }).map((year) => `${year}0101`),
  fc.constantFrom('19991231', '20230229', '20261301', '20260000', '2026051', '2026-05-12', '%E8%B4%A6', '00000000'),
  fc.integer({ min: 1, max: 4000 }).map((days) => chinaDate(new Date(Date.now() + days * 24 * 3600 * 1000))),
);

interface Generated {
  readonly rule: string;
  readonly event: APIGatewayProxyEvent;
  readonly handler: Handler;
  readonly valid: boolean;
}

let sequence = 0;
const bodyRequest = fc.tuple(fc.constantFrom(...BODY_ROUTES), fc.constantFrom(...Object.keys(DEFECTS))).chain(([route, rule]) =>
  (DEFECTS[rule] as fc.Arbitrary<Defect>).map((defect): Generated => {
    const sent = defect(route.members(++sequence), route.strings);
    const event = apiEvent({ resource: route.resource, rawBody: sent.bytes ? sent.bytes.toString('base64') : (sent.text ?? '') });
    if (sent.bytes) event.isBase64Encoded = true;
    return { rule, event, handler: route.handler, valid: false };
  }),
);
const billRequest = BAD_BILL_DATES.map(
  (date): Generated => ({
    rule: 'bill_date',
    event: apiEvent({ method: 'GET', resource: '/v1/bills/{bill_date}', pathParameters: { bill_date: date } }),
    handler: downBill as Handler,
    valid: false,
  }),
);
const payQueryRequest = fc.constantFrom(...Object.keys(DEFECTS)).chain((rule) =>
  (DEFECTS[rule] as fc.Arbitrary<Defect>).map((defect): Generated => {
    const members: [string, string][] = [['account', '"32718"'], ['acctype', '"###"'], ['order_no', q(`fzq-${++sequence}`)]];
    const inner = defect(members, ['account', 'acctype', 'order_no']);
    const text = inner.text !== undefined ? `{"queries":[${inner.text}]}` : undefined;
    const event = apiEvent({ resource: '/v1/payments/query', rawBody: text ?? (inner.bytes as Buffer).toString('base64') });
    if (text === undefined) event.isBase64Encoded = true;
    // A defect of the outer text ("not JSON") makes an invalid body either way.
    return { rule, event, handler: payQuery as Handler, valid: false };
  }),
);
/** Valid requests, so the property also shows the refusals are not simply "everything". */
const validRequest = fc.constantFrom(...BODY_ROUTES).map(
  (route): Generated => ({ rule: 'valid', event: apiEvent({ resource: route.resource, rawBody: objectText(route.members(++sequence)) }), handler: route.handler, valid: true }),
);

const request = fc.oneof({ weight: 60, arbitrary: bodyRequest }, { weight: 15, arbitrary: payQueryRequest }, { weight: 10, arbitrary: billRequest }, { weight: 1, arbitrary: validRequest });

describe('edge fuzz: every input rule, 10,000+ requests', () => {
  it('answers each broken rule with 400 VALIDATION, never a 5xx, with no platform call', async () => {
    const seen = new Map<string, { refused: number; total: number }>();
    let validAnswered = 0;
    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        const before = harness.sandbox.state.calls.length;
        const result = await generated.handler(generated.event, lambdaContext());
        const calls = harness.sandbox.state.calls.length - before;
        const tally = seen.get(generated.rule) ?? { refused: 0, total: 0 };
        tally.total++;
        expect(result.statusCode, `${generated.rule}: ${result.body}`).toBeLessThan(500);
        if (generated.valid) {
          validAnswered++;
          expect(result.statusCode, result.body).not.toBe(400);
        } else {
          expect(result.statusCode, `${generated.rule} accepted: ${generated.event.body}`).toBe(400);
          expect((JSON.parse(result.body) as { error: { code: string } }).error.code).toBe('VALIDATION');
          expect(calls, `${generated.rule} reached the platform`).toBe(0);
          tally.refused++;
        }
        seen.set(generated.rule, tally);
      }),
      { numRuns: 10_500 },
    );
    // Every rule was exercised often, and the valid requests really went through.
    for (const rule of [...Object.keys(DEFECTS), 'bill_date']) expect(seen.get(rule)?.refused ?? 0, rule).toBeGreaterThan(200);
    expect(validAnswered).toBeGreaterThan(20);
  });
});
