// Tests' local server over HTTP: a temporary data root, the sandbox and a local server on it, started in
// the file's beforeAll (then the file's own setup) and closed in its afterAll; plus the money helpers
// and the payment made past the gateway that the bill tests over HTTP share.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../lib/local/stack.js';
import { sandboxCall, startTestSandbox, type TestSandbox, type TestSandboxOptions } from './sandbox.js';

export interface LocalHttpOptions {
  /** Prefix of the temporary data root (removed at the end). */
  readonly prefix: string;
  /** Written to <root>/callers.json and named as the configuration's callers file. */
  readonly callers?: unknown;
  /** The server's data directory under the root (default: the root itself). */
  readonly dataDir?: string;
  /** Default: the sandbox's log dropped. */
  readonly sandbox?: TestSandboxOptions;
  /** More server options (default: the log dropped, the configuration of an empty environment). */
  readonly server?: Partial<LocalServerOptions>;
  /** The file's own setup once both run (seeding, orders); inside the same beforeAll. */
  readonly setup?: (rig: LocalHttp) => Promise<void>;
  /** The beforeAll's timeout. */
  readonly timeoutMs?: number;
}

export interface LocalHttp {
  readonly sandbox: TestSandbox;
  readonly server: LocalServer;
  readonly dataRoot: string;
}

/** Registers the file's beforeAll/afterAll and returns the rig (its fields are there from the beforeAll on). */
export function useLocalHttp(options: LocalHttpOptions): LocalHttp {
  let sandbox: TestSandbox | undefined;
  let server: LocalServer | undefined;
  let dataRoot: string | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the local HTTP rig is used before its beforeAll ran');
    return value;
  };
  const rig: LocalHttp = {
    get sandbox() {
      return started(sandbox);
    },
    get server() {
      return started(server);
    },
    get dataRoot() {
      return started(dataRoot);
    },
  };

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), options.prefix));
    let callersFile: string | undefined;
    if (options.callers !== undefined) {
      callersFile = join(dataRoot, 'callers.json');
      await writeFile(callersFile, JSON.stringify(options.callers));
    }
    sandbox = await startTestSandbox({ logger: () => undefined, ...options.sandbox });
    server = await startLocalServer({
      port: 0,
      sandbox,
      dataDir: options.dataDir === undefined ? dataRoot : join(dataRoot, options.dataDir),
      logSink: () => undefined,
      ...options.server,
      config: { ...loadConfig({}), ...options.server?.config, ...(callersFile === undefined ? {} : { callersFile }) },
    });
    await options.setup?.(rig);
  }, options.timeoutMs ?? 60_000);
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  });
  return rig;
}

/** Fen of a yuan amount as the API writes it ("3.30" → 330). */
export const fen = (yuan: string): number => Math.round(Number(yuan) * 100);
/** Yuan text of fen (330 → "3.30", -250 → "-2.50"). */
export const yuan = (value: number): string => `${value < 0 ? '-' : ''}${Math.floor(Math.abs(value) / 100)}.${String(Math.abs(value) % 100).padStart(2, '0')}`;

/** A payment made straight at the platform with the gateway's current token: the gateway never hears of it (missing_local). */
export async function payPastGateway(sandbox: TestSandbox, order: { readonly order_no: string; readonly tranamt: string; readonly mercacc: string }): Promise<void> {
  const token = sandbox.state.currentToken?.value;
  if (token === undefined) throw new Error('no gateway token yet: pay through the gateway first');
  const answer = await sandboxCall(sandbox, 'pay', { account: '32718', acctype: '###', remark: '', attach: '', ...order }, { accessToken: token });
  if (answer.root?.retcode !== '0') throw new Error(`the payment past the gateway was refused: ${JSON.stringify(answer.root ?? answer.envelope)}`);
}

/** An answer of the local server: its status and JSON body (undefined when empty). */
export interface CallerAnswer {
  readonly status: number;
  /** Read freely by the tests (any: an answer's shape is what they assert). */
  readonly body: any;
}

/** `method path` on the local server at `baseUrl` as the named caller (x-onecard-caller), with a JSON body if given. */
export async function callerRequest(baseUrl: string, method: string, path: string, caller: string, body?: unknown): Promise<CallerAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-onecard-caller': caller },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
