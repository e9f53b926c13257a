// An API Gateway REST proxy event (AWS_PROXY, IAM-authorized) as API Gateway builds it for a method of
// the template: resource and path, headers in both forms, path and query parameters, request context.
import { randomUUID } from 'node:crypto';

export interface ProxyRequest {
  readonly httpMethod: string;
  /** The template's resource path, e.g. /v1/payments/{order_no}. */
  readonly resource: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export function proxyEvent(request: ProxyRequest): Record<string, unknown> {
  const params = request.pathParameters ?? {};
  const path = request.resource.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} of ${request.resource}`);
    return encodeURIComponent(value);
  });
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    Host: 'abc123.execute-api.ap-east-1.amazonaws.com',
    'User-Agent': 'aws-sdk-js/3 deployed-test',
    'X-Amzn-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'X-Forwarded-For': '10.0.0.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
  };
  const query = request.query && Object.keys(request.query).length > 0 ? { ...request.query } : null;
  const now = new Date();
  return {
    resource: request.resource,
    path,
    httpMethod: request.httpMethod,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])) : null,
    pathParameters: Object.keys(params).length > 0 ? { ...params } : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'abc123',
      resourcePath: request.resource,
      httpMethod: request.httpMethod,
      extendedRequestId: `${randomUUID().slice(0, 8)}=`,
      requestTime: now.toUTCString(),
      path: `/prod${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'prod',
      domainPrefix: 'abc123',
      requestTimeEpoch: now.getTime(),
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: '123456789012',
        cognitoIdentityId: null,
        caller: 'AROAEXAMPLE:campus-portal',
        sourceIp: '10.0.0.1',
        principalOrgId: null,
        accessKey: 'ASIAEXAMPLE',
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: 'arn:aws:sts::123456789012:assumed-role/campus-portal/campus-portal',
        userAgent: 'aws-sdk-js/3 deployed-test',
        user: 'AROAEXAMPLE:campus-portal',
      },
      domainName: 'abc123.execute-api.ap-east-1.amazonaws.com',
      apiId: 'abc123',
    },
    body: request.body === undefined ? null : JSON.stringify(request.body),
    isBase64Encoded: false,
  };
}
