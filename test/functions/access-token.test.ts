// functions/access-token.ts: the scheduled renewal issues a token when due and logs no token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/access-token.js';
import { lambdaContext } from '../adapter/events.js';
import { startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

describe('scheduled access-token renewal', () => {
  it('renews when there is no token, then reports the current one without renewing', async () => {
    const first = await handler({}, lambdaContext());
    expect(first.renewed).toBe(true);
    expect(harness.sandbox.state.tokenIssueCount).toBe(1);
    const second = await handler({}, lambdaContext());
    expect(second.renewed).toBe(false);
    expect(second.expiresAt).toBe(first.expiresAt);
    expect(harness.sandbox.state.tokenIssueCount).toBe(1);
    const token = harness.sandbox.state.currentToken?.value;
    expect(token).toBeTruthy();
    expect(harness.logs.join('\n')).not.toContain(token!);
    expect(harness.logs.some((line) => line.includes('scheduled run done') && line.includes('"renewed":true'))).toBe(true);
  });
});
