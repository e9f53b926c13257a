// Retry-After after a refused or failed token call is the time left in the 2-minute window the
// gateway then keeps (lib/token/manager.ts), not a constant: the runtime against the sandbox on one clock.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../lib/runtime.js';
import { TOKEN_SPACING_MS } from '../../lib/timings.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { issueSandboxToken } from '../support/sandbox.js';
import { rejection } from '../support/rejection.js';
import { describeTokenCallLog, TOKEN_METHOD, useTokenRig } from '../support/token-rig.js';

const rig = useTokenRig({ start: new Date(Date.UTC(2026, 11, 1, 3, 0, 0)), tablePrefix: 'retry-after-tokens' });
const { clock, tokenCalls } = rig;

async function runtime(): Promise<Runtime> {
  return rig.runtime(await rig.freshTokenTable());
}

const queryCard = (r: Runtime) => r.platform.queryCard({ idtype: 'sno', id: '2015032719' });

describe('Retry-After after a token call that did not give a token', () => {
  it('refused by the spacing rule (60066): the whole window the gateway now waits, then what is left of it', async () => {
    clock.advance(10 * 60_000);
    const r = await runtime();
    await issueSandboxToken(rig.sandbox, clock.now()); // someone else's token call (another deployment)
    clock.advance(30_000);
    const before = tokenCalls();

    const refused = await rejection(queryCard(r));
    expect(refused).toBeInstanceOf(TokenUnavailableError);
    expect(rig.sandbox.state.calls.at(-1)).toMatchObject({ method: TOKEN_METHOD, retcode: '60066' });
    expect((refused as TokenUnavailableError).retryAfterSeconds).toBe(TOKEN_SPACING_MS / 1000);

    clock.advance(45_000);
    const waiting = await rejection(queryCard(r));
    expect((waiting as TokenUnavailableError).retryAfterSeconds).toBe(TOKEN_SPACING_MS / 1000 - 45);
    expect(tokenCalls()).toBe(before + 1);

    clock.advance(TOKEN_SPACING_MS - 45_000);
    expect((await queryCard(r)).map((card) => card.account)).toEqual(['32719']);
    expect(tokenCalls()).toBe(before + 2);
  });

  it('a busy answer to the token call: the rest of the window, not the busy answer\'s 2 s', async () => {
    clock.advance(10 * 60_000);
    const r = await runtime();
    rig.sandbox.faults.inject({ type: 'busy' }, { methods: [TOKEN_METHOD] });
    const busy = await rejection(queryCard(r));
    expect(busy).toBeInstanceOf(TokenUnavailableError);
    expect((busy as TokenUnavailableError).retryAfterSeconds).toBe(TOKEN_SPACING_MS / 1000);
  });
});

describeTokenCallLog(rig);
