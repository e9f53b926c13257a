// `npm run campaign`: the full campaign of issue 15 on the process fleet (three instances, one dynalite,
// one sandbox), one line per promise, exit 1 if any fails. `-- --seed N`, `--payments N`, `--quick`
// (the npm test size, in process) and `--keep` (leave the run's directory: data, events, log) change it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_CAMPAIGN, QUICK_CAMPAIGN } from './sizes.js';
import { runCampaign } from './campaign.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    payments: { type: 'string' },
    refunds: { type: 'string' },
    quick: { type: 'boolean' },
    keep: { type: 'boolean' },
  },
  strict: true,
});
const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};

const base = values.quick ? QUICK_CAMPAIGN : FULL_CAMPAIGN;
const dir = await mkdtemp(join(tmpdir(), 'onecard-campaign-'));
const seed = number('seed', values.seed) ?? base.seed;
const payments = number('payments', values.payments) ?? base.payments;
const refunds = number('refunds', values.refunds) ?? base.refunds;
const say = (text: string): void => void process.stderr.write(`[campaign] ${text}\n`);
let ok = false;
try {
  const report = await runCampaign({ ...base, dir, seed, payments, refunds, say });
  console.log(`\n=== campaign (seed ${seed}, ${base.mode}, ${base.instances} instances) ===`);
  for (const entry of report.lines) console.log(`${entry.ok === false ? 'FAIL' : entry.ok === true ? 'ok  ' : '    '} ${entry.text}`);
  ok = report.ok;
  console.log(ok ? '\nevery promise held' : '\nFAILED: see the lines marked FAIL');
  if (values.keep || !ok) console.log(`run directory (data, events.jsonl, campaign.log): ${dir}`);
} finally {
  if (ok && !values.keep) await rm(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
