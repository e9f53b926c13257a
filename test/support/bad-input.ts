// Generators of broken input, one per rule of API.md "Input rules": shared by the edge fuzz (the
// handlers in-process) and the campaign's bad-input phase (the same requests over HTTP to a fleet).
import fc from 'fast-check';
import { chinaDate } from '../../lib/protocol/timestamp.js';

/** A JSON body route, its valid body as members written as JSON text, and the string fields any rule applies to. */
export interface BodyRoute {
  readonly name: 'pay' | 'refund' | 'query-card';
  readonly resource: '/v1/payments' | '/v1/refunds' | '/v1/cards/query';
  readonly members: (id: number) => [string, string][];
  readonly strings: readonly string[];
}

export const q = JSON.stringify;
export const BODY_ROUTES: readonly BodyRoute[] = [
  {
    name: 'pay',
    resource: '/v1/payments',
    members: (id) => [['order_no', q(`fz-${id}`)], ['account', '"32718"'], ['tranamt', '"0.01"'], ['mercacc', '"1001"'], ['remark', '"fuzz"'], ['attach', '"a,b"']],
    strings: ['order_no', 'account', 'mercacc', 'remark', 'attach'],
  },
  {
    name: 'refund',
    resource: '/v1/refunds',
    members: (id) => [['order_no', q(`fzr-${id}`)], ['refund_order_no', '"fz-none"'], ['account', '"32718"'], ['tranamt', '"0.01"'], ['mercacc', '"1001"'], ['acctype', '"###"']],
    strings: ['order_no', 'refund_order_no', 'account', 'mercacc', 'acctype'],
  },
  {
    name: 'query-card',
    resource: '/v1/cards/query',
    members: () => [['idtype', '"sno"'], ['id', '"2015032718"'], ['pwd', '"123456"']],
    strings: ['id', 'pwd'],
  },
];

/** One broken rule applied to a valid body: the JSON text (or bytes) to send. */
export type Defect = (members: [string, string][], strings: readonly string[]) => { text?: string; bytes?: Buffer };

export const objectText = (members: readonly [string, string][]): string => `{${members.map(([name, value]) => `${q(name)}:${value}`).join(',')}}`;
export const replace = (members: [string, string][], name: string, value: string): [string, string][] =>
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
export const DEFECTS: Record<string, fc.Arbitrary<Defect>> = {
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

export const BAD_BILL_DATES = fc.oneof(
  fc.integer({ min: 1900, max: 1999 }).map((year) => `${year}0101`),
  fc.constantFrom('19991231', '20230229', '20261301', '20260000', '2026051', '2026-05-12', '%E8%B4%A6', '00000000'),
  fc.integer({ min: 1, max: 4000 }).map((days) => chinaDate(new Date(Date.now() + days * 24 * 3600 * 1000))),
);
