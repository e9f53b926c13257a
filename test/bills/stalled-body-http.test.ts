// A bill body that stalls mid-stream, through the local server and the sandbox's stallBody fault: the download
// fails within the idle timeout (one platform timeout) as a platform timeout, nothing of it becomes current and
// no temporary file is left; the next request downloads the day whole.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { SANDBOX_METHODS } from '../../lib/sandbox/types.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

const DAY = '20260105';
const ROWS = 3000;
let sandbox: TestSandbox;
let server: LocalServer;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-bill-stall-'));
  sandbox = await startTestSandbox({ logger: () => undefined });
  server = await startLocalServer({
    port: 0, sandbox, dataDir: dataRoot, logSink: () => undefined, config: { ...loadConfig({}), platformTimeoutMs: 1_000 },
  });
  expect(sandbox.seedDay(DAY, ROWS, { seed: 3 }).created).toBe(ROWS);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

const files = async (): Promise<string[]> => (await readdir(dataRoot, { recursive: true })).map(String);

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
    expect((await files()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect((await files()).filter((name) => !before.includes(name) && name.includes(DAY))).toEqual([]);
    const whole = await fetch(`${server.url}/v1/bills/${DAY}`);
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { count: number }).count).toBe(ROWS);
  }, 30_000);
});
