// The token tests' shared rig: dynalite and the sandbox on one manual clock, the gateway's log captured,
// runtimes on a fresh token table each, the count of token calls, and the check of the log they left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { setLogSink } from '../../lib/observability/logger.js';
import type { CredentialsSource } from '../../lib/platform/types.js';
import { createRuntime, type Runtime } from '../../lib/runtime.js';
import { createStaticSource } from '../../lib/secrets/index.js';
import { ensureTables } from '../../lib/tables.js';
import { startDynalite, type TestDynamo } from './dynalite.js';
import { manualClock, startTestSandbox, type ManualClock, type TestSandbox } from './sandbox.js';

export const TOKEN_METHOD = 'synjones.authorize.access_token';

export interface TokenRuntimeOptions {
  /** The environment the configuration is loaded from (default: none). */
  readonly env?: Record<string, string>;
  /** Default: the sandbox's secret, platform key required. */
  readonly credentials?: CredentialsSource;
  readonly instanceId?: string;
}

export interface TokenRig {
  readonly clock: ManualClock;
  /** The gateway's log lines of the file: captured (not printed). */
  readonly logs: string[];
  readonly dynamo: TestDynamo;
  readonly sandbox: TestSandbox;
  /** Creates a token table of its own (named after the prefix) and returns its name. */
  freshTokenTable(): Promise<string>;
  /** A runtime against the sandbox and dynalite on the rig's clock, using `tokenTable`. */
  runtime(tokenTable: string, options?: TokenRuntimeOptions): Promise<Runtime>;
  /** How many token calls the sandbox has seen. */
  tokenCalls(): number;
}

/** Registers the file's beforeAll/afterAll (log sink, dynalite, sandbox) and returns the rig. */
export function useTokenRig(options: { readonly start: Date; readonly tablePrefix: string }): TokenRig {
  const clock = manualClock(options.start);
  const logs: string[] = [];
  let dynamo: TestDynamo | undefined;
  let sandbox: TestSandbox | undefined;
  let tableCounter = 0;

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

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the token rig is used before its beforeAll ran');
    return value;
  };

  const rig: TokenRig = {
    clock,
    logs,
    get dynamo() {
      return started(dynamo);
    },
    get sandbox() {
      return started(sandbox);
    },
    async freshTokenTable() {
      tableCounter += 1;
      const tokenTable = `${options.tablePrefix}-${tableCounter}`;
      await ensureTables(rig.dynamo.client, { tokenTable, ledgerTable: rig.dynamo.tables.ledgerTable });
      return tokenTable;
    },
    runtime(tokenTable, runtimeOptions = {}) {
      const { dynamo: db, sandbox: platform } = rig;
      return createRuntime({
        config: {
          ...loadConfig(runtimeOptions.env ?? {}),
          apiUrl: platform.url,
          billUrl: platform.billUrl,
          tokenTable,
          ledgerTable: db.tables.ledgerTable,
        },
        credentials: runtimeOptions.credentials ?? createStaticSource(platform.secret, { requirePlatformKey: true }),
        dynamo: db.client,
        now: clock.now,
        ...(runtimeOptions.instanceId === undefined ? {} : { instanceId: runtimeOptions.instanceId }),
      });
    },
    tokenCalls: () => rig.sandbox.state.calls.filter((call) => call.method === TOKEN_METHOD).length,
  };
  return rig;
}

/** The last test of a token file: its failed token calls were warned of by error name, and no line holds the token. */
export function describeTokenCallLog(rig: TokenRig): void {
  describe('the log of these token calls', () => {
    it('warns of each failed token call by its error name and never holds a token value', () => {
      const { logs, sandbox } = rig;
      const parsed = logs.map((line) => JSON.parse(line) as { level?: string; message?: string; error?: unknown });
      const failures = parsed.filter((entry) => entry.level === 'WARN' && entry.message?.startsWith('token call failed'));
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) expect(failure.error).toMatch(/Error$/);
      const live = sandbox.state.currentToken?.value;
      if (live !== undefined) for (const line of logs) expect(line).not.toContain(live);
    });
  });
}
