// `npm run bench`: every benchmark, one after another, in one process so that the ratios each
// prints are measured on the same machine in the same run. Timings live here, never in tests.
import { runCodecBench } from './codec.bench.js';
import { runTokenBench } from './token.bench.js';
import { runBundleBench } from './bundles.bench.js';
import { runBillsBench } from './bills.bench.js';

const benches: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['protocol codec (per-call crypto cost)', runCodecBench],
  ['access token (warm path and storm)', runTokenBench],
  ['daily bill pipeline (1,000,000 rows)', () => runBillsBench()],
  ['Lambda bundles (size and init time)', runBundleBench],
];

for (const [title, run] of benches) {
  console.log(`\n=== ${title} ===`);
  await run();
}
