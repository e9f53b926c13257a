// The scheduled renewal of the fleet-wide access token (EventBridge Scheduler): renews it when
// due, so requests rarely wait for one. Logs the outcome, never the token.
import { scheduledHandler } from '../lib/adapter/scheduled-handler.js';
import { getRuntime } from '../lib/runtime.js';
import { toChinaIso } from '../lib/protocol/timestamp.js';

export const handler = scheduledHandler({
  name: 'access-token',
  handle: async () => (await getRuntime()).tokens.renewIfDue(),
  summarize: (result) => ({ renewed: result.renewed, expires_at: toChinaIso(new Date(result.expiresAt)) }),
});
