// The local stack behind `npm start` and the HTTP tests: dynalite (or DYNAMODB_ENDPOINT), the sandbox
// platform (or an external one), the data dir, one runtime scope, and the HTTP gateway in front of it.
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { createDirectoryArchive, localBillDir } from '../bills/archive.js';
import { DEFAULT_EVENTS_FILE_NAME } from '../events/file-sink.js';
import { getConfig, type GatewayConfig } from '../config.js';
import { setLogSink, withLogSink, type LogSink } from '../observability/logger.js';
import type { FunctionName } from '../api/routes.js';
import { ConfigurationError } from '../errors.js';
import { API_GATEWAY_TIMEOUT_MS, BILL_FUNCTION_TIMEOUT_SECONDS, MONEY_FUNCTION_TIMEOUT_SECONDS } from '../function-timeouts.js';
import { createRuntimeScope, type RuntimeOverrides, type RuntimeScope } from '../runtime.js';
import { createStaticSource } from '../secrets/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import type { TableNames } from '../tables.js';
import { startLocalDynamo, type LocalDynamo } from './dynamo.js';
import { HANDLERS } from './handlers.js';
import { startHttpGateway } from './http-gateway.js';

export interface LocalServerOptions {
  /** Default 3000 (PORT); 0 = a random free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Use this sandbox (left running on close). Absent and no apiUrl: one is started (and stopped). */
  readonly sandbox?: Sandbox;
  /** Options for the sandbox this server starts. */
  readonly sandboxOptions?: SandboxOptions;
  /** An external platform (SYNJONES_API_URL); then secretFile (SYNJONES_SECRET_FILE) gives the keys. */
  readonly apiUrl?: string;
  readonly billUrl?: string;
  readonly secretFile?: string;
  /** A shared DynamoDB (DYNAMODB_ENDPOINT); absent: an embedded dynalite. */
  readonly dynamoEndpoint?: string;
  readonly tables?: TableNames;
  /** Where local state (bills, reports) is written; default ONECARD_DATA_DIR, else DEFAULT_DATA_DIR. */
  readonly dataDir?: string;
  /** Receives every log line of the gateway and the sandbox (default: stdout/stderr). */
  readonly logSink?: LogSink;
  /** Other runtime overrides (e.g. now, notFoundGraceMs, transport). */
  readonly runtime?: Omit<RuntimeOverrides, 'config' | 'credentials' | 'dynamo' | 'archive'>;
  /** Base configuration; default: the environment (lib/config.ts). */
  readonly config?: GatewayConfig;
  /** The time each invocation's Lambda context gives it (getRemainingTimeInMillis); default its function's timeout (invocationTimeoutMs). */
  readonly invocationTimeoutMs?: number;
}

export interface LocalServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The sandbox in use (ours or the given one); undefined against an external platform. */
  readonly sandbox?: Sandbox;
  /** True when this server started the sandbox. */
  readonly ownsSandbox: boolean;
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly embeddedDynamo: boolean;
  readonly tables: TableNames;
  /** The data directory in use (created at start, reused across runs). */
  readonly dataDir: string;
  /** The bill archive inside it. */
  readonly billDir: string;
  /** Where Order Settled events are appended, one JSON line each (ONECARD_EVENTS_FILE; default events.jsonl in dataDir). */
  readonly eventsFile: string;
  /** This instance's runtime (as one Lambda container's). */
  readonly scope: RuntimeScope;
  /** Invokes a handler directly in this instance's scope (e.g. the scheduled ones). */
  invoke(functionName: FunctionName, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** The project's git-ignored .local/data: one place for everything `npm start` writes, reused across runs. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../.local/data', import.meta.url));

/**
 * The time an invocation's Lambda context gives it: the function's own timeout where lib/function-timeouts.ts
 * holds it (down-bill's settlement and pay's withdraw budget from it, as deployed; a route's answer is still due
 * within API Gateway's 29 s: lib/adapter/time-left.ts), else API Gateway's 29 s.
 */
function invocationTimeoutMs(functionName: FunctionName): number {
  if (functionName === 'down-bill') return BILL_FUNCTION_TIMEOUT_SECONDS * 1000;
  if (functionName === 'pay' || functionName === 'refund') return MONEY_FUNCTION_TIMEOUT_SECONDS * 1000;
  return API_GATEWAY_TIMEOUT_MS;
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const base = options.config ?? getConfig();
  const sink = options.logSink;
  const previousSink = sink ? installSink(sink) : undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
    cleanups.length = 0;
    if (sink) setLogSink(previousSink?.());
  };

  try {
    const tables: TableNames = { exceptionsTable: base.exceptionsTable, ...(options.tables ?? { tokenTable: base.tokenTable, ledgerTable: base.ledgerTable }) };
    const dynamo: LocalDynamo = await startLocalDynamo({ endpoint: options.dynamoEndpoint ?? base.dynamoEndpoint, tables });
    cleanups.push(() => dynamo.close());

    const externalApiUrl = options.sandbox ? undefined : (options.apiUrl ?? base.apiUrl);
    let sandbox = options.sandbox;
    let ownsSandbox = false;
    if (!sandbox && !externalApiUrl) {
      sandbox = await startSandbox({
        ...options.sandboxOptions,
        logger: options.sandboxOptions?.logger ?? ((line) => emitLine(sink, `[sandbox] ${line}`)),
      });
      ownsSandbox = true;
      const started = sandbox;
      cleanups.push(() => started.close());
    }
    const secretFile = options.secretFile ?? base.secretFile;
    if (externalApiUrl && !secretFile) {
      throw new ConfigurationError('SYNJONES_API_URL is set: SYNJONES_SECRET_FILE must name the secret JSON file');
    }
    const apiUrl = sandbox ? sandbox.url : (externalApiUrl as string);
    const billUrl = sandbox ? sandbox.billUrl : (options.billUrl ?? base.billUrl);
    const dataDir = resolve(options.dataDir ?? base.dataDir ?? DEFAULT_DATA_DIR);
    await mkdir(dataDir, { recursive: true });
    const billDir = localBillDir(dataDir);
    const eventsFile = resolve(base.eventsFile ?? join(dataDir, DEFAULT_EVENTS_FILE_NAME));

    const scope = createRuntimeScope({
      ...options.runtime,
      config: {
        ...base,
        apiUrl,
        billUrl,
        secretFile: sandbox ? undefined : secretFile,
        secretId: undefined,
        tokenTable: tables.tokenTable,
        ledgerTable: tables.ledgerTable,
        exceptionsTable: tables.exceptionsTable ?? base.exceptionsTable,
        dynamoEndpoint: dynamo.endpoint,
        dataDir,
        eventsFile,
        eventBusName: undefined,
        onLambda: false,
      },
      dynamo: dynamo.client,
      ...(sandbox ? { credentials: createStaticSource(sandbox.secret, { requirePlatformKey: false }) } : {}),
      archive: createDirectoryArchive(billDir),
    });
    cleanups.push(() => scope.dispose());
    // Fail now, not on the first request, when the secret or the configuration is wrong.
    await withLogSink(sink, () => scope.run(() => scope.runtime()));
    scope.callers(); // a malformed ONECARD_CALLERS_FILE fails the start, naming the entry and field

    const invoke = (functionName: FunctionName, event: unknown): Promise<unknown> =>
      withLogSink(sink, () => scope.run(() => HANDLERS[functionName](event as never, lambdaContext(functionName, options.invocationTimeoutMs ?? invocationTimeoutMs(functionName)))));

    const host = options.host ?? '127.0.0.1';
    const gateway = await startHttpGateway({ port: options.port ?? base.port, host, invoke });
    cleanups.push(() => gateway.close());
    const port = gateway.port;

    return {
      url: `http://${host}:${port}`,
      port,
      ...(sandbox ? { sandbox } : {}),
      ownsSandbox,
      apiUrl,
      dynamoEndpoint: dynamo.endpoint,
      embeddedDynamo: dynamo.embedded,
      tables,
      dataDir,
      billDir,
      eventsFile,
      scope,
      invoke,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const name = `onecard-${functionName}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function emitLine(sink: LogSink | undefined, line: string): void {
  if (sink) sink(line);
  else process.stdout.write(`${line}\n`);
}

/** Installs the sink process-wide (for log lines outside any request) and returns a restorer. */
let currentGlobalSink: LogSink | undefined;
function installSink(sink: LogSink): () => LogSink | undefined {
  const previous = currentGlobalSink;
  currentGlobalSink = sink;
  setLogSink(sink);
  return () => {
    currentGlobalSink = previous;
    return previous;
  };
}
