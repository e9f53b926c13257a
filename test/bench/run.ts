// `npm run bench`: every benchmark, one after another, in one process so that the ratios each
// prints are measured on the same machine in the same run. Timings live here, never in tests.
// `npm run bench -- ledger` (or any of the names below) runs only the named ones.
import { runCodecBench } from './codec.bench.js';
import { runTokenBench } from './token.bench.js';
import { runBundleBench } from './bundles.bench.js';
import { runBillsBench } from './bills.bench.js';
import { runLedgerBench } from './ledger.bench.js';

// The SDK's own opt-out of its Node-version notice (as npm start and the tests set it): it checks this
// when a client is made, so setting it here, before any bench makes one, keeps the figures unmixed with it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const benches: ReadonlyArray<readonly [string, string, () => Promise<void>]> = [
  ['codec', 'protocol codec (per-call crypto cost)', runCodecBench],
  ['token', 'access token (warm path and storm)', runTokenBench],
  ['ledger', 'ledger (DynamoDB calls per payment, replay and refund)', runLedgerBench],
  ['bills', 'daily bill pipeline (1,000,000 rows)', () => runBillsBench()],
  ['bundles', 'Lambda bundles (size and init time)', runBundleBench],
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !benches.some(([key]) => key === name));
if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${benches.map(([key]) => key).join(', ')}`);

for (const [key, title, run] of benches) {
  if (only.length > 0 && !only.includes(key)) continue;
  console.log(`\n=== ${title} ===`);
  await run();
}
