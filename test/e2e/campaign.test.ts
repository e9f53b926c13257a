// The campaign of issue 15 at npm test's size (test/campaign/sizes.ts QUICK_CAMPAIGN, seeded): bad input,
// a load with random platform faults and a key rotation mid-run, token rounds with a fault on the token call
// each (timeout, busy, drop after commit, bad signature), the settlement schedule and the day's
// final bill, and every promise's line. `npm run campaign` is the same code, full size, on the process fleet.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign, type CampaignReport } from '../campaign/campaign.js';
import { QUICK_CAMPAIGN } from '../campaign/sizes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the campaign, quick and seeded', () => {
  it('keeps every promise: no double debit, nothing lost or PENDING, events, no undocumented 5xx, bad input refused, rotation, token rule', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onecard-campaign-test-'));
    dirs.push(dir);
    const report: CampaignReport = await runCampaign({ ...QUICK_CAMPAIGN, dir });
    const text = (name: string): string => report.lines.find((entry) => entry.name === name)?.text ?? `(no ${name} line)`;
    for (const entry of report.lines) expect(entry.ok, entry.text).not.toBe(false);
    expect(report.ok).toBe(true);
    // Every asserted promise has its line, so none can pass by being left out.
    for (const name of ['volume', 'debits', 'lost', 'pending', 'refunds', 'events', '5xx', 'exceptions', 'reconciliation', 'answers', 'bad input', 'rotation', 'token', 'token faults']) {
      expect(report.lines.find((entry) => entry.name === name)?.ok, name).toBe(true);
    }
    // The run really went through the unhappy paths and the figures are there.
    expect(text('faults')).toMatch(/busy ×\d+/);
    // Each of the four token call faults had its round, and the fleet recovered from each within the rule.
    for (const fault of ['timeout', 'busy', 'dropAfterCommit', 'badSignature']) expect(text('token faults')).toMatch(new RegExp(`${fault} → a token \\d+\\.\\d s later, [1-9]\\d* paid`));
    expect(text('5xx')).toMatch(/documented ones: 50[234]/);
    expect(text('rotation')).toMatch(/#1 recovered.*#2 recovered.*#3 recovered/);
    expect(report.lines.some((entry) => entry.name === 'latency payments.create')).toBe(true);
  }, 180_000);
});
