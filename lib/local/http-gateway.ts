// The local HTTP front of the API: a server on 127.0.0.1 that turns each request into the API Gateway
// REST proxy event the deployed API sends, invokes the route's handler and writes its proxy result back.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MethodNotAllowedError } from '../api/errors.js';
import { errorResponse, toHttpError, type HttpErrorResponse } from '../presenters/error-response.js';
import { chooseRequestId } from '../adapter/request-id.js';
import { LOCAL_CALLER_FIELD } from '../adapter/caller.js';
import { openApiDocument } from '../api/openapi.js';
import { matchRoute, type FunctionName } from '../api/routes.js';
import { NotFoundError } from '../errors.js';

/** Runs one handler as its Lambda function would (the local stack's scope). */
export type Invoke = (functionName: FunctionName, event: unknown) => Promise<unknown>;

export interface HttpGatewayOptions {
  readonly port: number;
  readonly host: string;
  readonly invoke: Invoke;
}

export interface HttpGateway {
  /** The port bound (the one asked for, or the free one chosen for 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Largest body the local server reads (API Gateway's own limit is 10 MB; the chain's is 16 KB). */
const MAX_READ_BYTES = 1024 * 1024;

/**
 * How long an idle keep-alive connection stays open (Node's default is 5 s). A client that reuses a
 * connection the server is just closing as idle gets ECONNRESET: a client in this process whose event
 * loop was held across the server's timeout (a test parsing a 100,000-row bill in between) writes its next
 * request before either side's idle timer has run, and the server then closes the socket with that request
 * unread. Load balancers keep idle connections 60 s; the server outlasts that, so clients close first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Listens on host:port and serves every request through `invoke`. */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const { invoke } = options;
  const server = createServer((request, response) => {
    void serve(request, response, invoke).catch((error: unknown) => {
      const mapped = toHttpError(error);
      writeJson(response, mapped.statusCode, mapped.body, { ...mapped.headers, 'x-request-id': randomUUID() });
    });
  });
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Above the keep-alive timeout, as Node advises, so an idle connection is never cut as a slow request.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  return { port, close: () => closeServer(server, sockets) };
}

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

/**
 * A request Node could not read as HTTP (a head over its 16 KB, a malformed request line, a head not sent in
 * time): answered in the API's error shape with a request id, like every other answer, then the connection closed.
 * Without this Node writes a bare 400/431/408 with no body.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request head is too large: the limit is 16 KB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request head did not arrive in time']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const { body } = errorResponse(status, 'VALIDATION', message);
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'content-type: application/json; charset=utf-8',
    'cache-control: no-store',
    `x-request-id: ${randomUUID()}`,
    'connection: close',
    `content-length: ${payload.length}`,
  ];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]));
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
