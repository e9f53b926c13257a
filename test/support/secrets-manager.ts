// A stand-in for AWS Secrets Manager at the SDK boundary (aws-sdk-client-mock): secrets with versions
// and staging labels, and the answers and errors the real service gives, built as the SDK builds them.
//
// No local implementation of Secrets Manager exists (npm, Debian), so every test that reads or writes a
// secret goes through this one module. What it models, from the API reference (GetSecretValue,
// PutSecretValue, CreateSecret, DescribeSecret, Common Errors) and checked against the SDK's own
// deserializer in secrets-manager.test.ts:
// - a secret created without a value answers GetSecretValue with ResourceNotFoundException
//   "… can't find the specified secret value for staging label: AWSCURRENT" (never `{}`);
// - PutSecretValue makes a new version AWSCURRENT and the previous one AWSPREVIOUS (a rotation);
// - AccessDeniedException, DecryptionFailure, InvalidRequestException (secret marked for deletion),
//   InternalServiceError and ThrottlingException, injectable per call. The SDK's standard retry
//   strategy retries throttling and 5xx (3 attempts in all), so those arrive with attempts: 3, as a
//   caller sees them once the SDK has given up.
import { randomBytes, randomUUID } from 'node:crypto';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import {
  CreateSecretCommand,
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  type CreateSecretCommandInput,
  type CreateSecretCommandOutput,
  type DescribeSecretCommandInput,
  type DescribeSecretCommandOutput,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
  type PutSecretValueCommandInput,
  type PutSecretValueCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type SecretsManagerClientResolvedConfig,
} from '@aws-sdk/client-secrets-manager';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** The errors a read can meet that the stand-in injects on demand (names as the service sends them). */
export type SecretsManagerFault =
  | 'AccessDeniedException'
  | 'DecryptionFailure'
  | 'InternalServiceError'
  | 'InvalidRequestException'
  | 'ThrottlingException';

export type SecretsManagerOperation = 'GetSecretValue' | 'PutSecretValue' | 'CreateSecret' | 'DescribeSecret';

/** The service's own wording (as of the API reference and observed answers). */
export const SERVICE_MESSAGES = {
  noSuchSecret: "Secrets Manager can't find the specified secret.",
  noValueForStage: (stage: string) => `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
  noValueForVersion: (versionId: string) => `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  decryptionFailure: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
  internal: 'An error occurred on the server side.',
  throttling: 'Rate exceeded',
  accessDenied: (operation: string, resource: string) =>
    `User: arn:aws:sts::123456789012:assumed-role/onecard-gateway-fn/onecard-gateway-fn is not authorized to perform: ` +
    `secretsmanager:${operation} on resource: ${resource} because no identity-based policy allows the secretsmanager:${operation} action`,
  exists: (name: string) => `The operation failed because the secret ${name} already exists.`,
} as const;

export interface ServiceErrorOptions {
  /** What the SDK reports after its retries (1 unless it retried). */
  readonly attempts?: number;
  readonly totalRetryDelay?: number;
  readonly requestId?: string;
}

/** Faults the SDK's standard retry strategy retries (throttling, server faults): they surface after 3 attempts. */
const RETRIED_BY_SDK: ReadonlySet<string> = new Set(['ThrottlingException', 'InternalServiceError']);
export const SDK_MAX_ATTEMPTS = 3;

/**
 * One service error exactly as the SDK hands it to a caller: the modelled exception class where the
 * client exports one (ResourceNotFoundException, DecryptionFailure, …), else the service's base
 * exception named after the error code (AccessDeniedException, ThrottlingException), with `$fault`,
 * `$metadata` (HTTP 400/500, request id, attempts), `message` and `__type`.
 */
export function serviceError(code: string, message: string, options: ServiceErrorOptions = {}): SecretsManagerServiceException {
  const retried = RETRIED_BY_SDK.has(code);
  const server = code === 'InternalServiceError';
  const $metadata = {
    httpStatusCode: server ? 500 : 400,
    requestId: options.requestId ?? randomUUID(),
    attempts: options.attempts ?? (retried ? SDK_MAX_ATTEMPTS : 1),
    totalRetryDelay: options.totalRetryDelay ?? (retried ? 300 : 0),
  };
  const base = { message, $metadata };
  let error: SecretsManagerServiceException;
  switch (code) {
    case 'ResourceNotFoundException':
      error = new ResourceNotFoundException(base);
      break;
    case 'DecryptionFailure':
      error = new DecryptionFailure(base);
      break;
    case 'InvalidRequestException':
      error = new InvalidRequestException(base);
      break;
    case 'InvalidParameterException':
      error = new InvalidParameterException(base);
      break;
    case 'InternalServiceError':
      error = new InternalServiceError(base);
      break;
    case 'ResourceExistsException':
      error = new ResourceExistsException(base);
      break;
    default:
      error = new SecretsManagerServiceException({ ...base, name: code, $fault: server ? 'server' : 'client' });
  }
  // The JSON protocol keeps the wire's error type on the instance.
  Object.assign(error, { __type: code });
  return error;
}

/** The default message of each injectable fault for a read of `secretId`. */
export function faultError(fault: SecretsManagerFault, secretId: string, operation: SecretsManagerOperation = 'GetSecretValue'): SecretsManagerServiceException {
  switch (fault) {
    case 'AccessDeniedException':
      return serviceError(fault, SERVICE_MESSAGES.accessDenied(operation, secretId));
    case 'DecryptionFailure':
      return serviceError(fault, SERVICE_MESSAGES.decryptionFailure);
    case 'InternalServiceError':
      return serviceError(fault, SERVICE_MESSAGES.internal);
    case 'InvalidRequestException':
      return serviceError(fault, SERVICE_MESSAGES.markedForDeletion);
    case 'ThrottlingException':
      return serviceError(fault, SERVICE_MESSAGES.throttling);
  }
}

export type SecretValue = string | Uint8Array | object;

interface StoredVersion {
  readonly versionId: string;
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
  readonly createdDate: Date;
  readonly stages: Set<string>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly createdDate: Date;
  readonly versions: StoredVersion[];
  deletedDate?: Date;
}

interface PendingFault {
  readonly fault: SecretsManagerFault;
  remaining: number;
  readonly operations: readonly SecretsManagerOperation[];
  readonly secretId?: string;
}

export interface FaultOptions {
  /** How many matching calls it hits (default 1; Infinity: until clearFaults). */
  readonly times?: number;
  /** Default: GetSecretValue only. */
  readonly operations?: readonly SecretsManagerOperation[];
  /** Default: any secret. */
  readonly secretId?: string;
}

export interface SecretsManagerStandIn {
  /** The aws-sdk-client-mock stub (every SecretsManagerClient in this test file goes through it). */
  readonly mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SecretsManagerClientResolvedConfig>;
  readonly region: string;
  /** A secret; without `value` it exists but has no version (as the stack creates it). Returns its ARN. */
  createSecret(name: string, value?: SecretValue): string;
  /** A new version labelled AWSCURRENT; the previous current becomes AWSPREVIOUS. Returns the VersionId. */
  putSecretValue(secretId: string, value: SecretValue): string;
  /** Marks the secret for deletion: reads and writes answer InvalidRequestException. */
  scheduleDeletion(secretId: string): void;
  /** The next matching call(s) fail with `fault` before touching any state. */
  failNext(fault: SecretsManagerFault, options?: FaultOptions): void;
  clearFaults(): void;
  /** Reads wait (as a slow service would) until the returned function is called. */
  holdReads(): () => void;
  /** The VersionId labelled AWSCURRENT (undefined while the secret has no value). */
  currentVersionId(secretId: string): string | undefined;
  /** How many GetSecretValue calls reached the stand-in (for `secretId`, or all). */
  reads(secretId?: string): number;
  /** Forgets secrets, faults and recorded calls; the stub stays installed. */
  reset(): void;
  /** Uninstalls the stub. */
  restore(): void;
}

export interface StandInOptions {
  readonly region?: string;
  readonly accountId?: string;
}

/** Installs the stand-in on SecretsManagerClient for this test file (call restore() in afterAll). */
export function installSecretsManager(options: StandInOptions = {}): SecretsManagerStandIn {
  const region = options.region ?? 'ap-east-1';
  const accountId = options.accountId ?? '123456789012';
  const mock = mockClient(SecretsManagerClient);
  const secrets = new Map<string, StoredSecret>();
  let faults: PendingFault[] = [];
  let gate: Promise<void> | undefined;

  const find = (secretId: string | undefined): StoredSecret | undefined =>
    secretId === undefined ? undefined : (secrets.get(secretId) ?? [...secrets.values()].find((secret) => secret.arn === secretId));

  const existing = (secretId: string | undefined): StoredSecret => {
    const secret = find(secretId);
    if (!secret) throw serviceError('ResourceNotFoundException', SERVICE_MESSAGES.noSuchSecret);
    return secret;
  };

  const writable = (secretId: string | undefined): StoredSecret => {
    const secret = existing(secretId);
    if (secret.deletedDate) throw serviceError('InvalidRequestException', SERVICE_MESSAGES.markedForDeletion);
    return secret;
  };

  const injected = (operation: SecretsManagerOperation, secretId: string | undefined): void => {
    const hit = faults.find(
      (pending) => pending.remaining > 0 && pending.operations.includes(operation) && (pending.secretId === undefined || pending.secretId === secretId),
    );
    if (!hit) return;
    hit.remaining -= 1;
    faults = faults.filter((pending) => pending.remaining > 0);
    throw faultError(hit.fault, secretId ?? '', operation);
  };

  const addVersion = (secret: StoredSecret, value: SecretValue, versionId: string = randomUUID()): StoredVersion => {
    const existingVersion = secret.versions.find((version) => version.versionId === versionId);
    if (existingVersion) return existingVersion; // ClientRequestToken idempotency (same token, same call)
    for (const version of secret.versions) version.stages.delete(AWSPREVIOUS);
    const current = secret.versions.find((version) => version.stages.has(AWSCURRENT));
    if (current) {
      current.stages.delete(AWSCURRENT);
      current.stages.add(AWSPREVIOUS);
    }
    const stored: StoredVersion = {
      versionId,
      ...(value instanceof Uint8Array
        ? { secretBinary: Uint8Array.from(value) }
        : { secretString: typeof value === 'string' ? value : JSON.stringify(value) }),
      createdDate: new Date(),
      stages: new Set([AWSCURRENT]),
    };
    secret.versions.push(stored);
    // A version without any label is deprecated and eventually removed by the service.
    secret.versions.splice(0, secret.versions.length, ...secret.versions.filter((version) => version.stages.size > 0));
    return stored;
  };

  const create = (name: string, value?: SecretValue, versionId?: string): { secret: StoredSecret; version?: StoredVersion } => {
    if (find(name)) throw serviceError('ResourceExistsException', SERVICE_MESSAGES.exists(name));
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`,
      name,
      createdDate: new Date(),
      versions: [],
    };
    secrets.set(name, secret);
    return { secret, ...(value === undefined ? {} : { version: addVersion(secret, value, versionId) }) };
  };

  const metadata = () => ({ httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 });

  const getSecretValue = (input: GetSecretValueCommandInput): GetSecretValueCommandOutput => {
    injected('GetSecretValue', input.SecretId);
    const secret = writable(input.SecretId);
    let version: StoredVersion | undefined;
    if (input.VersionId !== undefined) {
      version = secret.versions.find((candidate) => candidate.versionId === input.VersionId);
      if (!version || (input.VersionStage !== undefined && !version.stages.has(input.VersionStage))) {
        throw serviceError('ResourceNotFoundException', SERVICE_MESSAGES.noValueForVersion(input.VersionId));
      }
    } else {
      const stage = input.VersionStage ?? AWSCURRENT;
      version = secret.versions.find((candidate) => candidate.stages.has(stage));
      if (!version) throw serviceError('ResourceNotFoundException', SERVICE_MESSAGES.noValueForStage(stage));
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: Uint8Array.from(version.secretBinary) } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
      $metadata: metadata(),
    };
  };

  const valueOf = (input: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined }): SecretValue | undefined =>
    input.SecretString ?? input.SecretBinary;

  const putSecretValue = (input: PutSecretValueCommandInput): PutSecretValueCommandOutput => {
    injected('PutSecretValue', input.SecretId);
    const secret = writable(input.SecretId);
    const value = valueOf(input);
    if (value === undefined) {
      throw serviceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    const version = addVersion(secret, value, input.ClientRequestToken);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages], $metadata: metadata() };
  };

  const createSecret = (input: CreateSecretCommandInput): CreateSecretCommandOutput => {
    injected('CreateSecret', input.Name);
    if (!input.Name) throw serviceError('InvalidParameterException', 'You must provide a Name.');
    const { secret, version } = create(input.Name, valueOf(input), input.ClientRequestToken);
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}), $metadata: metadata() };
  };

  const describeSecret = (input: DescribeSecretCommandInput): DescribeSecretCommandOutput => {
    injected('DescribeSecret', input.SecretId);
    const secret = existing(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdDate,
      ...(secret.deletedDate ? { DeletedDate: secret.deletedDate } : {}),
      VersionIdsToStages: Object.fromEntries(secret.versions.map((version) => [version.versionId, [...version.stages]])),
      $metadata: metadata(),
    };
  };

  // Handlers run as the service would: asynchronously, throwing the SDK-shaped error.
  const install = (): void => {
    mock.on(GetSecretValueCommand).callsFake(async (input: GetSecretValueCommandInput) => {
      if (gate) await gate;
      return getSecretValue(input);
    });
    mock.on(PutSecretValueCommand).callsFake(async (input: PutSecretValueCommandInput) => putSecretValue(input));
    mock.on(CreateSecretCommand).callsFake(async (input: CreateSecretCommandInput) => createSecret(input));
    mock.on(DescribeSecretCommand).callsFake(async (input: DescribeSecretCommandInput) => describeSecret(input));
  };
  install();

  return {
    mock,
    region,
    createSecret: (name, value) => create(name, value).secret.arn,
    putSecretValue: (secretId, value) => addVersion(writable(secretId), value).versionId,
    scheduleDeletion: (secretId) => {
      existing(secretId).deletedDate = new Date();
    },
    failNext: (fault, faultOptions = {}) => {
      faults.push({
        fault,
        remaining: faultOptions.times ?? 1,
        operations: faultOptions.operations ?? ['GetSecretValue'],
        ...(faultOptions.secretId !== undefined ? { secretId: faultOptions.secretId } : {}),
      });
    },
    clearFaults: () => {
      faults = [];
    },
    holdReads: () => {
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    currentVersionId: (secretId) => existing(secretId).versions.find((version) => version.stages.has(AWSCURRENT))?.versionId,
    reads: (secretId) =>
      mock.commandCalls(GetSecretValueCommand).filter((call) => {
        if (secretId === undefined) return true;
        const asked = call.args[0].input.SecretId;
        const secret = find(secretId);
        return asked === secretId || (secret !== undefined && (asked === secret.arn || asked === secret.name));
      }).length,
    reset: () => {
      secrets.clear();
      faults = [];
      gate = undefined;
      mock.reset();
      install();
    },
    restore: () => mock.restore(),
  };
}
