// The synthesized template of GatewayStack: runtimes, IAM-only API, tables, schedules, secret hygiene,
// least privilege, alarms, and a clean cdk-nag AwsSolutions report (defaults and every context switch).
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { App } from 'aws-cdk-lib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextError, readGatewaySettings } from '../../infra/config.js';
import { BILL_PREFIXES, HANDLERS } from '../../infra/constructs/handlers.js';
import { CUSTOM_METRICS } from '../../lib/observability/names.js';
import { BILL_FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-timeouts.js';
import { RECONCILIATION_MISMATCHES_METRIC } from '../../lib/bills/service.js';
import { PENDING_OLDER_THAN_15M_METRIC } from '../../lib/ledger/settler.js';
import { ROUTES } from '../../lib/api/routes.js';
import { describeViolations, synthGateway, type SynthResult } from './synth.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;

const resourcesOf = (json: Record<string, unknown>, type: string): Resources =>
  Object.fromEntries(Object.entries(json.Resources as Resources).filter(([, resource]) => resource.Type === type));

const ALL_OPTIONS = {
  apiUrl: 'https://onecard.example.edu.cn/onecard/uap/gateway.action',
  billUrl: 'https://onecard.example.edu.cn/onecard/uap/downbill.do',
  secretName: 'onecard/synjones',
  alarmEmail: 'ops@example.edu.cn',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  domainName: 'onecard-api.example.edu.cn',
  certificateArn: 'arn:aws:acm:ap-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.edu.cn',
  tokenRenewalMinutes: '5',
  dailyBillAt: '04:15',
};

describe('GatewayStack (default context)', () => {
  let synth: SynthResult;
  let template: Template;
  beforeAll(() => {
    synth = synthGateway({ bundle: false });
    template = synth.template;
  });
  afterAll(() => rmSync(synth.assemblyDir, { recursive: true, force: true }));

  it('has exactly the six functions on nodejs24.x / arm64 with the sizing of infra/constructs/handlers.ts', () => {
    const functions = resourcesOf(synth.json, 'AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties?.Runtime).toBe('nodejs24.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.Handler).toBe('index.handler');
      expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
    }
    for (const spec of HANDLERS) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: spec.description,
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
      });
    }
  });

  it('passes configuration by name only (tables, bucket, secret id, URLs), with source maps on', () => {
    const expectedNames = [
      'SYNJONES_API_URL',
      'SYNJONES_SECRET_ID',
      'TOKEN_TABLE',
      'LEDGER_TABLE',
      'EXCEPTIONS_TABLE',
      'BILL_BUCKET',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'ONECARD_EVENT_BUS_NAME',
    ];
    for (const fn of Object.values(resourcesOf(synth.json, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      const isBill = (fn.Properties?.Description as string | undefined)?.includes('down.bill') === true;
      // Only the bill function decides finality (test/infra/bill-finality.test.ts).
      expect(Object.keys(variables).sort()).toEqual([...expectedNames, ...(isBill ? ['BILL_FINAL_AFTER'] : [])].sort());
      // Source maps everywhere; the bill function also loads OpenSSL's legacy provider for single DES (handlers.ts).
      expect(variables.NODE_OPTIONS).toBe(isBill ? '--enable-source-maps --openssl-legacy-provider' : '--enable-source-maps');
      expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('OnecardGateway');
      // Without -c apiUrl the URL comes from a CloudFormation parameter, never a baked-in guess.
      expect(variables.SYNJONES_API_URL).toEqual({ Ref: 'SynjonesApiUrl' });
    }
  });

  it('requires AWS_IAM on every API method, health included, and serves each route of lib/api/routes.ts', () => {
    const methods = Object.values(resourcesOf(synth.json, 'AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(ROUTES.length);
    for (const method of methods) expect(method.Properties?.AuthorizationType).toBe('AWS_IAM');
    expect(methods.map((method) => method.Properties?.HttpMethod).sort()).toEqual(ROUTES.map((route) => route.method).sort());
    const pathParts = Object.values(resourcesOf(synth.json, 'AWS::ApiGateway::Resource')).map((resource) => resource.Properties?.PathPart);
    for (const route of ROUTES) {
      for (const part of route.resource.split('/').filter(Boolean)) expect(pathParts).toContain(part);
    }
  });

  it('answers HEAD /v1/health like GET (API Gateway itself, IAM-authorized): uptime monitors probe with HEAD', () => {
    const resources = resourcesOf(synth.json, 'AWS::ApiGateway::Resource');
    const healthIds = Object.keys(resources).filter((id) => resources[id]?.Properties?.PathPart === 'health');
    expect(healthIds).toHaveLength(1);
    const onHealth = Object.values(resourcesOf(synth.json, 'AWS::ApiGateway::Method')).filter(
      (method) => (method.Properties?.ResourceId as { Ref?: string } | undefined)?.Ref === healthIds[0],
    );
    expect(onHealth.map((method) => method.Properties?.HttpMethod).sort()).toEqual(['GET', 'HEAD']);
    const [get, head] = ['GET', 'HEAD'].map((verb) => onHealth.find((method) => method.Properties?.HttpMethod === verb)?.Properties);
    expect(head?.AuthorizationType).toBe('AWS_IAM');
    expect((head?.Integration as { Type: string }).Type).toBe('MOCK');
    expect(head?.Integration).toEqual(get?.Integration);
    expect(head?.MethodResponses).toEqual(get?.MethodResponses);
  });

  it('validates request bodies against models generated from the same schemas as the handlers', () => {
    const bodyRoutes = ROUTES.filter((route) => route.body !== undefined);
    const models = Object.values(resourcesOf(synth.json, 'AWS::ApiGateway::Model'));
    expect(models).toHaveLength(bodyRoutes.length);
    for (const model of models) {
      expect(model.Properties?.ContentType).toBe('application/json');
      expect((model.Properties?.Schema as Record<string, unknown>).$schema).toMatch(/draft-04/);
    }
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': Match.anyValue() },
      RequestValidatorId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"VALIDATION"') },
    });
  });

  it("answers API Gateway's own refusals with a request id and a body that is valid JSON", () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'));
    expect(responses.length).toBeGreaterThanOrEqual(7);
    // What API Gateway substitutes: messageString arrives quoted, the other variables bare.
    const render = (text: string): string =>
      text
        .replaceAll('$context.error.messageString', '"Invalid request body: \\"x\\""')
        .replaceAll('$context.error.responseType', 'BAD_REQUEST_BODY')
        .replaceAll('$context.requestId', 'c0ffee-1')
        .replaceAll('$context.error.validationErrorString', '[object has missing required properties (["mercacc"])]');
    for (const response of responses) {
      const properties = response.Properties as { ResponseTemplates: Record<string, string> };
      const body = JSON.parse(render(properties.ResponseTemplates['application/json'] ?? '')) as {
        error: { code: string; message: string; retryable: boolean };
        request_id: string;
      };
      expect(typeof body.error.message).toBe('string');
      expect(body.request_id).toBe('c0ffee-1');
    }
  });

  it('throttles the stage, logs access as JSON, traces with X-Ray and never logs bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('^\\{"requestId":"\\$context.requestId"') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false }),
      ]),
    });
  });

  it('creates both tables on demand with PITR; the ledger is retained and deletion-protected', () => {
    const tables = resourcesOf(synth.json, 'AWS::DynamoDB::Table');
    // Token, ledger and (issue 11) reconciliation exceptions.
    expect(Object.keys(tables)).toHaveLength(3);
    for (const table of Object.values(tables)) {
      expect(table.Properties?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    const ledger = Object.values(tables).find((table) => JSON.stringify(table.Properties?.KeySchema).includes('order_no'));
    expect(ledger?.DeletionPolicy).toBe('Retain');
    expect(ledger?.Properties?.DeletionProtectionEnabled).toBe(true);
    expect((ledger?.Properties?.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName).sort()).toEqual([
      'by_day',
      'outbox',
      'pending',
    ]);
    const token = Object.values(tables).find((table) => JSON.stringify(table.Properties?.KeySchema).includes('app_key'));
    // No TTL: lib/token/store.ts never wrote `ttl`, and an expired item would lose fetched_at (the 2-minute rule's clock).
    expect(token?.Properties).not.toHaveProperty('TimeToLiveSpecification');
  });

  it('schedules token renewal, PENDING settlement and the daily bill in Asia/Shanghai with retries and a dead-letter queue', () => {
    const schedules = Object.values(resourcesOf(synth.json, 'AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(3);
    for (const schedule of schedules) {
      expect(schedule.Properties?.ScheduleExpressionTimezone).toBe('Asia/Shanghai');
      const target = schedule.Properties?.Target as Record<string, unknown>;
      expect(target.DeadLetterConfig).toEqual({ Arn: expect.anything() });
      expect(target.RetryPolicy).toEqual(expect.objectContaining({ MaximumRetryAttempts: expect.any(Number) }));
    }
    const expressions = schedules.map((schedule) => schedule.Properties?.ScheduleExpression).sort();
    expect(expressions).toEqual(['cron(0/10 * * * ? *)', 'cron(2/5 * * * ? *)', 'cron(30 3 * * ? *)']);
    const inputs = schedules.map((schedule) => JSON.parse((schedule.Properties?.Target as { Input: string }).Input) as unknown);
    expect(inputs).toContainEqual({ kind: 'daily-bill' });
    expect(inputs).toContainEqual({ kind: 'settle-pending' });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });

    // The settlement run goes to the pay-query function, every 5 minutes, superseded after one period.
    const settle = schedules.find((schedule) => (schedule.Properties?.Target as { Input: string }).Input.includes('settle-pending'));
    const settleTarget = settle?.Properties?.Target as { Arn: unknown; RetryPolicy: Record<string, unknown> };
    expect(JSON.stringify(settleTarget.Arn)).toMatch(/PayQueryFunction/);
    expect(settleTarget.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(settle?.Properties?.ScheduleExpression).toBe('cron(2/5 * * * ? *)');
    // Lambda's own async retries of a failed run end in the same DLQ.
    const invokeConfigs = Object.values(resourcesOf(synth.json, 'AWS::Lambda::EventInvokeConfig'));
    expect(invokeConfigs.some((config) => JSON.stringify(config.Properties?.FunctionName).includes('PayQueryFunction'))).toBe(true);
    // The scheduler role may invoke exactly the three scheduled functions.
    const invoked = JSON.stringify(
      Object.entries(resourcesOf(synth.json, 'AWS::IAM::Policy')).find(([logicalId]) => logicalId.includes('ScheduleInvokeRole'))?.[1],
    );
    for (const id of ['AccessTokenFunction', 'PayQueryFunction', 'DownBillFunction']) expect(invoked).toContain(id);
    for (const id of ['PayFunction', 'RefundFunction', 'QueryCardFunction']) expect(invoked).not.toMatch(new RegExp(`"${id}[0-9A-F]{8}"`));
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('creates an empty secret: no value, no generated password, nothing secret anywhere in the template', () => {
    const secrets = Object.values(resourcesOf(synth.json, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties).not.toHaveProperty('SecretString');
    expect(secrets[0]?.Properties).not.toHaveProperty('GenerateSecretString');

    const text = JSON.stringify(synth.json);
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY|app_secret"\s*:|"private_key"\s*:|bill_key"\s*:/);
    const suspicious: string[] = [];
    const logicalIds = new Set(
      ['Resources', 'Parameters', 'Outputs', 'Conditions'].flatMap((section) => Object.keys((synth.json[section] as object | undefined) ?? {})),
    );
    // Names the route table makes (request model names, "/GET/v1/…" of a permission's source ARN) are not blobs.
    const apiNames = new Set([
      ...Object.values(resourcesOf(synth.json, 'AWS::ApiGateway::Model')).map((model) => model.Properties?.Name as string),
      ...ROUTES.map((route) => `/${route.method}${route.resource}`),
    ]);
    const walk = (value: unknown): void => {
      if (typeof value === 'string') {
        if (logicalIds.has(value) || apiNames.has(value)) return;
        // A base64 3DES key (24 bytes → 32 chars) or longer base64 blob that is not a hex hash.
        if (/^[A-Za-z0-9+/]{32,}={0,2}$/.test(value) && !/^[0-9a-f]+$/.test(value) && /[0-9]/.test(value) && /[A-Z]/.test(value)) {
          suspicious.push(value);
        }
      } else if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(synth.json);
    expect(suspicious).toEqual([]);
  });

  it('keeps raw bills encrypted, SSL-only, private, versioned, logged, and for the finance retention term', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'bill-bucket/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            ExpirationInDays: 3650,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
            ],
          }),
        ]),
      },
    });
  });

  it('grants each function only its own data: query-card no ledger, only down-bill the bucket prefixes', () => {
    const policies = resourcesOf(synth.json, 'AWS::IAM::Policy');
    const statementsOf = (functionId: string): { Action: string | string[]; Resource: unknown }[] => {
      const entry = Object.entries(policies).find(([logicalId]) => logicalId.includes(`${functionId}Role`));
      expect(entry, `policy of ${functionId}`).toBeDefined();
      return (entry?.[1].Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    };
    const actionsOf = (functionId: string): string[] => statementsOf(functionId).flatMap((statement) => [statement.Action].flat());

    for (const spec of HANDLERS) {
      const actions = actionsOf(spec.id);
      expect(actions.some((action) => action.endsWith(':*'))).toBe(false);
      expect(actions).toContain('secretsmanager:GetSecretValue');
      expect(actions.includes('s3:PutObject')).toBe(spec.bucketPrefixes.length > 0);
      expect(actions).not.toContain('dynamodb:Scan');
      // Only the money calls may delete, and only to withdraw an order the platform never saw.
      expect(actions.includes('dynamodb:DeleteItem')).toBe(spec.name === 'pay' || spec.name === 'refund');
    }
    const queryCard = JSON.stringify(statementsOf('QueryCardFunction'));
    expect(queryCard).not.toMatch(/LedgerTable/);
    expect(queryCard).toMatch(/TokenTable/);
    const downBill = JSON.stringify(statementsOf('DownBillFunction'));
    for (const prefix of BILL_PREFIXES) expect(downBill).toContain(`/${prefix}*`);
    expect(downBill).toMatch(/index\/by_day/);
    expect(actionsOf('PayFunction')).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    // pay-query settles PENDING orders: Query on the pending index only, consistent re-reads and conditional updates.
    const payQuery = statementsOf('PayQueryFunction') as { Sid?: string; Action: string | string[]; Resource: unknown }[];
    const ledgerItems = payQuery.find((statement) => statement.Sid === 'LedgerItems');
    expect([ledgerItems?.Action].flat().sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const indexQueries = payQuery.find((statement) => statement.Sid === 'LedgerIndexQueries');
    expect(indexQueries?.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(indexQueries?.Resource)).toMatch(/index\/pending"/);
    expect(JSON.stringify(indexQueries?.Resource)).not.toMatch(/by_day/);
    expect(actionsOf('PayQueryFunction')).not.toContain('dynamodb:PutItem');
    expect(actionsOf('AccessTokenFunction').filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('alarms on errors and throttles of each function, old PENDING orders, reconciliation mismatches and dead letters', () => {
    const alarms = Object.values(resourcesOf(synth.json, 'AWS::CloudWatch::Alarm'));
    const metricNames = alarms.map((alarm) => alarm.Properties?.MetricName);
    expect(metricNames.filter((name) => name === 'Errors')).toHaveLength(6);
    expect(metricNames.filter((name) => name === 'Throttles')).toHaveLength(6);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: 'PendingOlderThan15m',
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: 'ReconciliationMismatches',
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
    });
    // The names lib/ publishes are the names infra alarms on.
    expect(CUSTOM_METRICS).toEqual({
      pendingOlderThan15m: PENDING_OLDER_THAN_15M_METRIC,
      reconciliationMismatches: RECONCILIATION_MISMATCHES_METRIC,
      // Published by lib/runtime.ts's mismatch reporter (test/e2e/settlement-terms.test.ts reads it from EMF).
      settlementMismatches: 'SettlementMismatches',
      // Published by lib/runtime.ts (publish failures) and functions/pay-query.ts (the sweep's gauge); test/infra/events.test.ts.
      eventPublishFailures: 'EventPublishFailures',
      eventsOverdue: 'EventsOverdue',
      // Published by lib/bills/service.ts when a download could not be stored (test/bills/archive-failure.test.ts).
      billArchiveFailures: 'BillArchiveFailures',
      // Published by each daily bill run (functions/down-bill.ts; test/reconciliation/exceptions-http.test.ts).
      openReconciliationExceptions: 'OpenReconciliationExceptions',
      // Published by a final bill's run out of time (lib/reconciliation/bill-consumer.ts; test/reconciliation/many-differences.test.ts).
      exceptionsNotKept: 'ExceptionsNotKept',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('keeps reconciliation exceptions like the ledger (PITR, retained, deletion-protected) with its two status indexes', () => {
    const tables = Object.values(resourcesOf(synth.json, 'AWS::DynamoDB::Table'));
    const exceptions = tables.find((table) => JSON.stringify(table.Properties?.GlobalSecondaryIndexes ?? []).includes('by_day_status'));
    expect(exceptions?.DeletionPolicy).toBe('Retain');
    expect(exceptions?.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(exceptions?.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(exceptions?.Properties?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect((exceptions?.Properties?.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName).sort()).toEqual([
      'by_day_status',
      'by_status',
    ]);
  });

  it('grants only the bill function the exceptions table: get, put, update on it and Query on its two indexes', () => {
    const policies = Object.entries(resourcesOf(synth.json, 'AWS::IAM::Policy'));
    const tableId = Object.keys(resourcesOf(synth.json, 'AWS::DynamoDB::Table')).find((id) => id.startsWith('ReconciliationExceptionsTable'));
    expect(tableId).toBeDefined();
    const touching = policies.filter(([, policy]) => JSON.stringify(policy.Properties?.PolicyDocument).includes(tableId as string));
    expect(touching.map(([logicalId]) => logicalId)).toEqual([expect.stringContaining('DownBillFunctionRole')]);
    const statements = (touching[0]?.[1].Properties?.PolicyDocument as { Statement: { Sid?: string; Action: string | string[]; Resource: unknown }[] }).Statement;
    const items = statements.find((statement) => statement.Sid === 'ExceptionItems');
    expect([items?.Action].flat().sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const queries = statements.find((statement) => statement.Sid === 'ExceptionIndexQueries');
    expect(queries?.Action).toBe('dynamodb:Query');
    const resources = JSON.stringify(queries?.Resource);
    expect(resources).toMatch(/index\/by_status"/);
    expect(resources).toMatch(/index\/by_day_status"/);
  });

  it('grants the bill function batch reads and writes on the exceptions table itself, in their own statement', () => {
    const statements = Object.values(resourcesOf(synth.json, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties?.PolicyDocument as { Statement: { Sid?: string; Action: string | string[]; Resource: unknown }[] }).Statement,
    );
    const batches = statements.filter((statement) => statement.Sid === 'ExceptionBatches');
    expect(batches).toHaveLength(1);
    expect([batches[0]?.Action].flat().sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']);
    expect(JSON.stringify(batches[0]?.Resource)).toContain('ReconciliationExceptionsTable');
    expect(JSON.stringify(batches[0]?.Resource)).not.toContain('/index/');
  });

  it('alarms when reconciliation exceptions stay open for a day (daily minimum of the gauge ≥ 1 on two days running)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: 'OpenReconciliationExceptions',
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
      Statistic: 'Minimum',
      Period: 86_400,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // A day without the gauge is not taken for "none open": judged on the measured days, INSUFFICIENT_DATA without any.
      TreatMissingData: 'missing',
    });
    // Only this gauge: the event-like metrics stay quiet without data.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const missing = alarms.filter((each) => each.Properties?.TreatMissingData !== 'notBreaching');
    expect(missing.map((each) => each.Properties?.MetricName)).toEqual(['OpenReconciliationExceptions']);
  });

  it('alarms on the first final bill run that could not keep every difference (ExceptionsNotKept, hourly sum ≥ 1)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: 'ExceptionsNotKept',
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
      Statistic: 'Sum',
      Period: 3_600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("sets down-bill's timeout from the constant lib/timings.ts bounds the platform timeout by", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('daily bill'),
      Timeout: BILL_FUNCTION_TIMEOUT_SECONDS,
    });
  });

  it('alarms on the first bill download that could not be stored (BillArchiveFailures, 5-minute sum ≥ 1)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: CUSTOM_METRICS.billArchiveFailures,
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on the first settlement source that describes another order (SettlementMismatches, 5-minute sum ≥ 1)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OnecardGateway',
      MetricName: CUSTOM_METRICS.settlementMismatches,
      Dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('another order'),
    });
  });

  it('leaves no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(describeViolations(synth.nag)).toEqual([]);
  });
});

describe('GatewayStack (every context switch)', () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthGateway({ bundle: false, context: ALL_OPTIONS });
  });
  afterAll(() => rmSync(synth.assemblyDir, { recursive: true, force: true }));

  it('places the functions in the given subnets, imports the secret by name and routes alarms to e-mail', () => {
    for (const fn of Object.values(resourcesOf(synth.json, 'AWS::Lambda::Function'))) {
      const vpcConfig = fn.Properties?.VpcConfig as { SubnetIds: string[] };
      expect(vpcConfig.SubnetIds).toEqual(ALL_OPTIONS.subnetIds.split(','));
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.SYNJONES_SECRET_ID).toBe('onecard/synjones');
      expect(variables.SYNJONES_API_URL).toBe(ALL_OPTIONS.apiUrl);
      expect(variables.SYNJONES_BILL_URL).toBe(ALL_OPTIONS.billUrl);
    }
    synth.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: ALL_OPTIONS.alarmEmail });
    // The alarm that treats a missing gauge as missing tells of INSUFFICIENT_DATA (no daily run counted) too; no other does.
    const alarms = Object.values(resourcesOf(synth.json, 'AWS::CloudWatch::Alarm'));
    const told = alarms.filter((each) => Array.isArray(each.Properties?.InsufficientDataActions));
    expect(told.map((each) => each.Properties?.TreatMissingData)).toEqual(['missing']);
    synth.template.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: ALL_OPTIONS.domainName, SecurityPolicy: 'TLS_1_2' });
    synth.template.hasResourceProperties('AWS::Route53::RecordSet', { Type: 'A', HostedZoneId: ALL_OPTIONS.hostedZoneId });
    const expressions = Object.values(resourcesOf(synth.json, 'AWS::Scheduler::Schedule')).map((s) => s.Properties?.ScheduleExpression);
    expect(expressions.sort()).toEqual(['cron(0/5 * * * ? *)', 'cron(15 4 * * ? *)', 'cron(2/5 * * * ? *)']);
  });

  it('still leaves no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(describeViolations(synth.nag)).toEqual([]);
  });
});

describe('readGatewaySettings', () => {
  // An App without outdir makes a fresh cdk.outXXXX in the system temp directory; these never synthesize.
  const outdir = mkdtempSync(join(tmpdir(), 'onecard-settings-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const settingsWith = (context: Record<string, unknown>) => readGatewaySettings(new App({ context, outdir }).node);

  it('rejects switches that would deploy something broken, naming the key', () => {
    expect(() => settingsWith({ tokenRenewalMinutes: '2' })).toThrow(ContextError);
    expect(() => settingsWith({ tokenRenewalMinutes: '7' })).toThrow(/tokenRenewalMinutes/);
    expect(() => settingsWith({ secretName: 'a', secretArn: 'arn:aws:secretsmanager:x' })).toThrow(/secretName or secretArn/);
    expect(() => settingsWith({ vpcId: 'vpc-1' })).toThrow(/subnetIds/);
    expect(() => settingsWith({ domainName: 'api.example.edu.cn' })).toThrow(/certificateArn/);
    expect(() => settingsWith({ billRetentionDays: '365' })).toThrow(/billRetentionDays/);
    expect(() => settingsWith({ logRetentionDays: '100' })).toThrow(/logRetentionDays/);
    expect(() => settingsWith({ apiUrl: 'onecard.example.edu.cn' })).toThrow(/apiUrl/);
    expect(() => settingsWith({ dailyBillAt: '25:00' })).toThrow(/dailyBillAt/);
  });

  it('defaults to a 10-minute renewal, a 03:30 bill run and a 10-year bill retention', () => {
    const settings = settingsWith({});
    expect(settings.tokenRenewalMinutes).toBe(10);
    expect(settings.dailyBillAt).toEqual({ hour: 3, minute: 30 });
    expect(settings.billRetentionDays).toBe(3650);
    expect(settings.vpc).toBeUndefined();
  });
});
