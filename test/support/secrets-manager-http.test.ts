// The HTTP Secrets Manager stand-in, read by the real SDK client over the wire: values, rotation, and the
// service's errors as the SDK deserializes them (class, name, message, fault, retries).
import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_MESSAGES } from './secrets-manager.js';
import { startHttpSecretsManager, type HttpSecretsManager } from './secrets-manager-http.js';

let service: HttpSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  service = await startHttpSecretsManager();
  client = new SecretsManagerClient({
    endpoint: service.endpoint,
    region: 'ap-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client?.destroy();
  await service?.close();
});

const read = (SecretId: string, extra: { VersionStage?: string } = {}) => client.send(new GetSecretValueCommand({ SecretId, ...extra }));

describe('HTTP Secrets Manager stand-in', () => {
  it('answers GetSecretValue by name and by ARN with the AWSCURRENT version', async () => {
    const arn = service.createSecret('onecard/read', '{"a":1}');
    const byName = await read('onecard/read');
    expect(byName).toMatchObject({ ARN: arn, Name: 'onecard/read', SecretString: '{"a":1}', VersionStages: ['AWSCURRENT'] });
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect((await read(arn)).VersionId).toBe(byName.VersionId);
  });

  it('a rotation makes the new version AWSCURRENT and keeps the old one as AWSPREVIOUS', async () => {
    service.createSecret('onecard/rotate', 'one');
    const next = service.putSecretValue('onecard/rotate', 'two');
    expect(await read('onecard/rotate')).toMatchObject({ SecretString: 'two', VersionId: next });
    expect(await read('onecard/rotate', { VersionStage: 'AWSPREVIOUS' })).toMatchObject({ SecretString: 'one' });
  });

  it('a secret without a value answers ResourceNotFoundException for its staging label, never {}', async () => {
    service.createSecret('onecard/empty');
    const error = await read('onecard/empty').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', message: SERVICE_MESSAGES.noValueForStage('AWSCURRENT'), $fault: 'client' });
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  it('an unknown secret answers ResourceNotFoundException "can\'t find the specified secret"', async () => {
    await expect(read('onecard/nobody')).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: SERVICE_MESSAGES.noSuchSecret });
  });

  it('injected faults arrive as the SDK names them; throttling is retried by the SDK and can then succeed', async () => {
    service.createSecret('onecard/faults', 'v');
    service.failNext('AccessDeniedException');
    await expect(read('onecard/faults')).rejects.toMatchObject({ name: 'AccessDeniedException', $fault: 'client' });
    service.failNext('DecryptionFailure');
    await expect(read('onecard/faults')).rejects.toMatchObject({ name: 'DecryptionFailure', message: SERVICE_MESSAGES.decryptionFailure });
    service.failNext('ThrottlingException', 1);
    const after = await read('onecard/faults');
    expect(after.SecretString).toBe('v');
    expect(after.$metadata.attempts).toBe(2);
  });

  it('refuses an unsigned request and an operation it does not implement, as the service would', async () => {
    const unsigned = await fetch(service.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: '{"SecretId":"onecard/read"}',
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'onecard/read' }))).rejects.toMatchObject({ name: 'UnknownOperationException' });
    expect(service.calls.at(-1)).toEqual({ target: 'secretsmanager.DescribeSecret', secretId: 'onecard/read' });
  });
});
