// The campaign's stack: one dynalite, one sandbox, a callers file of three callers, a secret file every
// instance reads (so a rotation is a file replaced), one events file, and N gateway instances: child
// processes (`npm start -- --instances N`, lib/local/fleet.ts) or, for the quick run in npm test, servers in
// this process whose token spacing can be shortened. A back-office instance can join later with its clock moved.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type GatewayConfig } from '../../lib/config.js';
import { startFleet } from '../../lib/local/fleet.js';
import { startLocalDynamo } from '../../lib/local/dynamo.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { startSandbox, type Sandbox, type SandboxAccountSeed, type SynjonesSecretJson } from '../../lib/sandbox/index.js';
import type { TableNames } from '../../lib/tables.js';
import { TOKEN_SPACING_MS } from '../../lib/timings.js';

/** The three callers: two campus systems sharing merchant 1001, and finance reading bills and exceptions. */
export const CAMPAIGN_CALLERS = {
  callers: [
    {
      name: 'canteen',
      routes: ['cards.query', 'payments.create', 'payments.read', 'payments.query', 'refunds.create'],
      mercacc: ['1001', '1002'],
      max_tranamt: '500.00',
    },
    { name: 'library', routes: ['payments.create', 'payments.read', 'payments.query', 'refunds.create'], mercacc: ['2001', '1001'] },
    { name: 'finance', routes: ['payments.read', 'payments.query', 'bills.read', 'reconciliation.read', 'reconciliation.write'], mercacc: '*' },
  ],
} as const;

export type CallerName = (typeof CAMPAIGN_CALLERS.callers)[number]['name'];

/**
 * The card holders: funded so that money runs out only where a refusal is meant (王五 has nothing,
 * 赵六's card is reported lost). Payments go to the first three.
 */
export const CAMPAIGN_ACCOUNTS: readonly SandboxAccountSeed[] = [
  { account: '32718', name: '张三', sno: '2015032718', pwd: '123456', balanceFen: 50_000_000 },
  { account: '32719', name: '李四', sno: '2015032719', balanceFen: 50_000_000 },
  { account: '32723', name: '孙八', sno: '2015032723', balanceFen: 50_000_000 },
  { account: '32720', name: '王五', sno: '2015032720', balanceFen: 0 },
  { account: '32721', name: '赵六', sno: '2015032721', balanceFen: 10_000, lost: true },
];

export interface StackOptions {
  /** 'processes': the real fleet (child processes, the platform's 120 s token rule); 'in-process': npm test's quick run. */
  readonly mode: 'processes' | 'in-process';
  readonly instances: number;
  /** Where everything of the run is written (data, secret, callers, events, log). */
  readonly dir: string;
  readonly platformTimeoutMs: number;
  /** BILL_FINAL_AFTER, China time HH:mm. */
  readonly billFinalAfter: string;
  /** 'in-process' only: the token spacing of the sandbox and the instances (processes: the platform's rule). */
  readonly tokenSpacingMs?: number;
}

export interface CampaignInstance {
  /** 1-based. */
  readonly index: number;
  readonly url: string;
}

export interface CampaignStack {
  readonly instances: readonly CampaignInstance[];
  readonly sandbox: Sandbox;
  readonly secretFile: string;
  readonly callersFile: string;
  readonly eventsFile: string;
  readonly dataDir: string;
  readonly dynamoEndpoint: string;
  readonly tables: TableNames;
  /** The spacing of token calls both sides keep. */
  readonly tokenSpacingMs: number;
  readonly logFile: string;
  /** The secret every instance reads now. */
  currentSecret(): SynjonesSecretJson;
  /** Records the secret a rotation renamed into place (the rename itself is the rotation's, in one tick). */
  adoptSecret(secret: SynjonesSecretJson): void;
  /** One more instance in this process on the same table and files, its clock `clockOffsetMs` ahead. */
  startBackOffice(clockOffsetMs: () => number): Promise<LocalServer>;
  close(): Promise<void>;
}

const TABLES: TableNames = { tokenTable: 'campaign-tokens', ledgerTable: 'campaign-ledger', exceptionsTable: 'campaign-exceptions' };

export async function startCampaignStack(options: StackOptions): Promise<CampaignStack> {
  const dataDir = join(options.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const callersFile = join(options.dir, 'callers.json');
  const eventsFile = join(options.dir, 'events.jsonl');
  const logFile = join(options.dir, 'campaign.log');
  await writeFile(callersFile, `${JSON.stringify(CAMPAIGN_CALLERS, null, 2)}\n`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const output = (line: string): void => void log.write(`${line}\n`);
  const closers: (() => Promise<void>)[] = [() => new Promise<void>((resolve) => log.end(() => resolve()))];
  const close = async (): Promise<void> => {
    for (const step of closers.splice(0).reverse()) await step().catch(() => undefined);
  };
  const tokenSpacingMs = options.mode === 'processes' ? TOKEN_SPACING_MS : (options.tokenSpacingMs ?? TOKEN_SPACING_MS);
  const sandboxOptions = { accounts: CAMPAIGN_ACCOUNTS, minTokenIntervalMs: tokenSpacingMs, logger: (line: string) => output(`[sandbox] ${line}`) };
  const env = {
    SYNJONES_TIMEOUT_MS: String(options.platformTimeoutMs),
    BILL_FINAL_AFTER: options.billFinalAfter,
    ONECARD_EVENTS_FILE: eventsFile,
    ONECARD_CALLERS_FILE: callersFile,
    ONECARD_DATA_DIR: dataDir,
    TOKEN_TABLE: TABLES.tokenTable,
    LEDGER_TABLE: TABLES.ledgerTable,
    EXCEPTIONS_TABLE: TABLES.exceptionsTable,
    PORT: '0',
  };
  const config: GatewayConfig = loadConfig(env);

  try {
    let sandbox: Sandbox;
    let secretFile: string;
    let dynamoEndpoint: string;
    let instances: CampaignInstance[];
    if (options.mode === 'processes') {
      // The members inherit this process's environment: the run's settings travel that way, as for npm start.
      for (const [name, value] of Object.entries(env)) process.env[name] = value;
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const fleet = await startFleet({ count: options.instances, config, dataDir, sandboxOptions, output });
      closers.push(() => fleet.close());
      if (!fleet.sandbox) throw new Error('the campaign needs the built-in sandbox (unset SYNJONES_API_URL)');
      sandbox = fleet.sandbox;
      secretFile = fleet.secretFile;
      dynamoEndpoint = fleet.dynamoEndpoint;
      instances = fleet.instances.map(({ index, url }) => ({ index, url }));
    } else {
      const dynamo = await startLocalDynamo({ tables: TABLES });
      closers.push(() => dynamo.close());
      dynamoEndpoint = dynamo.endpoint;
      const started = await startSandbox(sandboxOptions);
      closers.push(() => started.close());
      sandbox = started;
      secretFile = join(dataDir, 'campaign-secret.json');
      await writeFile(secretFile, `${JSON.stringify(started.secret, null, 2)}\n`, { mode: 0o600 });
      const servers = await Promise.all(
        Array.from({ length: options.instances }, (_, i) =>
          startInstance({ config, sandbox: started, secretFile, dynamoEndpoint, dataDir, output: (line) => output(`[gateway ${i + 1}] ${line}`), tokenSpacingMs }),
        ),
      );
      for (const server of servers) closers.push(() => server.close());
      instances = servers.map((server, i) => ({ index: i + 1, url: server.url }));
    }

    let secret: SynjonesSecretJson = { ...sandbox.secret };
    return {
      instances,
      sandbox,
      secretFile,
      callersFile,
      eventsFile,
      dataDir,
      dynamoEndpoint,
      tables: TABLES,
      tokenSpacingMs,
      logFile,
      currentSecret: () => secret,
      adoptSecret(next) {
        secret = next;
      },
      async startBackOffice(clockOffsetMs) {
        const server = await startInstance({
          config,
          sandbox,
          secretFile,
          dynamoEndpoint,
          dataDir,
          output: (line) => output(`[back office] ${line}`),
          tokenSpacingMs,
          now: () => new Date(Date.now() + clockOffsetMs()),
        });
        closers.push(() => server.close());
        return server;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** An instance in this process that reads the secret file as a deployed one reads Secrets Manager. */
function startInstance(input: {
  config: GatewayConfig;
  sandbox: Sandbox;
  secretFile: string;
  dynamoEndpoint: string;
  dataDir: string;
  output: (line: string) => void;
  tokenSpacingMs: number;
  now?: () => Date;
}): Promise<LocalServer> {
  // apiUrl and secretFile instead of `sandbox`: the keys come from the file, so a rotation reaches it.
  return startLocalServer({
    port: 0,
    apiUrl: input.sandbox.url,
    billUrl: input.sandbox.billUrl,
    secretFile: input.secretFile,
    dynamoEndpoint: input.dynamoEndpoint,
    tables: TABLES,
    dataDir: input.dataDir,
    logSink: input.output,
    config: input.config,
    runtime: { tokenOptions: { minIssueIntervalMs: input.tokenSpacingMs }, ...(input.now ? { now: input.now } : {}) },
  });
}
