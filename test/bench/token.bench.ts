// Access-token bench: the warm path (memory hit) against a table read, and a 200-instance cold
// storm on dynalite (token calls made, p50/p99 of get()). Alone: `npx tsx test/bench/token.bench.ts`.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { createDynamoTokenStore } from '../../lib/token/store.js';
import { createTokenManager } from '../../lib/token/manager.js';
import type { IssuedToken } from '../../lib/platform/types.js';
import { startDynalite } from '../support/dynalite.js';

const STORM_INSTANCES = 200;
const TOKEN_CALL_MS = 50;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export async function runTokenBench(): Promise<void> {
  const dynamo = await startDynalite();
  try {
    const tableName = dynamo.tables.tokenTable;
    let tokenCalls = 0;
    const fetchToken = async (): Promise<IssuedToken> => {
      tokenCalls += 1;
      await new Promise((done) => setTimeout(done, TOKEN_CALL_MS));
      return { accessToken: `bench-token-${tokenCalls}`, expiresInSeconds: 7200 };
    };

    // Warm path: one instance, token in memory.
    const store = createDynamoTokenStore({ client: dynamo.client, tableName });
    const warm = createTokenManager({ store, appKey: 'bench-warm', fetchToken });
    await warm.get();
    const warmIterations = 200_000;
    for (let i = 0; i < 10_000; i++) await warm.get();
    let started = process.hrtime.bigint();
    for (let i = 0; i < warmIterations; i++) await warm.get();
    const warmNs = Number(process.hrtime.bigint() - started) / warmIterations;

    // Table read: what a cold instance (or a memory miss) pays per get before any renewal.
    const readIterations = 300;
    for (let i = 0; i < 20; i++) await store.read('bench-warm');
    started = process.hrtime.bigint();
    for (let i = 0; i < readIterations; i++) await store.read('bench-warm');
    const readNs = Number(process.hrtime.bigint() - started) / readIterations;

    console.log(`warm get() (memory hit):     ${warmNs.toFixed(0).padStart(10)} ns/call`);
    console.log(`table read (dynalite GetItem): ${(readNs / 1000).toFixed(0).padStart(8)} µs/call`);
    console.log(`ratio table read / warm get:  ${(readNs / warmNs).toFixed(0).padStart(9)}x`);

    // Storm: 200 cold instances, each with its own client, one table, all asking at once.
    tokenCalls = 0;
    const clients = Array.from({ length: STORM_INSTANCES }, () => dynamo.newClient());
    const fleet = clients.map((client) =>
      createTokenManager({ store: createDynamoTokenStore({ client, tableName }), appKey: 'bench-storm', fetchToken }),
    );
    const latenciesMs: number[] = [];
    const stormStart = performance.now();
    const tokens = await Promise.all(
      fleet.map(async (manager) => {
        const begin = performance.now();
        const token = await manager.get();
        latenciesMs.push(performance.now() - begin);
        return token;
      }),
    );
    const stormMs = performance.now() - stormStart;
    latenciesMs.sort((a, b) => a - b);
    console.log(
      `storm: ${STORM_INSTANCES} cold instances → ${tokenCalls} token call(s), ${new Set(tokens).size} distinct token(s), ` +
        `token call ${TOKEN_CALL_MS} ms, whole storm ${stormMs.toFixed(0)} ms`,
    );
    console.log(
      `storm get() latency: p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms, ` +
        `max ${percentile(latenciesMs, 100).toFixed(1)} ms`,
    );
    console.log(`warm get() vs storm p50: ${((percentile(latenciesMs, 50) * 1e6) / warmNs).toFixed(0)}x`);
  } finally {
    await dynamo.close();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runTokenBench();
}
