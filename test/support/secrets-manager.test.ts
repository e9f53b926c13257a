// Proves the Secrets Manager stand-in answers as the service does, as the SDK delivers it: each error it
// builds equals what the real SDK client makes of the service's wire answer (class, name, message,
// $fault, $metadata), throttling is retried by the SDK's standard strategy, and rotation moves AWSCURRENT.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import {
  AWSCURRENT,
  AWSPREVIOUS,
  SERVICE_MESSAGES,
  faultError,
  installSecretsManager,
  serviceError,
  type SecretsManagerFault,
  type SecretsManagerStandIn,
} from './secrets-manager.js';

/** A real client whose HTTP layer answers with the given awsJson1_1 error bodies, in turn (last one repeats). */
function wireClient(answers: ReadonlyArray<{ status: number; type: string; message: string }>): { client: SecretsManagerClient; sent: () => number } {
  let sent = 0;
  const requestHandler = {
    async handle() {
      const answer = answers[Math.min(sent, answers.length - 1)]!;
      sent += 1;
      const body = JSON.stringify({ __type: answer.type, message: answer.message });
      return {
        response: {
          statusCode: answer.status,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `wire-${sent}` },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const client = new SecretsManagerClient({
    region: 'ap-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: requestHandler as never,
  });
  return { client, sent: () => sent };
}

/** What a caller can observe of an SDK error (the request id differs per call). */
function observable(error: unknown): Record<string, unknown> {
  const e = error as SecretsManagerServiceException & { __type?: string };
  return {
    class: e.constructor.name,
    isServiceException: e instanceof SecretsManagerServiceException,
    name: e.name,
    message: e.message,
    $fault: e.$fault,
    __type: e.__type,
    httpStatusCode: e.$metadata.httpStatusCode,
    attempts: e.$metadata.attempts,
  };
}

const FAULTS: ReadonlyArray<{ fault: SecretsManagerFault; status: number }> = [
  { fault: 'AccessDeniedException', status: 400 },
  { fault: 'DecryptionFailure', status: 400 },
  { fault: 'InvalidRequestException', status: 400 },
  { fault: 'ThrottlingException', status: 400 },
  { fault: 'InternalServiceError', status: 500 },
];

describe('the stand-in builds errors as the SDK does', () => {
  // Taken from the real SDK before the stand-in's stub is installed in this file.
  const fromSdk = new Map<string, { error: unknown; sent: number }>();

  beforeAll(async () => {
    const cases = [
      ...FAULTS.map(({ fault, status }) => ({ key: fault, status, type: fault, message: faultError(fault, 'onecard/prod').message })),
      { key: 'noValue', status: 400, type: 'ResourceNotFoundException', message: SERVICE_MESSAGES.noValueForStage(AWSCURRENT) },
    ];
    await Promise.all(
      cases.map(async ({ key, status, type, message }) => {
        const { client, sent } = wireClient([{ status, type, message }]);
        const error = await client.send(new GetSecretValueCommand({ SecretId: 'onecard/prod' })).catch((e: unknown) => e);
        fromSdk.set(key, { error, sent: sent() });
      }),
    );
  }, 30_000);

  it.each(FAULTS)('$fault: same class, name, message, fault and attempts', ({ fault }) => {
    const sdk = fromSdk.get(fault)!;
    expect(observable(faultError(fault, 'onecard/prod'))).toEqual(observable(sdk.error));
  });

  it('the SDK retries throttling and server faults (3 attempts), nothing else', () => {
    expect(fromSdk.get('ThrottlingException')!.sent).toBe(3);
    expect(fromSdk.get('InternalServiceError')!.sent).toBe(3);
    for (const fault of ['AccessDeniedException', 'DecryptionFailure', 'InvalidRequestException', 'noValue']) {
      expect(fromSdk.get(fault)!.sent).toBe(1);
    }
  });

  it('a secret without a value: ResourceNotFoundException for AWSCURRENT', () => {
    expect(observable(serviceError('ResourceNotFoundException', SERVICE_MESSAGES.noValueForStage(AWSCURRENT)))).toEqual(
      observable(fromSdk.get('noValue')!.error),
    );
  });

  it('a throttled call that the SDK retried into success is invisible to the caller', async () => {
    const { client, sent } = wireClient([
      { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
      { status: 200, type: '', message: '' },
    ]);
    // The second answer is a 200 with a body the SDK reads as an (empty) GetSecretValue output.
    const output = await client.send(new GetSecretValueCommand({ SecretId: 'x' }));
    expect(sent()).toBe(2);
    expect(output.$metadata.attempts).toBe(2);
  });
});

describe('the stand-in as a service', () => {
  let sm: SecretsManagerStandIn;
  const client = new SecretsManagerClient({ region: 'ap-east-1' });
  beforeAll(() => {
    sm = installSecretsManager();
  });
  beforeEach(() => sm.reset());
  afterAll(() => sm.restore());

  it('a secret created without a value has none, until one is put', async () => {
    sm.createSecret('onecard/prod');
    const error = await client.send(new GetSecretValueCommand({ SecretId: 'onecard/prod' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', message: SERVICE_MESSAGES.noValueForStage(AWSCURRENT) });
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'onecard/prod', SecretString: '{"a":1}' }));
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'onecard/prod' }));
    expect(read).toMatchObject({ SecretString: '{"a":1}', VersionId: put.VersionId, VersionStages: [AWSCURRENT], Name: 'onecard/prod' });
  });

  it('an unknown secret, and one marked for deletion', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: SERVICE_MESSAGES.noSuchSecret,
    });
    sm.createSecret('doomed', 'v');
    sm.scheduleDeletion('doomed');
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: SERVICE_MESSAGES.markedForDeletion,
    });
  });

  it('rotation: a new VersionId becomes AWSCURRENT, the old one AWSPREVIOUS; the ARN reads the same secret', async () => {
    const arn = sm.createSecret('rotating', { key: 'old' });
    const first = sm.currentVersionId('rotating');
    const second = sm.putSecretValue(arn, { key: 'new' });
    expect(second).not.toBe(first);
    const current = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(current).toMatchObject({ VersionId: second, SecretString: '{"key":"new"}', VersionStages: [AWSCURRENT] });
    const previous = await client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: AWSPREVIOUS }));
    expect(previous).toMatchObject({ VersionId: first, SecretString: '{"key":"old"}' });
    expect(sm.reads('rotating')).toBe(2);
  });

  it('injected faults hit the next matching reads only, then the secret reads again', async () => {
    sm.createSecret('s', 'v');
    sm.failNext('AccessDeniedException', { times: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(client.send(new GetSecretValueCommand({ SecretId: 's' }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      });
    }
    await expect(client.send(new GetSecretValueCommand({ SecretId: 's' }))).resolves.toMatchObject({ SecretString: 'v' });
    expect(sm.reads()).toBe(3);
  });
});
