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
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { BAD_BILL_DATES, BODY_ROUTES, DEFECTS, objectText, q, type BodyRoute, type Defect } from '../support/bad-input.js';
import { startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;

/** The handler of each body route (the routes and their valid bodies are in test/support/bad-input.ts). */
const HANDLER_OF: Readonly<Record<BodyRoute['name'], Handler>> = {
  pay: pay as Handler,
  refund: refund as Handler,
  'query-card': queryCard as Handler,
};

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
    return { rule, event, handler: HANDLER_OF[route.name], valid: false };
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
  (route): Generated => ({ rule: 'valid', event: apiEvent({ resource: route.resource, rawBody: objectText(route.members(++sequence)) }), handler: HANDLER_OF[route.name], valid: true }),
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
