// Where Credentials come from: Secrets Manager (deployed), a JSON file (local) or a fixed object
// (tests, sandbox). All share one cache: bounded age, single in-flight read, debounced refresh.
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, type GetSecretValueCommandOutput, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Credentials, CredentialsSource } from '../platform/types.js';
import { SecretConfigurationError, SecretUnavailableError } from './errors.js';
import { loadCredentials, parseSecretText } from './secret.js';

/** Default bounded age of cached credentials: a rotated secret is picked up within 5 minutes. */
export const DEFAULT_SECRET_MAX_AGE_MS = 5 * 60_000;
/** A refresh() this soon after a completed read reuses it (no hammering after a burst of 40004s). */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 5_000;

export interface SecretLogger {
  warn(message: string, ...attributes: Array<Record<string, unknown>>): void;
}

export interface CachedSourceOptions {
  readonly requirePlatformKey: boolean;
  /** Age after which get() re-reads (default 5 min). */
  readonly maxAgeMs?: number;
  /** refresh() within this long after the last read returns that read (default 5 s). */
  readonly minRefreshIntervalMs?: number;
  readonly now?: () => number;
  readonly logger?: SecretLogger;
}

export interface SecretsManagerSourceOptions extends CachedSourceOptions {
  readonly client: SecretsManagerClient;
  /** Name or ARN (SYNJONES_SECRET_ID). */
  readonly secretId: string;
}

/** Credentials from Secrets Manager (the secret's SecretString, or UTF-8 SecretBinary). */
export function createSecretsManagerSource(options: SecretsManagerSourceOptions): CredentialsSource {
  const sourceName = `secret ${options.secretId}`;
  return createCachedSource(options, sourceName, async () => {
    let output: GetSecretValueCommandOutput;
    try {
      output = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    } catch (error) {
      throw explainReadFailure(error, sourceName);
    }
    if (typeof output.SecretString === 'string') return output.SecretString;
    if (output.SecretBinary instanceof Uint8Array) return new TextDecoder('utf-8').decode(output.SecretBinary);
    throw new SecretConfigurationError(`${sourceName} has no value`, { secret: sourceName });
  });
}

/** What a failed GetSecretValue means for the operator, by the service's error name (the SDK's `name`). */
const READ_FAILURES: Readonly<Record<string, string>> = {
  AccessDeniedException:
    'cannot be read: access denied (the function role needs secretsmanager:GetSecretValue on it, and kms:Decrypt on its key if that is a customer-managed KMS key)',
  DecryptionFailure: 'cannot be decrypted with its KMS key (DecryptionFailure: check that the key is enabled and the function role may use it)',
  InvalidRequestException: 'cannot be read in its current state (InvalidRequestException: e.g. it is marked for deletion; restore it)',
  InvalidParameterException: 'is not a valid secret id (InvalidParameterException: check SYNJONES_SECRET_ID)',
};

/**
 * Turns a GetSecretValue failure into an error that names the secret and what is wrong. The service's
 * message stays in `cause` (for the log): it may name the account and role, never the value.
 * Throttling and server faults reach here only after the SDK's standard retries (3 attempts).
 */
function explainReadFailure(error: unknown, sourceName: string): Error {
  const name = error instanceof Error ? error.name : 'unknown';
  const serviceMessage = error instanceof Error ? error.message : '';
  const fault = (error as { $fault?: unknown } | undefined)?.$fault;
  const details = { secret: sourceName };
  const options = { cause: error };
  if (name === 'ResourceNotFoundException') {
    // "…can't find the specified secret value for staging label: AWSCURRENT": the secret exists, empty.
    const problem = /secret value/i.test(serviceMessage)
      ? 'has no value (no version labelled AWSCURRENT): put the secret JSON into it (README "Fill the secret")'
      : 'does not exist (check SYNJONES_SECRET_ID and the region)';
    return new SecretConfigurationError(`${sourceName} ${problem}`, details, options);
  }
  const explained = READ_FAILURES[name];
  if (explained) return new SecretConfigurationError(`${sourceName} ${explained}`, details, options);
  const attempts = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  const tried = typeof attempts === 'number' && attempts > 1 ? ` after ${attempts} attempts` : '';
  if (name === 'ThrottlingException' || fault === 'server' || fault === undefined) {
    // Throttled, a service-side fault, or no answer at all (network, timeout): it may work shortly.
    return new SecretUnavailableError(`${sourceName} could not be read right now (${name}${tried}); try again shortly`, details, options);
  }
  return new SecretConfigurationError(`${sourceName} cannot be read (${name})`, details, options);
}

/** Credentials from a JSON file shaped like the secret (SYNJONES_SECRET_FILE, local only). */
export function createFileSource(path: string, options: CachedSourceOptions): CredentialsSource {
  const sourceName = `secret file ${path}`;
  return createCachedSource(options, sourceName, async () => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
      throw new SecretConfigurationError(`${sourceName} cannot be read (${code})`, { secret: sourceName }, { cause: error });
    }
  });
}

/** Credentials from a fixed object (or its JSON text): tests and the sandbox's own secret. */
export function createStaticSource(json: unknown, options: CachedSourceOptions): CredentialsSource {
  return createCachedSource(options, 'static secret', async () => json);
}

/**
 * The shared cache. `read` returns the secret (text or object); it is validated and loaded here.
 * - get(): the cached credentials while younger than maxAgeMs; else one read shared by all callers.
 *   If that periodic re-read fails and earlier credentials exist, they keep serving (a Secrets Manager
 *   hiccup must not fail requests) and the next attempt waits minRefreshIntervalMs. While a re-read
 *   is in flight, get() waits for it (a rotated key is used by the very next call), falling back to
 *   the previous credentials if it fails.
 * - refresh(): forces a read (errors surface), unless one is in flight (joined) or the last attempt,
 *   successful or not, finished less than minRefreshIntervalMs ago (the credentials held are
 *   returned). So a storm of 40004s or of signatures that do not verify reads at most once per window.
 */
function createCachedSource(
  options: CachedSourceOptions,
  sourceName: string,
  read: () => Promise<unknown>,
): CredentialsSource {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_SECRET_MAX_AGE_MS;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
  const now = options.now ?? Date.now;

  let cached: { credentials: Credentials; loadedAt: number } | undefined;
  let lastFailureAt: number | undefined;
  let inFlight: Promise<Credentials> | undefined;

  const load = (): Promise<Credentials> => {
    if (inFlight) return inFlight;
    const attempt = (async () => {
      try {
        const raw = await read();
        const json = typeof raw === 'string' ? parseSecretText(raw, sourceName) : raw;
        const credentials = loadCredentials(json, { requirePlatformKey: options.requirePlatformKey, sourceName });
        cached = { credentials, loadedAt: now() };
        lastFailureAt = undefined;
        return credentials;
      } catch (error) {
        lastFailureAt = now();
        throw error;
      } finally {
        inFlight = undefined;
      }
    })();
    inFlight = attempt;
    return attempt;
  };

  const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown');

  return {
    async get() {
      if (inFlight && cached) {
        const previous = cached.credentials;
        return inFlight.catch(() => previous);
      }
      const at = now();
      if (cached && at - cached.loadedAt < maxAgeMs) return cached.credentials;
      if (!cached) return load();
      const stale = cached.credentials;
      if (lastFailureAt !== undefined && at - lastFailureAt < minRefreshIntervalMs) return stale;
      try {
        return await load();
      } catch (error) {
        options.logger?.warn('re-reading the secret failed; still using the previous credentials', {
          source: sourceName,
          error: describe(error),
        });
        return stale;
      }
    },
    async refresh() {
      if (inFlight) return inFlight;
      const lastAttemptAt = Math.max(cached?.loadedAt ?? -Infinity, lastFailureAt ?? -Infinity);
      if (cached && now() - lastAttemptAt < minRefreshIntervalMs) return cached.credentials;
      return load().catch((error: unknown) => {
        options.logger?.warn('a forced re-read of the secret failed', { source: sourceName, error: describe(error) });
        throw error;
      });
    },
  };
}
