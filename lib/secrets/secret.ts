// The Synjones secret (API.md): its JSON schema, and turning it into loaded Credentials.
// Every error names the offending field and never echoes a value from the secret.
import { GatewayError } from '../errors.js';
import { billDesKey, tripleDesKey } from '../protocol/crypto.js';
import { loadPrivateKey, loadPublicKey } from '../protocol/keys.js';
import * as z from '../protocol/zod.js';
import type { Credentials } from '../platform/types.js';
import { SecretConfigurationError } from './errors.js';

/** An optional field given as "" (or only whitespace) counts as absent. */
const optionalText = () =>
  z.pipe(
    z.transform((value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value)),
    z.optional(z.string()),
  );

const requiredText = () => z.string().check(z.trim(), z.minLength(1));

/** The secret JSON exactly as API.md describes it (unknown extra fields are ignored); built on first use. */
export const SynjonesSecretSchema = z.lazy(() =>
  z.object({
    app_key: requiredText(),
    app_secret: requiredText(),
    private_key: requiredText(),
    platform_public_key: optionalText(),
    bill_key: optionalText(),
  }),
);

export type SynjonesSecret = z.infer<typeof SynjonesSecretSchema>;

export interface LoadCredentialsOptions {
  /** Deployed: true (a missing platform_public_key is a configuration error). The local sandbox: false. */
  readonly requirePlatformKey: boolean;
  /** Where the secret came from, for messages (e.g. "secret onecard/prod", "file /tmp/s.json"). */
  readonly sourceName?: string;
}

/**
 * Parses a secret's text as JSON. The parser's own message is not passed on: it quotes the input.
 */
export function parseSecretText(text: string, sourceName = 'the secret'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SecretConfigurationError(`${sourceName} is not valid JSON`, { secret: sourceName });
  }
}

/** Validates the secret JSON (object, or its JSON text) and loads keys and DES keys from it. */
export function loadCredentials(json: unknown, options: LoadCredentialsOptions): Credentials {
  const sourceName = options.sourceName ?? 'the secret';
  const input = typeof json === 'string' ? parseSecretText(json, sourceName) : json;
  const secret = validateSecret(input, sourceName);

  if (options.requirePlatformKey && secret.platform_public_key === undefined) {
    throw new SecretConfigurationError(
      `${sourceName}: field platform_public_key is required (it may be omitted only for the local sandbox)`,
      { secret: sourceName },
    );
  }

  const desKey = guarded('app_secret', sourceName, 'must be base64 of a 16- or 24-byte 3DES key', () =>
    tripleDesKey(secret.app_secret),
  );
  const billKey = guarded('bill_key', sourceName, 'must be base64 of an 8-byte DES key', () =>
    billDesKey(desKey, secret.bill_key),
  );
  const privateKey = guardedKey('private_key', sourceName, () => loadPrivateKey(secret.private_key, 'private_key'));
  const platformKeyMaterial = secret.platform_public_key;
  const platformPublicKey =
    platformKeyMaterial === undefined
      ? undefined
      : guardedKey('platform_public_key', sourceName, () => loadPublicKey(platformKeyMaterial, 'platform_public_key'));
  if (privateKey.type !== 'private') {
    throw new SecretConfigurationError(`${sourceName}: field private_key is not a private key`, { secret: sourceName });
  }

  return {
    appKey: secret.app_key,
    tripleDesKey: desKey,
    billDesKey: billKey,
    privateKey,
    ...(platformPublicKey === undefined ? {} : { platformPublicKey }),
  };
}

/** Schema check with messages built from the field path and the issue kind only (no values). */
export function validateSecret(input: unknown, sourceName = 'the secret'): SynjonesSecret {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SecretConfigurationError(`${sourceName} must be a JSON object`, { secret: sourceName });
  }
  const result = SynjonesSecretSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    const record = input as Record<string, unknown>;
    const missing = issue.path.length === 1 && record[String(issue.path[0])] === undefined;
    if (missing) return `field ${field} is required`;
    if (issue.code === 'invalid_type') return `field ${field} must be a string`;
    if (issue.code === 'too_small') return `field ${field} must not be empty`;
    return `field ${field} is invalid`;
  });
  throw new SecretConfigurationError(`${sourceName}: ${problems.join('; ')}`, { secret: sourceName });
}

function guarded<T>(field: string, sourceName: string, expectation: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    // The protocol helpers' ConfigurationError says why (byte counts, "not base64") and never quotes
    // the value; anything else is dropped on purpose, as it might.
    const reason = isConfigurationError(error) ? ` (${error.message.slice(0, 120)})` : '';
    throw new SecretConfigurationError(`${sourceName}: field ${field} ${expectation}${reason}`, { secret: sourceName });
  }
}

/** Key loaders throw KeyFormatError naming the key and the reason, never the material; keep the reason. */
function guardedKey<T>(field: string, sourceName: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const reason = isConfigurationError(error) ? ` (${reasonOf(error, field)})` : '';
    throw new SecretConfigurationError(`${sourceName}: field ${field} could not be loaded${reason}`, { secret: sourceName });
  }
}

function isConfigurationError(error: unknown): error is GatewayError {
  return error instanceof GatewayError && error.code === 'CONFIGURATION';
}

function reasonOf(error: GatewayError, field: string): string {
  const prefix = `${field} could not be loaded: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return message.slice(0, 120);
}
