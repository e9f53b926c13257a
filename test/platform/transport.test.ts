// The default fetch transport against real local sockets: success, refused (NOT_SENT), dropped
// after the request arrived (UNKNOWN), and timeout (UNKNOWN).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyTransportError, createFetchTransport } from '../../lib/platform/transport.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import { rejection } from '../support/rejection.js';

const servers: Server[] = [];

async function serve(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handler(request, response, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/onecard/uap/gateway.action`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('createFetchTransport', () => {
  const transport = createFetchTransport();

  it('POSTs the form body and returns status and raw bytes', async () => {
    let seen: { method?: string; type?: string; body?: string } = {};
    const url = await serve((request, response, body) => {
      seen = { method: request.method, type: request.headers['content-type'], body };
      response.writeHead(500).end(Buffer.from([0xc7, 0xa9]));
    });
    const result = await transport({ url, body: 'a=1&b=%2B', timeoutMs: 5000 });
    expect(seen).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded; charset=UTF-8', body: 'a=1&b=%2B' });
    expect(result.status).toBe(500);
    expect(result.body.equals(Buffer.from([0xc7, 0xa9]))).toBe(true);
  });

  it('connection refused → PlatformUnreachableError NOT_SENT', async () => {
    const url = await serve(() => undefined);
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await rejection(transport({ url, body: 'x=1', timeoutMs: 5000 }));
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as PlatformUnreachableError).delivery).toBe('NOT_SENT');
  });

  it('socket destroyed after the request arrived → PlatformUnreachableError UNKNOWN', async () => {
    const url = await serve((request) => request.socket.destroy());
    const error = await rejection(transport({ url, body: 'x=1', timeoutMs: 5000 }));
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as PlatformUnreachableError).delivery).toBe('UNKNOWN');
  });

  it('no answer within the timeout → PlatformTimeoutError UNKNOWN', async () => {
    const url = await serve(() => undefined);
    const error = await rejection(transport({ url, body: 'x=1', timeoutMs: 150 }));
    expect(error).toBeInstanceOf(PlatformTimeoutError);
    expect((error as PlatformTimeoutError).delivery).toBe('UNKNOWN');
    expect((error as PlatformTimeoutError).timeoutMs).toBe(150);
  });

  it('a body cut off mid-stream → UNKNOWN', async () => {
    const url = await serve((_, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('errcode=0');
      setTimeout(() => response.socket?.destroy(), 10);
    });
    const error = await rejection(transport({ url, body: 'x=1', timeoutMs: 5000 }));
    expect((error as PlatformUnreachableError).delivery).toBe('UNKNOWN');
  });
});

describe('classifyTransportError', () => {
  it('walks causes and AggregateErrors for the code', () => {
    const refused = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'x');
    expect(classifyTransportError(new TypeError('fetch failed', { cause: refused }), 1).delivery).toBe('NOT_SENT');
    const connectTimeout = new TypeError('fetch failed', { cause: Object.assign(new Error('c'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) });
    const mapped = classifyTransportError(connectTimeout, 9);
    expect(mapped).toBeInstanceOf(PlatformTimeoutError);
    expect(mapped.delivery).toBe('NOT_SENT');
    expect(classifyTransportError(new DOMException('aborted', 'AbortError'), 1)).toBeInstanceOf(PlatformTimeoutError);
    const passthrough = new PlatformUnreachableError('x', 'NOT_SENT');
    expect(classifyTransportError(passthrough, 1)).toBe(passthrough);
  });
});
