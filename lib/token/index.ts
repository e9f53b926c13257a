// The fleet-wide access token in one import: the DynamoDB store and the manager readers use.
export { createDynamoTokenStore } from './store.js';
export type { AcquireLeaseInput, DynamoTokenStoreOptions, PublishInput, TokenRecord, TokenStore } from './store.js';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_MIN_ISSUE_INTERVAL_MS,
  DEFAULT_PROACTIVE_MARGIN_SECONDS,
  DEFAULT_REFRESH_MARGIN_SECONDS,
  createTokenManager,
  tokenFingerprint,
} from './manager.js';
export type { RenewResult, TokenLogger, TokenManager, TokenManagerOptions } from './manager.js';
