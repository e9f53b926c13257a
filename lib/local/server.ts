// The local stack behind `npm start` and the HTTP tests: dynalite (or DYNAMODB_ENDPOINT), the
// sandbox platform (or an external one), and an HTTP server on 127.0.0.1 that turns each request
// into the API Gateway REST proxy event the deployed API sends and invokes the same handlers.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDirectoryArchive, localBillDir } from '../bills/archive.js';
import { DEFAULT_EVENTS_FILE_NAME } from '../events/file-sink.js';
import { getConfig, type GatewayConfig } from '../config.js';
import { MethodNotAllowedError } from '../api/errors.js';
import { errorResponse, toHttpError, type HttpErrorResponse } from '../presenters/error-response.js';
import { setLogSink, withLogSink, type LogSink } from '../observability/logger.js';
import { chooseRequestId } from '../adapter/request-id.js';
import { LOCAL_CALLER_FIELD } from '../adapter/caller.js';
import { openApiDocument } from '../api/openapi.js';
import { matchRoute, type FunctionName } from '../api/routes.js';
import { ConfigurationError, NotFoundError } from '../errors.js';
import { createRuntimeScope, type RuntimeOverrides, type RuntimeScope } from '../runtime.js';
import { createStaticSource } from '../secrets/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import type { TableNames } from '../tables.js';
import { startLocalDynamo, type LocalDynamo } from './dynamo.js';
import { HANDLERS } from './handlers.js';

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

/** Largest body the local server reads (API Gateway's own limit is 10 MB; the chain's is 16 KB). */
const MAX_READ_BYTES = 1024 * 1024;
/** API Gateway's integration timeout. */
const INVOCATION_TIMEOUT_MS = 29_000;

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
    const tables = options.tables ?? { tokenTable: base.tokenTable, ledgerTable: base.ledgerTable };
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
      withLogSink(sink, () => scope.run(() => HANDLERS[functionName](event as never, lambdaContext(functionName))));

    const server = createServer((request, response) => {
      void serve(request, response, invoke).catch((error: unknown) => {
        const mapped = toHttpError(error);
        writeJson(response, mapped.statusCode, mapped.body, { ...mapped.headers, 'x-request-id': randomUUID() });
      });
    });
    const sockets = new Set<Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await listen(server, options.port ?? base.port, options.host ?? '127.0.0.1');
    cleanups.push(() => closeServer(server, sockets));
    const port = (server.address() as AddressInfo).port;
    const host = options.host ?? '127.0.0.1';

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

type Invoke = (functionName: FunctionName, event: unknown) => Promise<unknown>;

async function serve(request: IncomingMessage, response: ServerResponse, invoke: Invoke): Promise<void> {
  const method = (request.method ?? 'GET').toUpperCase();
  const headers = singleValueHeaders(request);
  const requestId = chooseRequestId({ headers, requestContext: undefined } as unknown as Partial<APIGatewayProxyEvent>);
  const fail = (error: HttpErrorResponse): void =>
    writeJson(response, error.statusCode, error.body, { ...error.headers, 'x-request-id': requestId });
  const url = requestUrl(request.url ?? '/');
  if (!url) {
    request.resume();
    fail(errorResponse(400, 'VALIDATION', 'the request target is not a valid URL path'));
    return;
  }

  const body = await readBody(request, MAX_READ_BYTES);
  if (body === 'too-large') {
    // The rest of the body is not read: close the connection so it is not reused mid-body.
    fail(errorResponse(400, 'VALIDATION', `request body is too large: the limit is ${16 * 1024} bytes`, false, { connection: 'close' }));
    return;
  }

  if (url.pathname === '/openapi.json' && (method === 'GET' || method === 'HEAD')) {
    writeJson(response, 200, openApiDocument({ serverUrl: `http://${request.headers.host ?? 'localhost'}` }), { 'x-request-id': requestId });
    return;
  }

  const match = matchRoute(method, url.pathname);
  if (match.kind === 'not-found') {
    fail(toHttpError(new NotFoundError(`no route ${url.pathname.slice(0, 200)}`)));
    return;
  }
  if (match.kind === 'method-not-allowed') {
    fail(toHttpError(new MethodNotAllowedError(method.slice(0, 20), match.allowed)));
    return;
  }
  const { route } = match;
  if (route.functionName === null) {
    writeJson(response, 200, { status: 'ok' }, { 'x-request-id': requestId });
    return;
  }

  const pathParameters: Record<string, string> = {};
  for (const [name, raw] of Object.entries(match.pathParameters)) {
    try {
      pathParameters[name] = decodeURIComponent(raw);
    } catch {
      fail(errorResponse(400, 'VALIDATION', `${name}: is not valid percent-encoding`));
      return;
    }
  }

  const event = proxyEvent({ request, url, method, headers, body, resource: route.resource, pathParameters, requestId });
  const result = (await invoke(route.functionName, event)) as APIGatewayProxyResult;
  const outHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) outHeaders[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[name] = values.map(String);
  const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  response.writeHead(result.statusCode, { ...outHeaders, 'content-length': String(payload.length) });
  response.end(payload);
}

/** The request target as a URL ("//x" is a path here, not a protocol-relative URL). */
function requestUrl(target: string): URL | undefined {
  try {
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
  } catch {
    return undefined;
  }
}

/** The API Gateway REST (v1) proxy event for a request. */
function proxyEvent(input: {
  request: IncomingMessage;
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  resource: string;
  pathParameters: Record<string, string>;
  requestId: string;
}): APIGatewayProxyEvent {
  const { request, url } = input;
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) if (values) multiValueHeaders[name] = values;
  // Prototype-free maps: a query key like `constructor` or `__proto__` is data, not a built-in.
  const query = Object.create(null) as Record<string, string>;
  const multiQuery = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  const gatewayRequestId = randomUUID();
  return {
    resource: input.resource,
    path: url.pathname,
    httpMethod: input.method,
    headers: input.headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : null,
    stageVariables: null,
    // Text as API Gateway passes it; bytes that are not UTF-8 go base64-encoded, as a binary body
    // would, so the chain refuses them instead of reading U+FFFD where the client sent something else.
    body: input.body.length === 0 ? null : isUtf8(input.body) ? input.body.toString('utf8') : input.body.toString('base64'),
    isBase64Encoded: input.body.length > 0 && !isUtf8(input.body),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      // The x-onecard-caller header travels where API Gateway alone writes (lib/adapter/caller.ts):
      // deployed, the header is just a header and the caller is the request's SigV4 identity.
      authorizer: input.headers['x-onecard-caller'] !== undefined ? { [LOCAL_CALLER_FIELD]: input.headers['x-onecard-caller'] } : null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: input.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: input.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: url.pathname,
      stage: 'local',
      requestId: gatewayRequestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: input.resource,
    },
  };
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + INVOCATION_TIMEOUT_MS;
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

/** API Gateway's single-value headers: the last value of a repeated header. */
function singleValueHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    const last = values?.at(-1);
    if (last !== undefined) headers[name] = last;
  }
  return headers;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      request.resume();
      return 'too-large';
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function writeJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string>): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
    'content-length': String(payload.length),
  });
  response.end(payload);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, 2_000);
  force.unref();
  await closed;
  clearTimeout(force);
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
