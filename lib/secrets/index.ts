// The secrets layer in one import: the secret's schema and loader, the credential sources, and the
// errors that say why a secret cannot be used.
export { SecretConfigurationError, SecretUnavailableError } from './errors.js';
export type { SecretDetails } from './errors.js';
export { SynjonesSecretSchema, loadCredentials, parseSecretText, validateSecret } from './secret.js';
export type { LoadCredentialsOptions, SynjonesSecret } from './secret.js';
export {
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  DEFAULT_SECRET_MAX_AGE_MS,
  createFileSource,
  createSecretsManagerSource,
  createStaticSource,
} from './sources.js';
export type { CachedSourceOptions, SecretLogger, SecretsManagerSourceOptions } from './sources.js';
