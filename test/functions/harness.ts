// Runs the real handlers in-process against dynalite and the sandbox platform: the container
// runtime is replaced (setRuntimeForLocal) and every log line is captured.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectoryArchive } from '../../lib/bills/archive.js';
import { loadConfig, type GatewayConfig } from '../../lib/config.js';
import { setLogSink } from '../../lib/observability/logger.js';
import { setRuntimeForLocal, type RuntimeOverrides, type RuntimeScope } from '../../lib/runtime.js';
import { createStaticSource } from '../../lib/secrets/index.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { startTestSandbox, type TestSandbox, type TestSandboxOptions } from '../support/sandbox.js';

export interface Harness {
  readonly dynamo: TestDynamo;
  readonly sandbox: TestSandbox;
  readonly scope: RuntimeScope;
  readonly logs: string[];
  readonly billDir: string;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    sandbox?: TestSandboxOptions;
    runtime?: Omit<RuntimeOverrides, 'config' | 'credentials' | 'dynamo' | 'archive'>;
    /** Merged over the harness's configuration (e.g. callersJson and onLambda for deployed callers). */
    config?: Partial<GatewayConfig>;
  } = {},
): Promise<Harness> {
  const logs: string[] = [];
  setLogSink((line) => logs.push(line));
  const dynamo = await startDynalite();
  const sandbox = await startTestSandbox({ ...options.sandbox, logger: (line) => logs.push(`[sandbox] ${line}`) });
  const billDir = await mkdtemp(join(tmpdir(), 'onecard-bills-test-'));
  const scope = setRuntimeForLocal({
    ...options.runtime,
    config: {
      ...loadConfig({}),
      apiUrl: sandbox.url,
      billUrl: sandbox.billUrl,
      tokenTable: dynamo.tables.tokenTable,
      ledgerTable: dynamo.tables.ledgerTable,
      exceptionsTable: dynamo.tables.exceptionsTable,
      platformTimeoutMs: 2_000,
      ...options.config,
    },
    credentials: createStaticSource(sandbox.secret, { requirePlatformKey: true }),
    dynamo: dynamo.client,
    archive: createDirectoryArchive(billDir),
  });
  return {
    dynamo,
    sandbox,
    scope,
    logs,
    billDir,
    close: async () => {
      await scope.dispose();
      await sandbox.close();
      await dynamo.close();
      await rm(billDir, { recursive: true, force: true });
      setLogSink(undefined);
    },
  };
}

/** Parses a handler result's JSON body. */
export function json(result: { body: string }): any {
  return JSON.parse(result.body);
}
