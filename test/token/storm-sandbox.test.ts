// The storm end to end: 200 cold instances (own platform client and credentials, own manager, fresh
// memory, one table) query a card on the sandbox over HTTP at once → exactly one token call
// reaches the platform; a token the platform kills mid-storm costs exactly one more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPlatformClient, createFetchTransport, type Transport } from '../../lib/platform/client.js';
import type { PlatformClient } from '../../lib/platform/types.js';
import { createStaticSource } from '../../lib/secrets/sources.js';
import { createDynamoTokenStore } from '../../lib/token/store.js';
import { createTokenManager } from '../../lib/token/manager.js';
import { TokenUnavailableError } from '../../lib/token/errors.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { manualClock } from './fakes.js';

const INSTANCES = 200;
const SPACING = 300;
const TOKEN_METHOD = 'synjones.authorize.access_token';

let dynamo: TestDynamo;
let sandbox: TestSandbox;
let dynamoClients: DynamoDBClient[];
/** The fleet of the first test, warm (tokens in memory) for the second. */
let warmFleet: PlatformClient[] | undefined;
const clock = manualClock(Date.UTC(2026, 10, 26, 1, 0, 0));

/** Runs `onSend(n)` as the n-th request of the whole fleet is about to leave (to kill the token mid-storm). */
const sendHook: { onSend?: (sent: number) => void; sent: number } = { sent: 0 };

beforeAll(async () => {
  dynamo = await startDynalite();
  sandbox = await startTestSandbox({ minTokenIntervalMs: SPACING, now: () => new Date(clock.now()) });
  // 20 DynamoDB clients shared round-robin (each instance still has its own platform client,
  // credentials, store, manager and memory): 200 sockets to dynalite only slow the test down.
  const pool = Array.from({ length: 20 }, () => dynamo.newClient());
  dynamoClients = Array.from({ length: INSTANCES }, (_, i) => pool[i % pool.length]!);
});
afterAll(async () => {
  await sandbox?.close();
  await dynamo?.close();
});

/** A cold fleet: every instance has its own credentials source, platform client and token manager. */
function coldFleet(): PlatformClient[] {
  return dynamoClients.map((dynamoClient) => {
    const base = createFetchTransport();
    const transport: Transport = (request) => {
      sendHook.sent += 1;
      sendHook.onSend?.(sendHook.sent);
      return base(request);
    };
    let platform: PlatformClient | undefined;
    const tokens = createTokenManager({
      store: createDynamoTokenStore({ client: dynamoClient, tableName: dynamo.tables.tokenTable }),
      appKey: sandbox.secret.app_key,
      fetchToken: (call) => platform!.fetchAccessToken(call), // as lib/runtime.ts wires it: the send time reaches the store
      now: clock.now,
      minIssueIntervalMs: SPACING,
    });
    platform = createPlatformClient({
      apiUrl: sandbox.url,
      credentials: createStaticSource(sandbox.secret, { requirePlatformKey: true }),
      tokens,
      transport,
      now: () => new Date(clock.now()),
    });
    return platform;
  });
}

type Outcome = { ok: true } | { ok: false; error: unknown };

async function storm(fleet: readonly PlatformClient[]): Promise<Outcome[]> {
  return Promise.all(
    fleet.map(async (platform): Promise<Outcome> => {
      try {
        const cards = await platform.queryCard({ idtype: 'sno', id: '2015032719' });
        expect(cards.map((card) => card.account)).toEqual(['32719']);
        return { ok: true };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
}

function tokenCallsSeen(): number {
  return sandbox.state.calls.filter((call) => call.method === TOKEN_METHOD).length;
}

describe('token storm against the sandbox (200 cold instances)', { timeout: 120_000 }, () => {
  it('one token call for the whole fleet; a token killed mid-storm costs exactly one more, failures only a retryable 503', async () => {
    const fleet = coldFleet();
    warmFleet = fleet;

    // Cold storm: exactly one token call reaches the platform; every query succeeds.
    const cold = await storm(fleet);
    expect(cold.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(sandbox.state.tokenIssueCount).toBe(1);
    expect(tokenCallsSeen()).toBe(1);

    // The platform kills the token mid-storm, 100 ms after issue: the spacing forbids a new call,
    // so the killed calls fail only with the retryable TokenUnavailableError (503), never a token call.
    clock.advance(100);
    const killAt = sendHook.sent + 100;
    sendHook.onSend = (sent) => {
      if (sent === killAt) sandbox.state.invalidateToken();
    };
    const early = await storm(fleet);
    const earlyFailures = early.filter((outcome) => !outcome.ok);
    expect(earlyFailures.length).toBeGreaterThan(0);
    for (const failure of earlyFailures) {
      const error = (failure as { error: unknown }).error;
      expect(error).toBeInstanceOf(TokenUnavailableError);
      expect((error as TokenUnavailableError).retryable).toBe(true);
      expect((error as TokenUnavailableError).retryAfterSeconds).toBe(1);
    }
    expect(sandbox.state.tokenIssueCount).toBe(1);
    expect(tokenCallsSeen()).toBe(1);

    // Spacing elapsed: the retries share exactly one more token call and all succeed.
    sendHook.onSend = undefined;
    clock.advance(SPACING);
    const retried = await storm(fleet);
    expect(retried.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(sandbox.state.tokenIssueCount).toBe(2);
    expect(tokenCallsSeen()).toBe(2);
  });

  it('a token killed mid-storm once the spacing allows costs exactly one more call and no failure', async () => {
    const fleet = warmFleet ?? coldFleet();
    const before = sandbox.state.tokenIssueCount;
    clock.advance(SPACING);
    const killAt = sendHook.sent + 100;
    sendHook.onSend = (sent) => {
      if (sent === killAt) sandbox.state.invalidateToken();
    };
    const outcomes = await storm(fleet);
    sendHook.onSend = undefined;
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(sandbox.state.tokenIssueCount).toBe(before + 1);
    expect(sandbox.state.calls.some((call) => call.errcode === '40017')).toBe(true);
  });
});
