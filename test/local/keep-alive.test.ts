// The local server keeps idle keep-alive connections longer than its clients do (lib/local/http-gateway.ts
// KEEP_ALIVE_TIMEOUT_MS): with Node's 5 s, a client in the same process whose event loop was held across
// it (the bill tests parse 100,000 rows between two requests) reused a socket the server was closing: ECONNRESET.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS, startHttpGateway, type HttpGateway } from '../../lib/local/http-gateway.js';

let gateway: HttpGateway;
beforeAll(async () => {
  gateway = await startHttpGateway({ port: 0, host: '127.0.0.1', invoke: async () => { throw new Error('no handler in this test'); } });
});
afterAll(async () => gateway?.close());

describe('the local server and keep-alive', () => {
  it('tells clients it keeps an idle connection 65 s, so they close theirs first', async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/v1/health`);
    await response.text();
    expect(response.status).toBe(200);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThanOrEqual(60_000);
    expect(response.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
  });

  it('answers a request sent on a reused connection right after the event loop was held past 5 s', async () => {
    const url = `http://127.0.0.1:${gateway.port}/v1/health`;
    await (await fetch(url)).text();
    await new Promise((resolve) => setTimeout(resolve, 500)); // the connection back in the client's pool, idle
    // Held synchronously, the next request follows in the same turn, before any idle timer can run.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = Date.now() + 6_000;
        while (Date.now() < until);
        resolve();
      }),
    );
    expect((await fetch(url)).status).toBe(200);
  });
});
