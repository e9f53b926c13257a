// `npm start -- --instances N`: one database, one platform, N gateway processes on consecutive ports,
// each a child running the local server as one Lambda instance would (own memory, shared table).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfig } from '../config.js';
import { ConfigurationError } from '../errors.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import type { TableNames } from '../tables.js';
import { startLocalDynamo } from './dynamo.js';

/** What a member sends its parent over IPC once it listens. */
export interface MemberReady {
  readonly type: 'ready';
  readonly url: string;
  readonly port: number;
}

export interface FleetInstance {
  /** 1-based, as the banner and the log prefixes number them. */
  readonly index: number;
  readonly url: string;
  readonly port: number;
  readonly pid: number;
}

export interface Fleet {
  readonly instances: readonly FleetInstance[];
  /** The fleet's sandbox; undefined against an external platform (SYNJONES_API_URL). */
  readonly sandbox?: Sandbox;
  readonly apiUrl: string;
  /** The secret file every instance reads (SYNJONES_SECRET_FILE). */
  readonly secretFile: string;
  readonly dynamoEndpoint: string;
  readonly embeddedDynamo: boolean;
  readonly tables: TableNames;
  readonly dataDir: string;
  readonly callersFile?: string;
  /** Stops every instance (SIGTERM, then SIGKILL after a grace), then the sandbox and the database. */
  close(): Promise<void>;
}

export interface FleetOptions {
  readonly count: number;
  readonly config: GatewayConfig;
  /** Resolved data directory, shared by the instances as the deployed ones share a bucket. */
  readonly dataDir: string;
  readonly sandboxOptions?: SandboxOptions;
  /** Every line of the sandbox and of the instances, prefixed `[sandbox]` / `[gateway N]`. */
  readonly output: (line: string) => void;
}

/** The member's entry: this package's lib/local/main.ts, run with the parent's loader (tsx). */
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** How long an instance may take to listen (tsx compiles the handlers at its first start). */
const START_TIMEOUT_MS = 60_000;
/** How long a stopping instance gets before SIGKILL. */
const STOP_GRACE_MS = 4_000;

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { config, output } = options;
  const tables = { tokenTable: config.tokenTable, ledgerTable: config.ledgerTable, exceptionsTable: config.exceptionsTable };
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    cleanups.length = 0;
  };

  try {
    await mkdir(options.dataDir, { recursive: true });
    // The parent creates the tables once, so N members starting together never race to create them.
    const dynamo = await startLocalDynamo({ ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}), tables });
    cleanups.push(() => dynamo.close());

    let sandbox: Sandbox | undefined;
    let apiUrl = config.apiUrl;
    let billUrl = config.billUrl;
    let secretFile = config.secretFile === undefined ? undefined : resolve(config.secretFile);
    if (apiUrl === undefined) {
      const started = await startSandbox({ ...options.sandboxOptions, logger: options.sandboxOptions?.logger ?? ((line) => output(`[sandbox] ${line}`)) });
      sandbox = started;
      cleanups.push(() => started.close());
      apiUrl = started.url;
      billUrl = started.billUrl;
      // One sandbox, one key set: every member reads it like an external platform's secret.
      secretFile = join(options.dataDir, 'fleet-sandbox-secret.json');
      await writeFile(secretFile, `${JSON.stringify(started.secret, null, 2)}\n`, { mode: 0o600 });
    } else if (secretFile === undefined) {
      throw new ConfigurationError('SYNJONES_API_URL is set: SYNJONES_SECRET_FILE must name the secret JSON file');
    }
    const callersFile = config.callersFile === undefined ? undefined : resolve(config.callersFile);

    const base: NodeJS.ProcessEnv = { ...process.env };
    delete base.ONECARD_INSTANCES;
    Object.assign(base, {
      SYNJONES_API_URL: apiUrl,
      SYNJONES_SECRET_FILE: secretFile,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      TOKEN_TABLE: tables.tokenTable,
      LEDGER_TABLE: tables.ledgerTable,
      EXCEPTIONS_TABLE: tables.exceptionsTable,
      ONECARD_DATA_DIR: options.dataDir,
      ...(billUrl ? { SYNJONES_BILL_URL: billUrl } : {}),
      ...(callersFile ? { ONECARD_CALLERS_FILE: callersFile } : {}),
    });
    const instances = await Promise.all(
      Array.from({ length: options.count }, (_, i) => {
        const port = config.port === 0 ? 0 : config.port + i;
        const child = fork(MAIN, ['--fleet-member', String(i + 1)], {
          env: { ...base, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        });
        children.push(child);
        return waitReady(child, i + 1, port, output);
      }),
    );
    for (const child of children) {
      child.once('exit', (code, signal) => {
        if (!stopping.has(child)) output(`[fleet] instance ${memberIndex(child)} exited (${signal ?? `code ${code}`}); the others keep serving`);
      });
    }

    return {
      instances,
      ...(sandbox ? { sandbox } : {}),
      apiUrl,
      secretFile,
      dynamoEndpoint: dynamo.endpoint,
      embeddedDynamo: dynamo.embedded,
      tables,
      dataDir: options.dataDir,
      ...(callersFile ? { callersFile } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

const stopping = new WeakSet<ChildProcess>();
const indexes = new WeakMap<ChildProcess, number>();
const memberIndex = (child: ChildProcess): number => indexes.get(child) ?? 0;

/** Relays the member's output line by line, and resolves when it says it listens. */
function waitReady(child: ChildProcess, index: number, port: number, output: (line: string) => void): Promise<FleetInstance> {
  indexes.set(child, index);
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 5) tail.shift();
        output(`[gateway ${index}] ${line}`);
      }
    });
  }
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(`did not listen within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      const said = tail.filter((line) => line.trim() !== '').join(' / ');
      reject(new Error(`instance ${index} (port ${port}) ${why}${said ? `: ${said}` : ''}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited before listening (${signal ?? `code ${code}`})`);
    const onMessage = (message: unknown): void => {
      const ready = message as Partial<MemberReady> | null;
      if (ready?.type !== 'ready' || typeof ready.url !== 'string' || typeof ready.port !== 'number') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolvePromise({ index, url: ready.url, port: ready.port, pid: child.pid ?? 0 });
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it is still there after the grace; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}
