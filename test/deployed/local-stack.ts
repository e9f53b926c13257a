// The local parts a deployed bundle talks to, built from the template: dynalite with the template's
// tables, s3rver with its bucket, the HTTP Secrets Manager holding the sandbox's secret, the sandbox;
// and the environment a function gets: the template's variables (tokens → local names) plus what Lambda sets.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { returnItemOnConditionFailure } from '../../lib/local/dynalite-fidelity.js';
import { startS3rver, S3RVER_CREDENTIALS, type LocalS3 } from '../support/s3rver.js';
import { startHttpSecretsManager, type HttpSecretsManager } from '../support/secrets-manager-http.js';
import { startHttpEventBridge, type HttpEventBridge } from '../support/eventbridge-http.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { resolveEnvironment, type CfnTemplate, type DeployedFunction } from './template.js';

export const REGION = 'ap-east-1';

export interface LocalStack {
  readonly sandbox: TestSandbox;
  readonly dynamo: DynamoDBClient;
  readonly s3: LocalS3;
  readonly secrets: HttpSecretsManager;
  /** The Order Settled bus's stand-in (PutEvents). */
  readonly eventBridge: HttpEventBridge;
  /** Template logical id → the local name standing in for it (tables, bucket, secret ARN, API URL parameter). */
  readonly localFor: Readonly<Record<string, string>>;
  /** The complete environment of `fn` in a Lambda-like process. */
  environmentOf(fn: DeployedFunction): Record<string, string>;
  close(): Promise<void>;
}

const typed = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

export async function startLocalStack(template: CfnTemplate): Promise<LocalStack> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const localFor: Record<string, string> = {};

    returnItemOnConditionFailure();
    const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))));
    const dynamoEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: REGION, credentials: S3RVER_CREDENTIALS });
    closers.push(async () => dynamo.destroy());
    // The tables exactly as the template declares them: key schema, attributes and indexes.
    for (const [logicalId, resource] of typed(template, 'AWS::DynamoDB::Table')) {
      const p = resource.Properties ?? {};
      const TableName = `deployed-${logicalId}`;
      await dynamo.send(
        new CreateTableCommand({
          TableName,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: p.BillingMode,
          ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        } as CreateTableCommandInput),
      );
      localFor[logicalId] = TableName;
    }

    const buckets = typed(template, 'AWS::S3::Bucket').map(([logicalId]) => {
      localFor[logicalId] = `deployed-${logicalId.toLowerCase()}`;
      return localFor[logicalId] as string;
    });
    const s3 = await startS3rver(buckets);
    closers.push(() => s3.stop());

    const sandbox = await startTestSandbox({ minTokenIntervalMs: 0, logger: () => undefined });
    closers.push(() => sandbox.close());

    const secrets = await startHttpSecretsManager({ region: REGION });
    closers.push(() => secrets.close());
    for (const [logicalId] of typed(template, 'AWS::SecretsManager::Secret')) {
      // The operator fills the stack's secret with the JSON the README describes (npm run secret).
      localFor[logicalId] = secrets.createSecret(`deployed/${logicalId}`, JSON.stringify(sandbox.secret));
    }
    localFor.SynjonesApiUrl = sandbox.url;

    const eventBridge = await startHttpEventBridge();
    closers.push(() => eventBridge.close());
    for (const [logicalId] of typed(template, 'AWS::Events::EventBus')) localFor[logicalId] = `deployed-${logicalId}`;

    const environmentOf = (fn: DeployedFunction): Record<string, string> => {
      const functionName = `OnecardGateway-${fn.logicalId}`;
      return {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        // What the Lambda runtime sets for every function.
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/01/[$LATEST]0123456789abcdef',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        _HANDLER: fn.handler,
        LAMBDA_TASK_ROOT: fn.assetDir,
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        // The role's session, here dummy keys (s3rver's own pair; the others accept any).
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: 'deployed-test-session',
        // No shared config files: nothing on this machine may leak into the function.
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
        // The SDK's own endpoint variables point the unchanged bundles at the local services.
        AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
        ...resolveEnvironment(fn.environment, localFor),
      };
    };

    return { sandbox, dynamo, s3, secrets, eventBridge, localFor, environmentOf, close };
  } catch (error) {
    await close();
    throw error;
  }
}
