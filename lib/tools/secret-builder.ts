// Builds and checks the Synjones secret (API.md "The secret") from key files, with the validation
// the gateway applies at load, and describes it by sizes and fingerprints, never by key material.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { loadCredentials, validateSecret } from '../secrets/index.js';

/** Below this an RSA key is refused; below RECOMMENDED_RSA_BITS it is reported as weak. */
export const MIN_RSA_BITS = 1024;
export const RECOMMENDED_RSA_BITS = 2048;

/** A problem that stops the secret from being written or stored; `field` names the secret field. */
export class SecretBuildError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'SecretBuildError';
  }
}

export interface SecretJson {
  app_key: string;
  app_secret: string;
  private_key: string;
  platform_public_key: string;
  bill_key?: string;
}

export interface SecretReport {
  /** One line per field: what was found (sizes, key types, fingerprints). */
  readonly lines: readonly string[];
  /** Things that load but deserve a look (weak key, the platform key is the client's own). */
  readonly warnings: readonly string[];
}

/**
 * Key file bytes as the text that goes into the secret: PEM as written, bare base64 DER as written,
 * binary DER as base64.
 * @throws SecretBuildError when the file is empty.
 */
export function keyFileText(bytes: Buffer, field: string): string {
  if (bytes.length === 0) throw new SecretBuildError(`${field}: the key file is empty`, field);
  // Binary DER starts with an ASN.1 SEQUENCE (0x30); PEM and base64 are ASCII text.
  if (bytes[0] === 0x30) return bytes.toString('base64');
  return bytes.toString('utf8').trim();
}

export interface BuildInput {
  readonly appKey: string;
  readonly appSecret: string;
  readonly privateKey: string;
  readonly platformPublicKey: string;
  readonly billKey?: string;
}

/** The secret JSON from its parts, validated as the gateway validates it at load. */
export function buildSecret(input: BuildInput): { secret: SecretJson; report: SecretReport } {
  const secret: SecretJson = {
    app_key: input.appKey,
    app_secret: input.appSecret,
    private_key: input.privateKey,
    platform_public_key: input.platformPublicKey,
    ...(input.billKey === undefined ? {} : { bill_key: input.billKey }),
  };
  return { secret, report: checkSecret(secret, 'the secret') };
}

/**
 * Validates a secret (parsed JSON) exactly as the deployed gateway loads it (platform key required),
 * plus the RSA key sizes, and describes it.
 * @throws SecretBuildError naming the field and the reason (never the value).
 */
export function checkSecret(json: unknown, sourceName: string): SecretReport {
  let credentials: ReturnType<typeof loadCredentials>;
  let fields: ReturnType<typeof validateSecret>;
  try {
    fields = validateSecret(json, sourceName);
    credentials = loadCredentials(json, { requirePlatformKey: true, sourceName });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SecretBuildError(message, /field ([a-z_]+)/.exec(message)?.[1]);
  }
  const platformKey = credentials.platformPublicKey;
  if (!platformKey) throw new SecretBuildError(`${sourceName}: field platform_public_key is required`, 'platform_public_key');
  const warnings: string[] = [];
  const privateBits = rsaBits(credentials.privateKey, 'private_key', warnings);
  const platformBits = rsaBits(platformKey, 'platform_public_key', warnings);
  const clientPublic = createPublicKey(credentials.privateKey);
  const clientFingerprint = fingerprint(clientPublic);
  const platformFingerprint = fingerprint(platformKey);
  if (clientFingerprint === platformFingerprint) {
    warnings.push('platform_public_key is the public half of private_key: it should be the platform\'s key, not yours');
  }
  const billLine =
    fields.bill_key === undefined
      ? 'absent: bills use the first 8 bytes of the 3DES key'
      : `DES key, ${credentials.billDesKey.length} bytes`;
  const lines = [
    `app_key              ${JSON.stringify(fields.app_key)}`,
    `app_secret           3DES key, ${Buffer.from(fields.app_secret.trim(), 'base64').length} bytes${Buffer.from(fields.app_secret.trim(), 'base64').length === 16 ? ' (expanded K1K2K1)' : ''}`,
    `private_key          RSA ${privateBits}-bit private key, ${keyForm(fields.private_key, 'private')}; its public half's SHA-256 ${clientFingerprint}`,
    `platform_public_key  RSA ${platformBits}-bit public key, ${keyForm(fields.platform_public_key ?? '', 'public')}; SHA-256 ${platformFingerprint}`,
    `bill_key             ${billLine}`,
  ];
  return { lines, warnings };
}

function rsaBits(key: KeyObject, field: string, warnings: string[]): number {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new SecretBuildError(`field ${field} is a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits are needed`, field);
  }
  if (bits < RECOMMENDED_RSA_BITS) warnings.push(`${field} is ${bits}-bit RSA: ${RECOMMENDED_RSA_BITS} bits or more is recommended`);
  return bits;
}

/** SHA-256 of the public key's SPKI DER, as colon-separated hex (the first 16 bytes). */
export function fingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const digest = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return (digest.slice(0, 32).match(/../g) ?? []).join(':');
}

/** How the key was written (PEM label, or bare base64 DER with the DER type that loads). */
function keyForm(material: string, kind: 'private' | 'public'): string {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(material)?.[1];
  if (label === 'PRIVATE KEY') return 'PKCS#8 PEM';
  if (label === 'RSA PRIVATE KEY') return 'PKCS#1 PEM';
  if (label === 'PUBLIC KEY') return 'SPKI PEM';
  if (label === 'RSA PUBLIC KEY') return 'PKCS#1 PEM';
  return kind === 'private' ? 'bare base64 DER (PKCS#8 or PKCS#1)' : 'bare base64 DER (SPKI or PKCS#1)';
}
