// Deployed, the caller is the request's SigV4 identity (requestContext.identity.userArn) matched
// against ONECARD_CALLERS: an assumed-role session is its role, x-onecard-caller and the local
// server's field are ignored, and an unlisted identity is refused before any platform call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/query-card.js';
import { handler as pay } from '../../functions/pay.js';
import { LOCAL_CALLER_FIELD } from '../../lib/adapter/caller.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from './harness.js';

const CALLERS = {
  callers: [
    { name: 'canteen', principals: ['arn:aws:iam::111122223333:role/apps/canteen-app'], routes: ['cards.query'], mercacc: ['1001'] },
    { name: 'library', principals: ['arn:aws:iam::444455556666:role/library'], routes: ['payments.create'], mercacc: ['2001'] },
  ],
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ config: { callersJson: JSON.stringify(CALLERS), onLambda: true } });
});
afterAll(() => harness.close());

const signed = (resource: string, body: unknown, userArn: string | undefined, headers: Record<string, string> = {}, authorizer?: Record<string, string>) => {
  const event = apiEvent({ resource, body, headers });
  return { ...event, requestContext: { ...event.requestContext, identity: { userArn }, authorizer } } as typeof event;
};
const cardQuery = (userArn: string | undefined, headers?: Record<string, string>, authorizer?: Record<string, string>) =>
  handler(signed('/v1/cards/query', { idtype: 'sno', id: '2015032718' }, userArn, headers, authorizer), lambdaContext());

describe('deployed callers (ONECARD_CALLERS, SigV4 identity)', () => {
  it('an assumed-role session of a listed role (listed with a path) is that caller; the query is logged with its name, identity masked', async () => {
    const before = harness.sandbox.state.calls.length;
    const result = await cardQuery('arn:aws:sts::111122223333:assumed-role/canteen-app/i-0123');
    expect(result.statusCode).toBe(200);
    expect(harness.sandbox.state.calls.length).toBeGreaterThan(before);
    const line = harness.logs.find((entry) => entry.includes('"card query"'));
    expect(line).toContain('"caller":"canteen"');
    expect(line).toContain('"identity":"******2718"');
    expect(line).not.toContain('2015032718');
  });

  it('the x-onecard-caller header and the local field name nobody: 401, no platform call', async () => {
    const before = harness.sandbox.state.calls.length;
    const forged = await cardQuery(undefined, { 'x-onecard-caller': 'canteen' }, { [LOCAL_CALLER_FIELD]: 'canteen' });
    expect(forged.statusCode).toBe(401);
    expect(json(forged).error.code).toBe('UNAUTHENTICATED');
    const stranger = await cardQuery('arn:aws:sts::999922223333:assumed-role/canteen-app/s', { 'x-onecard-caller': 'canteen' });
    expect(stranger.statusCode).toBe(401);
    expect(harness.sandbox.state.calls.length).toBe(before);
  });

  it('a listed caller from another account without the route: 403 FORBIDDEN_ROUTE; with it, its merchant limit holds', async () => {
    const before = harness.sandbox.state.calls.length;
    const refused = await cardQuery('arn:aws:sts::444455556666:assumed-role/library/s');
    expect(refused.statusCode).toBe(403);
    expect(json(refused).error.code).toBe('FORBIDDEN_ROUTE');
    const order = { order_no: 'dep-1', account: '32718', tranamt: '1', mercacc: '1001' };
    const merchant = await pay(signed('/v1/payments', order, 'arn:aws:sts::444455556666:assumed-role/library/s'), lambdaContext());
    expect(merchant.statusCode).toBe(403);
    expect(json(merchant).error.code).toBe('FORBIDDEN_MERCHANT');
    expect(harness.sandbox.state.calls.length).toBe(before);
  });
});
