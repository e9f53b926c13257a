// Builds API Gateway REST proxy events and a Lambda context for handler tests.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface EventInput {
  method?: string;
  resource: string;
  path?: string;
  body?: unknown;
  rawBody?: string | null;
  base64?: boolean;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string> | null;
  query?: Record<string, string> | null;
  requestId?: string;
}

export function apiEvent(input: EventInput): APIGatewayProxyEvent {
  const body = input.rawBody !== undefined ? input.rawBody : input.body === undefined ? null : JSON.stringify(input.body);
  return {
    resource: input.resource,
    path: input.path ?? input.resource,
    httpMethod: input.method ?? 'POST',
    headers: { 'Content-Type': 'application/json', ...input.headers },
    multiValueHeaders: {},
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: input.pathParameters ?? null,
    stageVariables: null,
    body: input.base64 && body !== null ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: input.base64 ?? false,
    requestContext: { requestId: input.requestId ?? randomUUID(), stage: 'test' } as APIGatewayProxyEvent['requestContext'],
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:test',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
