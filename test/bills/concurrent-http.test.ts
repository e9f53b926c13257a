// Issue 10, "Bills must not fail for the wrong reason": 50 concurrent GETs of one day over HTTP all
// answer 200 (their archive writes never share a temporary file), and leave no temporary file behind.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

let sandbox: TestSandbox;
let server: LocalServer;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-bill-concurrent-'));
  sandbox = await startTestSandbox({ logger: () => undefined });
  server = await startLocalServer({ port: 0, sandbox, dataDir: dataRoot, logSink: () => undefined, config: { ...loadConfig({}) } });
  sandbox.seedDay(chinaDate(), 200, { seed: 3 });
});
afterAll(async () => {
  await server?.close();
  await sandbox?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('50 concurrent GETs of one day', () => {
  it('all answer 200 with the whole bill, and no temporary file is left', async () => {
    const day = chinaDate();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await fetch(`${server.url}/v1/bills/${day}`);
        return { status: response.status, body: (await response.json()) as { count?: number } };
      }),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.body.count))).toEqual(new Set([200]));
    expect((await filesUnder(server.billDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
