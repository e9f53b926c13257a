// Retry-After after a refused or failed token call is the time left in the 2-minute window the
// gateway then keeps (lib/token/manager.ts), not a constant: the runtime against the sandbox on one clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../lib/observability/logger.js';
import { loadConfig } from '../../lib/config.js';
import { createRuntime, type Runtime } from '../../lib/runtime.js';
import { createStaticSource } from '../../lib/secrets/index.js';
import { TOKEN_SPACING_MS } from '../../lib/timings.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { ensureTables } from '../../lib/tables.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { issueSandboxToken, manualClock, startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { rejection } from '../support/rejection.js';

const TOKEN_METHOD = 'synjones.authorize.access_token';

let dynamo: TestDynamo;
let sandbox: TestSandbox;
const clock = manualClock(new Date(Date.UTC(2026, 11, 1, 3, 0, 0)));
let tableCounter = 0;

/** The gateway's log lines of this file: captured (not printed) and checked by the last test. */
const logs: string[] = [];

beforeAll(async () => {
  setLogSink((line) => logs.push(line));
  dynamo = await startDynalite();
  sandbox = await startTestSandbox({ now: clock.now });
});
afterAll(async () => {
  setLogSink(undefined);
  await sandbox?.close();
  await dynamo?.close();
});

async function runtime(): Promise<Runtime> {
  tableCounter += 1;
  const tokenTable = `retry-after-tokens-${tableCounter}`;
  await ensureTables(dynamo.client, { tokenTable, ledgerTable: dynamo.tables.ledgerTable });
  return createRuntime({
    config: { ...loadConfig({}), apiUrl: sandbox.url, billUrl: sandbox.billUrl, tokenTable, ledgerTable: dynamo.tables.ledgerTable },
    credentials: createStaticSource(sandbox.secret, { requirePlatformKey: true }),
    dynamo: dynamo.client,
    now: clock.now,
  });
}

const queryCard = (r: Runtime) => r.platform.queryCard({ idtype: 'sno', id: '2015032719' });
const tokenCalls = (): number => sandbox.state.calls.filter((call) => call.method === TOKEN_METHOD).length;

describe('Retry-After after a token call that did not give a token', () => {
  it('refused by the spacing rule (60066): the whole window the gateway now waits, then what is left of it', async () => {
    clock.advance(10 * 60_000);
    const r = await runtime();
    await issueSandboxToken(sandbox, clock.now()); // someone else's token call (another deployment)
    clock.advance(30_000);
    const before = tokenCalls();

    const refused = await rejection(queryCard(r));
    expect(refused).toBeInstanceOf(TokenUnavailableError);
    expect(sandbox.state.calls.at(-1)).toMatchObject({ method: TOKEN_METHOD, retcode: '60066' });
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
    sandbox.faults.inject({ type: 'busy' }, { methods: [TOKEN_METHOD] });
    const busy = await rejection(queryCard(r));
    expect(busy).toBeInstanceOf(TokenUnavailableError);
    expect((busy as TokenUnavailableError).retryAfterSeconds).toBe(TOKEN_SPACING_MS / 1000);
  });
});

describe('the log of these token calls', () => {
  it('warns of each failed token call by its error name and never holds a token value', () => {
    const parsed = logs.map((line) => JSON.parse(line) as { level?: string; message?: string; error?: unknown });
    const failures = parsed.filter((entry) => entry.level === 'WARN' && entry.message?.startsWith('token call failed'));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.error).toMatch(/Error$/);
    const live = sandbox.state.currentToken?.value;
    if (live !== undefined) for (const line of logs) expect(line).not.toContain(live);
  });
});
