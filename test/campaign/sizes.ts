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
  // One token round: the platform's 120 s spacing makes each a two-minute wait for the fleet.
  tokenFaults: 1,
  tokenRound: { payments: 40, refunds: 10, replays: 10, conflicts: 4, reads: 4 },
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
  // Timeout, busy, drop after commit and bad signature on the token call, one round each (seconds apiece here).
  tokenFaults: 4,
  tokenRound: { payments: 10, refunds: 3, replays: 3, conflicts: 1, reads: 1 },
  platformTimeoutMs: 400,
  billFinalAfter: '00:05',
  // A short spacing on both sides, so token invalidations recover within the run; the rule is checked against it.
  tokenSpacingMs: 2_000,
  require: { payments: 60, refunds: 15, badInput: 400 },
};
