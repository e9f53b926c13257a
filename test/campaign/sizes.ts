// The campaign's two sizes: the full one of issue 15 (npm run campaign, a few minutes on the process
// fleet) and the quick seeded one npm test runs in process (well under a minute).
import type { CampaignOptions } from './campaign.js';

type Size = Omit<CampaignOptions, 'dir' | 'say'>;

export const FULL_CAMPAIGN: Size = {
  mode: 'processes',
  instances: 3,
  seed: 20261201,
  payments: 1_050,
  refunds: 340,
  replays: 250,
  conflicts: 100,
  reads: 60,
  clients: 12,
  faultRate: 0.3,
  badInput: 10_500,
  platformTimeoutMs: 1_000,
  billFinalAfter: '00:05',
  require: { payments: 1_000, refunds: 300, badInput: 10_000 },
};

export const QUICK_CAMPAIGN: Size = {
  mode: 'in-process',
  instances: 3,
  seed: 20261201,
  payments: 60,
  refunds: 20,
  replays: 15,
  conflicts: 8,
  reads: 4,
  clients: 6,
  faultRate: 0.35,
  badInput: 400,
  platformTimeoutMs: 400,
  billFinalAfter: '00:05',
  // A short spacing on both sides, so token invalidations recover within the run; the rule is checked against it.
  tokenSpacingMs: 2_000,
  require: { payments: 60, refunds: 15, badInput: 400 },
};
