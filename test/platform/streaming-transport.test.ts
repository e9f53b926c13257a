// The streaming transport's contract: every one is made by streamingTransport(), which bounds each wait for a body
// chunk by the request's idleTimeoutMs (a stall fails as PlatformTimeoutError and cancels the body), without
// counting the consumer's time; the fetch one against a real socket that stalls; a bare function does not compile.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFetchStreamingTransport,
  streamingTransport,
  type OpenedResponse,
  type StreamingTransport,
} from '../../lib/platform/transport.js';
import { PlatformTimeoutError, PlatformUnreachableError } from '../../lib/platform/errors.js';
import { rejection } from '../support/rejection.js';

const request = { url: 'http://127.0.0.1:9/onecard/uap/downbill.do', body: 'x=1', timeoutMs: 1_000, idleTimeoutMs: 150 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function drain(body: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}

/** An opener whose body yields `chunks`, then never another (and ignores cancel, as a careless transport might). */
function stallingOpener(chunks: number, cancelled: Error[]) {
  return async (): Promise<OpenedResponse> => ({
    status: 200,
    body: (async function* () {
      for (let i = 0; i < chunks; i += 1) yield new Uint8Array(10);
      await new Promise(() => undefined);
    })(),
    cancel: (reason) => void cancelled.push(reason),
  });
}

describe('streamingTransport (the idle bound every streaming transport has)', () => {
  it('fails a body that stalls as PlatformTimeoutError within the bound, and cancels it, even if cancel ends nothing', async () => {
    const cancelled: Error[] = [];
    const response = await streamingTransport(stallingOpener(2, cancelled))(request);
    const started = Date.now();
    const error = await rejection(drain(response.body));
    expect(error).toBeInstanceOf(PlatformTimeoutError);
    expect((error as PlatformTimeoutError).timeoutMs).toBe(150);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]?.name).toBe('TimeoutError');
  });

  it('does not count the consumer\'s own time between chunks', async () => {
    const cancelled: Error[] = [];
    const opener = async (): Promise<OpenedResponse> => ({
      status: 200,
      body: (async function* () {
        for (let i = 0; i < 3; i += 1) yield new Uint8Array(5);
      })(),
      cancel: (reason) => void cancelled.push(reason),
    });
    let bytes = 0;
    for await (const chunk of (await streamingTransport(opener)(request)).body) {
      bytes += chunk.length;
      await sleep(250); // longer than the 150 ms bound
    }
    expect(bytes).toBe(15);
    expect(cancelled).toEqual([]);
  });

  /** An opener whose body yields a byte every `everyMs` ms, forever (each gap well inside the idle bound). */
  const tricklingOpener = (everyMs: number, cancelled: Error[]) => async (): Promise<OpenedResponse> => ({
    status: 200,
    body: (async function* () {
      for (;;) {
        await sleep(everyMs);
        yield new Uint8Array(1);
      }
    })(),
    cancel: (reason) => void cancelled.push(reason),
  });

  it('cuts a body that trickles in, every gap inside the idle bound, when the time it was given runs out', async () => {
    const cancelled: Error[] = [];
    const deadline = Date.now() + 400;
    const response = await streamingTransport(tricklingOpener(20, cancelled))({ ...request, bodyTimeLeftMs: () => deadline - Date.now() });
    let bytes = 0;
    const error = await rejection(
      (async () => {
        for await (const chunk of response.body) bytes += chunk.length;
      })(),
    );
    const late = Date.now() - deadline;
    expect(error).toBeInstanceOf(PlatformTimeoutError);
    expect((error as PlatformTimeoutError).delivery).toBe('UNKNOWN');
    // It says how long the body had been arriving (~400 ms), not the last wait's remainder.
    expect((error as PlatformTimeoutError).timeoutMs).toBeGreaterThanOrEqual(390);
    expect((error as PlatformTimeoutError).message).toMatch(/did not answer within \d{3} ms/);
    // Cut at the deadline, not one idle bound (150 ms) or a chunk after it; chunks came until then.
    expect(late).toBeGreaterThanOrEqual(-5);
    expect(late).toBeLessThan(120);
    expect(bytes).toBeGreaterThan(3);
    expect(cancelled.map((reason) => reason.message)).toEqual(['the body was not complete in the time it had']);
  });

  it('with time left, the idle bound still decides; with none left, the first wait fails', async () => {
    const cancelled: Error[] = [];
    const stalled = await streamingTransport(stallingOpener(1, cancelled))({ ...request, bodyTimeLeftMs: () => 60_000 });
    const error = await rejection(drain(stalled.body));
    expect((error as PlatformTimeoutError).timeoutMs).toBe(150);
    expect(cancelled.map((reason) => reason.message)).toEqual(['no body bytes in 150 ms']);
    const warnings: Error[] = [];
    const warned = (warning: Error) => void warnings.push(warning);
    process.on('warning', warned);
    try {
      for (const asked of [-1_000, Number.NaN]) {
        const none = await streamingTransport(tricklingOpener(20, cancelled))({ ...request, bodyTimeLeftMs: () => asked });
        const started = Date.now();
        expect(await rejection(drain(none.body))).toBeInstanceOf(PlatformTimeoutError);
        expect(Date.now() - started).toBeLessThan(100);
      }
      await sleep(10);
    } finally {
      process.off('warning', warned);
    }
    expect(warnings).toEqual([]); // Node 24 warns of a NaN timer delay
  });

  it('a failure mid-body is classified; stopping early releases the body', async () => {
    const reset = async (): Promise<OpenedResponse> => ({
      status: 200,
      body: (async function* () {
        yield new Uint8Array(1);
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      })(),
      cancel: () => undefined,
    });
    const error = await rejection(drain((await streamingTransport(reset)(request)).body));
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect((error as PlatformUnreachableError).delivery).toBe('UNKNOWN');

    let released = false;
    const endless = async (): Promise<OpenedResponse> => ({
      status: 200,
      body: (async function* () {
        try {
          for (;;) yield new Uint8Array(1);
        } finally {
          released = true;
        }
      })(),
      cancel: () => undefined,
    });
    for await (const chunk of (await streamingTransport(endless)(request)).body) {
      expect(chunk.length).toBe(1);
      break;
    }
    expect(released).toBe(true);
  });

  it('refuses a request without a positive idle bound', async () => {
    const open = stallingOpener(0, []);
    await expect(streamingTransport(open)({ ...request, idleTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('only streamingTransport() makes a StreamingTransport: a bare function does not type-check', () => {
    // @ts-expect-error a bare function has no idle bound put on it
    const bare: StreamingTransport = async () => ({ status: 200, body: [] });
    expect(typeof bare).toBe('function');
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('createFetchStreamingTransport', () => {
  it('fails a body that stalls on a real socket within the idle bound, not at undici\'s body timeout', async () => {
    const server = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('#'.repeat(1_000)); // then nothing, the connection held open
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/onecard/uap/downbill.do`;
    const response = await createFetchStreamingTransport()({ ...request, url });
    expect(response.status).toBe(200);
    const started = Date.now();
    const error = await rejection(drain(response.body));
    expect(error).toBeInstanceOf(PlatformTimeoutError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
