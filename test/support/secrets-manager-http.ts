// A Secrets Manager stand-in over HTTP (AWS JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`) for code
// in another process, e.g. a deployed bundle reached through AWS_ENDPOINT_URL_SECRETS_MANAGER.
//
// The in-process stand-in (secrets-manager.ts) works at the SDK boundary and cannot reach a child process;
// this one answers on the wire as the service does: 200 with ARN, Name, VersionId, SecretString,
// VersionStages and CreatedDate (epoch seconds); errors as HTTP 400/500 with `{"__type", "Message"}` and
// the same wording (SERVICE_MESSAGES), e.g. ResourceNotFoundException for a secret without an AWSCURRENT
// value. Requests must carry a SigV4 Authorization for service `secretsmanager`, as the service requires.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AWSCURRENT, AWSPREVIOUS, SERVICE_MESSAGES, type SecretsManagerFault } from './secrets-manager.js';

export interface HttpSecretsManager {
  /** For AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  /** A secret; without `value` it exists with no version (as the stack creates it). Returns its ARN. */
  createSecret(name: string, value?: string): string;
  /** A new AWSCURRENT version; the previous current becomes AWSPREVIOUS. Returns the VersionId. */
  putSecretValue(secretId: string, value: string): string;
  /** The next `times` GetSecretValue calls fail with `fault`. */
  failNext(fault: SecretsManagerFault, times?: number): void;
  /** Every call received: its target and SecretId. */
  readonly calls: ReadonlyArray<{ readonly target: string; readonly secretId?: string }>;
  close(): Promise<void>;
}

interface Version {
  readonly versionId: string;
  readonly secretString: string;
  readonly createdDate: Date;
  readonly stages: Set<string>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Version[];
}

/** HTTP status and message of each injectable fault, as the service answers them. */
const FAULTS: Readonly<Record<SecretsManagerFault, { status: number; message: (secretId: string) => string }>> = {
  AccessDeniedException: { status: 400, message: (secretId) => SERVICE_MESSAGES.accessDenied('GetSecretValue', secretId) },
  DecryptionFailure: { status: 400, message: () => SERVICE_MESSAGES.decryptionFailure },
  InternalServiceError: { status: 500, message: () => SERVICE_MESSAGES.internal },
  InvalidRequestException: { status: 400, message: () => SERVICE_MESSAGES.markedForDeletion },
  ThrottlingException: { status: 400, message: () => SERVICE_MESSAGES.throttling },
};

class WireError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

export async function startHttpSecretsManager(options: { region?: string; accountId?: string } = {}): Promise<HttpSecretsManager> {
  const region = options.region ?? 'ap-east-1';
  const accountId = options.accountId ?? '123456789012';
  const secrets = new Map<string, Secret>();
  const calls: Array<{ target: string; secretId?: string }> = [];
  const faults: SecretsManagerFault[] = [];

  const find = (secretId: unknown): Secret => {
    const secret =
      typeof secretId === 'string' ? (secrets.get(secretId) ?? [...secrets.values()].find((each) => each.arn === secretId)) : undefined;
    if (!secret) throw new WireError('ResourceNotFoundException', SERVICE_MESSAGES.noSuchSecret);
    return secret;
  };

  const addVersion = (secret: Secret, value: string): Version => {
    for (const version of secret.versions) version.stages.delete(AWSPREVIOUS);
    const current = secret.versions.find((version) => version.stages.has(AWSCURRENT));
    current?.stages.delete(AWSCURRENT);
    current?.stages.add(AWSPREVIOUS);
    const version: Version = { versionId: randomUUID(), secretString: value, createdDate: new Date(), stages: new Set([AWSCURRENT]) };
    secret.versions.push(version);
    secret.versions.splice(0, secret.versions.length, ...secret.versions.filter((each) => each.stages.size > 0));
    return version;
  };

  const getSecretValue = (input: Record<string, unknown>): Record<string, unknown> => {
    const fault = faults.shift();
    if (fault) throw new WireError(fault, FAULTS[fault].message(String(input.SecretId)), FAULTS[fault].status);
    const secret = find(input.SecretId);
    let version: Version | undefined;
    if (typeof input.VersionId === 'string') {
      version = secret.versions.find((each) => each.versionId === input.VersionId);
      if (!version) throw new WireError('ResourceNotFoundException', SERVICE_MESSAGES.noValueForVersion(input.VersionId));
    } else {
      const stage = typeof input.VersionStage === 'string' ? input.VersionStage : AWSCURRENT;
      version = secret.versions.find((each) => each.stages.has(stage));
      if (!version) throw new WireError('ResourceNotFoundException', SERVICE_MESSAGES.noValueForStage(stage));
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate.getTime() / 1000,
    };
  };

  const answer = (response: ServerResponse, status: number, body: Record<string, unknown>): void => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    response.end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    try {
      const authorization = String(request.headers.authorization ?? '');
      if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/secretsmanager\/aws4_request/.test(authorization)) {
        throw new WireError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      if (request.method !== 'POST' || !String(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new WireError('SerializationException', 'Start of structure or map found where not expected.');
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new WireError('SerializationException', 'Unexpected character found in the request body.');
      }
      calls.push({ target, ...(typeof input.SecretId === 'string' ? { secretId: input.SecretId } : {}) });
      if (target !== 'secretsmanager.GetSecretValue') throw new WireError('UnknownOperationException', '');
      answer(response, 200, getSecretValue(input));
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      answer(response, error.status, { __type: error.type, Message: error.message });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    createSecret: (name, value) => {
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const secret: Secret = { arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`, name, versions: [] };
      secrets.set(name, secret);
      if (value !== undefined) addVersion(secret, value);
      return secret.arn;
    },
    putSecretValue: (secretId, value) => addVersion(find(secretId), value).versionId,
    failNext: (fault, times = 1) => {
      for (let index = 0; index < times; index++) faults.push(fault);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
