// A bill body that stalls mid-stream, through the local server and the sandbox's stallBody fault: the download
// fails within the idle timeout (one platform timeout) as a platform timeout, nothing of it becomes current and
// no temporary file is left; the next request downloads the day whole. One that trickles in (trickleBody: every
// gap inside the idle bound) fails the same way once the function has only BILL_BODY_RESERVE_MS left.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { SANDBOX_METHODS } from '../../lib/sandbox/types.js';
import { BILL_BODY_RESERVE_MS } from '../../lib/timings.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

const DAY = '20260105';
const TRICKLED_DAY = '20260106';
const ROWS = 3000;
let sandbox: TestSandbox;
let server: LocalServer;
/** Each invocation's Lambda time: BILL_BODY_RESERVE_MS + 2.5 s. */
const SHORT_MS = BILL_BODY_RESERVE_MS + 2_500;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-bill-stall-'));
  sandbox = await startTestSandbox({ logger: () => undefined });
  server = await startLocalServer({
    port: 0, sandbox, dataDir: dataRoot, logSink: () => undefined, invocationTimeoutMs: SHORT_MS, config: { ...loadConfig({}), platformTimeoutMs: 1_000 },
  });
  expect(sandbox.seedDay(DAY, ROWS, { seed: 3 }).created).toBe(ROWS);
  expect(sandbox.seedDay(TRICKLED_DAY, ROWS, { seed: 4 }).created).toBe(ROWS);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

const files = async (): Promise<string[]> => (await readdir(dataRoot, { recursive: true })).map(String);

/** After a failed download of `day`: no temporary file, nothing of the day new since `before`; the next one is whole. */
async function expectNothingKeptThenWhole(day: string, before: readonly string[]): Promise<void> {
  expect((await files()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  expect((await files()).filter((name) => !before.includes(name) && name.includes(day))).toEqual([]);
  const whole = await fetch(`${server.url}/v1/bills/${day}`);
  expect(whole.status).toBe(200);
  expect(((await whole.json()) as { count: number }).count).toBe(ROWS);
}

describe('a stalled bill body', () => {
  it('fails within the idle timeout, leaves nothing current and no temporary file; the next download is whole', async () => {
    const before = await files();
    sandbox.faults.inject({ type: 'stallBody', afterBytes: 40_000 }, { methods: [SANDBOX_METHODS.downBill] });
    const started = Date.now();
    const stalled = await fetch(`${server.url}/v1/bills/${DAY}`);
    const elapsed = Date.now() - started;
    const body = (await stalled.json()) as { error?: { code?: string } };
    expect(stalled.status).toBeGreaterThanOrEqual(500);
    expect(JSON.stringify(body)).toMatch(/TIMEOUT/i);
    expect(elapsed).toBeLessThan(8_000);
    await expectNothingKeptThenWhole(DAY, before);
  }, 30_000);

  it('a body that trickles in, each gap inside the idle bound, fails when the function has the reserve left', async () => {
    const before = await files();
    // 2,000 bytes every 200 ms: the day's body would take ~30 s; the idle bound (1 s) never trips.
    sandbox.faults.inject({ type: 'trickleBody', bytes: 2_000, everyMs: 200 }, { methods: [SANDBOX_METHODS.downBill] });
    const started = Date.now();
    const trickled = await fetch(`${server.url}/v1/bills/${TRICKLED_DAY}`);
    const elapsed = Date.now() - started;
    expect(trickled.status).toBeGreaterThanOrEqual(500);
    const answer = JSON.stringify(await trickled.json());
    expect(answer).toMatch(/TIMEOUT/i);
    expect(answer).toMatch(/did not answer within \d{4} ms/); // how long the body came, not the last wait
    // Cut at SHORT_MS - BILL_BODY_RESERVE_MS (2.5 s) into the invocation: not by the idle bound, not at the end.
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(SHORT_MS - 1_000);
    await expectNothingKeptThenWhole(TRICKLED_DAY, before);
  }, 30_000);
});
