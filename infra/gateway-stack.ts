// The whole deployment of onecard-gateway: IAM-authorized REST API → six functions, DynamoDB token and
// ledger tables, the Synjones secret, bill bucket, Asia/Shanghai schedules with a DLQ, and alarms.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, TimeZone, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { LEDGER_TABLE_KEY, TOKEN_TABLE_KEY } from '../lib/tables.js';
import { METRICS_NAMESPACE, SERVICE_NAME, type GatewaySettings } from './config.js';
import { GatewayFunctions } from './constructs/gateway-functions.js';
import { ROUTES } from '../lib/http/routes.js';

/** One request body schema per route, as lib/http/openapi.ts `requestModels()` returns them. */
export interface RequestModel {
  /** e.g. 'POST /v1/payments' */
  readonly routeKey: string;
  /** Self-contained draft-4 JSON Schema (no external $ref). */
  readonly schema: object;
}

export interface GatewayStackProps extends StackProps {
  readonly settings: GatewaySettings;
  readonly requestModels: readonly RequestModel[];
  /** Default: the repository this file lives in. */
  readonly projectRoot?: string;
  /** Default: <projectRoot>/functions. */
  readonly handlersDir?: string;
}

/** Custom metrics lib/ publishes (Powertools EMF, namespace POWERTOOLS_METRICS_NAMESPACE, dimension service). */
export const CUSTOM_METRICS = {
  /** Count of ledger orders still PENDING whose created_at is more than 15 minutes ago (a gauge: publish each sweep). */
  pendingOlderThan15m: 'PendingOlderThan15m',
  /** Number of reconciliation differences of one bill (missing_local + missing_remote + mismatched). */
  reconciliationMismatches: 'ReconciliationMismatches',
} as const;

/** The settlement schedule: every 5 minutes (the PendingOlderThan15m alarm period), at minute 2 past each. */
const SETTLE_PENDING_EVERY_MINUTES = 5;
const SETTLE_PENDING_OFFSET_MINUTE = 2;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class GatewayStack extends Stack {
  readonly api: apigw.RestApi;
  readonly functions: GatewayFunctions;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    // Feature flag pinned here (not only in cdk.json) so tests and the app synthesize the same thing:
    // S3 access-log delivery via a bucket policy, not the legacy LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const { settings } = props;
    const projectRoot = props.projectRoot ?? REPO_ROOT;

    // ---- Data: tables (keys from lib/tables.ts), secret, bill bucket -------------------------------
    const tokenTable = new dynamodb.Table(this, 'TokenTable', {
      partitionKey: { name: TOKEN_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Token items carry `ttl` (epoch seconds, a while after expires_in runs out): DynamoDB drops stale ones.
      timeToLiveAttribute: 'ttl',
      // Tokens are re-issued on demand: losing this table costs one token call, nothing else.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: LEDGER_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [LEDGER_TABLE_KEY.byDayIndex, LEDGER_TABLE_KEY.pendingIndex]) {
      ledgerTable.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const { secret, secretId } = this.synjonesSecret(settings);

    const accessLogBucket = new s3.Bucket(this, 'BillAccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    Validations.of(accessLogBucket).acknowledge(
      { id: 'AwsSolutions-S1', reason: 'This is the server access log bucket of the bill bucket; logging it into itself would loop.' },
    );

    const billBucket = new s3.Bucket(this, 'BillBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'bill-bucket/',
      lifecycleRules: [
        {
          id: 'finance-retention',
          // IA after 90 days; Glacier Instant Retrieval after a year keeps GET /v1/bills/{old date} working
          // (millisecond reads, unlike Flexible Retrieval); expiry after the finance retention term.
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(365) },
          ],
          expiration: Duration.days(settings.billRetentionDays),
          noncurrentVersionExpiration: Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    const scheduleDlq = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(scheduleDlq).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the schedules and scheduled functions.' },
    );

    // ---- Functions -----------------------------------------------------------------------------
    const apiUrl =
      settings.apiUrl ??
      new CfnParameter(this, 'SynjonesApiUrl', {
        type: 'String',
        description: 'The platform gateway.action URL (or pass -c apiUrl=... at synth time).',
        allowedPattern: '^https?://\\S+$',
      }).valueAsString;

    const environment: Record<string, string> = {
      SYNJONES_API_URL: apiUrl,
      ...(settings.billUrl ? { SYNJONES_BILL_URL: settings.billUrl } : {}),
      SYNJONES_SECRET_ID: secretId,
      TOKEN_TABLE: tokenTable.tableName,
      LEDGER_TABLE: ledgerTable.tableName,
      BILL_BUCKET: billBucket.bucketName,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: settings.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.functions = new GatewayFunctions(this, 'Functions', {
      projectRoot,
      handlersDir: props.handlersDir ?? path.join(projectRoot, 'functions'),
      environment,
      tokenTable,
      ledgerTable,
      billBucket,
      secret,
      scheduleDeadLetterQueue: scheduleDlq,
      logRetentionDays: settings.logRetentionDays,
      bundleMetafile: settings.bundleMetafile,
      ...(settings.vpc ? { vpc: this.vpcPlacement(settings.vpc) } : {}),
    });

    // ---- API -----------------------------------------------------------------------------------
    this.api = this.restApi(settings, props.requestModels);

    // ---- Schedules (EventBridge Scheduler, China time) -----------------------------------------
    this.schedules(settings, scheduleDlq);

    // ---- Alarms --------------------------------------------------------------------------------
    this.alarms(settings, scheduleDlq);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Invoke URL (SigV4-signed requests only)' });
    new CfnOutput(this, 'SecretId', { value: secretId, description: 'Secrets Manager secret to fill with the Synjones JSON' });
    new CfnOutput(this, 'TokenTableName', { value: tokenTable.tableName });
    new CfnOutput(this, 'LedgerTableName', { value: ledgerTable.tableName });
    new CfnOutput(this, 'BillBucketName', { value: billBucket.bucketName });
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: scheduleDlq.queueUrl });

    this.stackWideSuppressions();
  }

  /** Imports the secret by ARN or name, or creates an empty one (no value in the template; fill it after deploy). */
  private synjonesSecret(settings: GatewaySettings): { secret: secretsmanager.ISecret; secretId: string } {
    if (settings.secretArn) {
      const complete = /-[A-Za-z0-9]{6}$/.test(settings.secretArn);
      const secret = secretsmanager.Secret.fromSecretAttributes(
        this,
        'SynjonesSecret',
        complete ? { secretCompleteArn: settings.secretArn } : { secretPartialArn: settings.secretArn },
      );
      return { secret, secretId: settings.secretArn };
    }
    if (settings.secretName) {
      return { secret: secretsmanager.Secret.fromSecretNameV2(this, 'SynjonesSecret', settings.secretName), secretId: settings.secretName };
    }
    const secret = new secretsmanager.Secret(this, 'SynjonesSecret', {
      description: 'Synjones one-card credentials JSON: app_key, app_secret, private_key, platform_public_key, bill_key (see README)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CDK would generate a random password; CloudFormation creates an empty secret when neither
    // SecretString nor GenerateSecretString is given. The value is put after deploy (README).
    (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The app_secret and key pair are issued by Synjones (the platform operator); they cannot be rotated by a Lambda, only re-issued by the vendor and put by hand.',
    });
    return { secret, secretId: secret.secretArn };
  }

  /** Existing VPC, subnets and security group by id: no lookups, so synth stays offline. */
  private vpcPlacement(placement: NonNullable<GatewaySettings['vpc']>): {
    vpc: ec2.IVpc;
    subnets: ec2.ISubnet[];
    securityGroups: ec2.ISecurityGroup[];
  } {
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: placement.vpcId,
      availabilityZones: Stack.of(this).availabilityZones,
    });
    const subnets = placement.subnetIds.map((subnetId, index) => ec2.Subnet.fromSubnetId(this, `Subnet${index}`, subnetId));
    const securityGroups = placement.securityGroupId
      ? [ec2.SecurityGroup.fromSecurityGroupId(this, 'FunctionSecurityGroup', placement.securityGroupId)]
      : [
          new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
            vpc,
            description: 'onecard-gateway functions: no ingress; egress to the platform, AWS endpoints',
            allowAllOutbound: true,
          }),
        ];
    return { vpc, subnets, securityGroups };
  }

  private restApi(settings: GatewaySettings, requestModels: readonly RequestModel[]): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const accessLogFormat = apigw.AccessLogFormat.custom(
      JSON.stringify({
        requestId: apigw.AccessLogField.contextRequestId(),
        extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
        requestTime: apigw.AccessLogField.contextRequestTime(),
        sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
        caller: apigw.AccessLogField.contextIdentityCaller(),
        user: apigw.AccessLogField.contextIdentityUser(),
        userArn: apigw.AccessLogField.contextIdentityUserArn(),
        httpMethod: apigw.AccessLogField.contextHttpMethod(),
        resourcePath: apigw.AccessLogField.contextResourcePath(),
        status: apigw.AccessLogField.contextStatus(),
        protocol: apigw.AccessLogField.contextProtocol(),
        responseLength: apigw.AccessLogField.contextResponseLength(),
        responseLatency: apigw.AccessLogField.contextResponseLatency(),
        integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
        integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
        errorMessage: apigw.AccessLogField.contextErrorMessage(),
        xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
      }),
    );

    const domain = settings.customDomain;
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: 'onecard-gateway',
      description: 'Gateway to the Synjones campus one-card platform (SigV4 / AWS_IAM only)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: settings.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Never log bodies: they carry pwd, ids and amounts.
        dataTraceEnabled: false,
        throttlingRateLimit: settings.throttleRateLimit,
        throttlingBurstLimit: settings.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat,
      },
      ...(domain
        ? {
            domainName: {
              domainName: domain.domainName,
              certificate: acm.Certificate.fromCertificateArn(this, 'ApiCertificate', domain.certificateArn),
              endpointType: apigw.EndpointType.REGIONAL,
              securityPolicy: apigw.SecurityPolicy.TLS_1_2,
            },
          }
        : {}),
    });

    if (domain?.hostedZoneId && domain.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'ApiZone', {
        hostedZoneId: domain.hostedZoneId,
        zoneName: domain.hostedZoneName,
      });
      new route53.ARecord(this, 'ApiAliasRecord', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGateway(api)),
      });
    }

    if (settings.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', { resourceArn: api.deploymentStage.stageArn, webAclArn: settings.webAclArn });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'Every method requires SigV4 (AWS_IAM), so anonymous traffic is refused before any integration runs and stage throttling caps the rest; pass -c webAclArn=<regional WAFv2 web ACL> to associate one.',
      });
    }
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level API Gateway logging role needs exactly this AWS managed policy (it lets API Gateway create log groups for any API of the account); it is the documented setup for execution and access logs.',
      });
    }

    this.gatewayResponses(api);

    const validator = new apigw.RequestValidator(this, 'ApiRequestValidator', {
      restApi: api,
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const modelByRoute = new Map(requestModels.map((model) => [model.routeKey, model.schema]));
    for (const route of ROUTES) {
      const resource = api.root.resourceForPath(route.resource);
      const { routeKey } = route;
      const pathParameters = [...route.resource.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
      const requestParameters = Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true]));

      if (route.functionName === null) {
        resource.addMethod(route.method, this.healthIntegration(), {
          requestValidator: validator,
          methodResponses: [{ statusCode: '200', responseParameters: { 'method.response.header.x-request-id': true } }],
        });
        continue;
      }

      const schema = modelByRoute.get(routeKey);
      if (route.method === 'POST' && !schema) throw new Error(`requestModels() has no schema for ${routeKey}`);
      const model = schema
        ? api.addModel(modelId(routeKey), {
            contentType: 'application/json',
            modelName: modelId(routeKey),
            schema: schema as apigw.JsonSchema,
          })
        : undefined;

      resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(this.functions.get(route.functionName), { proxy: true, allowTestInvoke: false }),
        {
          requestValidator: validator,
          ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
          ...(model ? { requestModels: { 'application/json': model } } : {}),
        },
      );
    }
    return api;
  }

  /** GET /v1/health answered by API Gateway itself (IAM-authorized like every route): no cold start, no function. */
  private healthIntegration(): apigw.MockIntegration {
    return new apigw.MockIntegration({
      passthroughBehavior: apigw.PassthroughBehavior.NEVER,
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [
        {
          statusCode: '200',
          responseTemplates: { 'application/json': '{"status":"ok"}' },
          responseParameters: { 'method.response.header.x-request-id': 'context.requestId' },
        },
      ],
    });
  }

  /** API Gateway's own refusals in API.md's error shape ({"error": {code, message, retryable}}). */
  private gatewayResponses(api: apigw.RestApi): void {
    const body = (code: string, message: string, retryable: boolean): Record<string, string> => ({
      // Gateway response headers map only request parameters or literals, not $context, so API Gateway's
      // own refusals carry the request id in the body (request_id) rather than in x-request-id.
      'application/json': `{"error":{"code":${code},"message":${message},"retryable":${retryable}},"request_id":"$context.requestId"}`,
    });
    const add = (id: string, type: apigw.ResponseType, statusCode: string | undefined, templates: Record<string, string>): void => {
      api.addGatewayResponse(id, { type, ...(statusCode ? { statusCode } : {}), templates });
    };
    // messageString is the quoted message ("Invalid request body"). validationErrorString would name the
    // field, but it is unquoted, holds `"` (invalid JSON) and may echo the input (a pwd): not used.
    add('BadRequestBody', apigw.ResponseType.BAD_REQUEST_BODY, '400', body('"VALIDATION"', '$context.error.messageString', false));
    add('BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS, '400', body('"VALIDATION"', '$context.error.messageString', false));
    add('RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, '400', body('"VALIDATION"', '"request body too large"', false));
    add('Throttled', apigw.ResponseType.THROTTLED, '429', body('"THROTTLED"', '$context.error.messageString', true));
    add('IntegrationTimeout', apigw.ResponseType.INTEGRATION_TIMEOUT, '504', body('"UPSTREAM_TIMEOUT"', '"the request is still being processed; replay it with the same order_no or read GET /v1/payments/{order_no}"', true));
    add('Default4xx', apigw.ResponseType.DEFAULT_4XX, undefined, body('"$context.error.responseType"', '$context.error.messageString', false));
    add('Default5xx', apigw.ResponseType.DEFAULT_5XX, undefined, body('"$context.error.responseType"', '$context.error.messageString', true));
  }

  private schedules(settings: GatewaySettings, deadLetterQueue: sqs.IQueue): void {
    // One role for the three schedules: invoke these functions, send to the DLQ; nothing else.
    const role = new iam.Role(this, 'ScheduleInvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'EventBridge Scheduler: invoke the token renewal, PENDING settlement and daily bill functions',
    });
    for (const name of ['access-token', 'pay-query', 'down-bill'] as const) {
      const logicalId = this.getLogicalId(this.functions.get(name).node.defaultChild as CfnElement);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the function and its versions/aliases (ARN:*), as aws-scheduler-targets grants it; one function per statement, no other resources.',
      });
    }
    // Every schedule invokes one function asynchronously with a `{"kind": …}` payload that the function
    // recognises (isScheduledEvent), through the shared role, with retries and the shared DLQ.
    const invoke = (name: 'access-token' | 'pay-query' | 'down-bill', kind: string, retryAttempts: number, maxEventAge: Duration) =>
      new schedulerTargets.LambdaInvoke(this.functions.get(name), {
        input: scheduler.ScheduleTargetInput.fromObject({ kind }),
        role,
        deadLetterQueue,
        retryAttempts,
        maxEventAge,
      });

    // Token renewal every N minutes (default 10, context tokenRenewalMinutes). The platform issues at
    // most one token per 2 minutes per app_key, each new one kills the previous, and a token lives
    // expires_in (3600 s in the spec's sample, 7200 s in the sandbox). renewIfDue() (lib/token/manager.ts)
    // only calls the platform when the stored token is inside its proactive margin — min(30 min, half
    // the lifetime), at least the 5-minute request margin — so most runs are one DynamoDB read.
    // N = 10 puts ≥ 3 scheduled runs inside that 30-minute window (each with Lambda's async retries at
    // +1 and +2 min), so a token is renewed well before readers reach the 5-minute margin even if two
    // runs fail; N ≥ 3 keeps a run and its retries clear of the 2-minute rule; the renewal itself
    // happens about once per (lifetime − 30 min): ~2 token calls an hour for a 3600 s token.
    new scheduler.Schedule(this, 'TokenRenewalSchedule', {
      description: `Renew the Synjones access_token when due (every ${settings.tokenRenewalMinutes} min, China time)`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: `0/${settings.tokenRenewalMinutes}`,
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      // A renewal older than one period is superseded by the next run.
      target: invoke('access-token', 'token-renewal', 2, Duration.minutes(Math.max(settings.tokenRenewalMinutes, 1))),
    });

    // PENDING settlement every 5 minutes at minutes 2, 7, 12, …: off the renewal's minute 0 (with the
    // default 10-minute renewal they never coincide; when they do, a token replaced under a sweep only
    // costs the client's one 40017 retry). The pay-query function resolves orders older than a minute with
    // pay.query and publishes PendingOlderThan15m, which PendingPaymentsAlarm watches (Maximum per 5 min);
    // a run older than one period is superseded by the next.
    new scheduler.Schedule(this, 'SettlePendingSchedule', {
      description: 'Resolve PENDING payments and refunds with pay.query and gauge those older than 15 minutes (every 5 min, China time)',
      schedule: scheduler.ScheduleExpression.cron({
        minute: `${SETTLE_PENDING_OFFSET_MINUTE}/${SETTLE_PENDING_EVERY_MINUTES}`,
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      target: invoke('pay-query', 'settle-pending', 2, Duration.minutes(SETTLE_PENDING_EVERY_MINUTES)),
    });

    // The previous China day's bill, early in the morning once the platform has closed the day.
    new scheduler.Schedule(this, 'DailyBillSchedule', {
      description: 'Download and reconcile the previous China day\'s bill',
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(settings.dailyBillAt.minute),
        hour: String(settings.dailyBillAt.hour),
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      target: invoke('down-bill', 'daily-bill', 10, Duration.hours(6)),
    });
  }

  private alarms(settings: GatewaySettings, deadLetterQueue: sqs.Queue): void {
    const alarms: cloudwatch.Alarm[] = [];
    const fiveMinutes = Duration.minutes(5);
    for (const [name, fn] of this.functions.byName) {
      alarms.push(
        fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }).createAlarm(this, `${fn.node.id}Errors`, {
          alarmDescription: `${name}: unhandled function errors`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }).createAlarm(this, `${fn.node.id}Throttles`, {
          alarmDescription: `${name}: invocations throttled (account or reserved concurrency exhausted)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const customMetric = (metricName: string, statistic: string, period: Duration): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period });

    alarms.push(
      customMetric(CUSTOM_METRICS.pendingOlderThan15m, 'Maximum', fiveMinutes).createAlarm(this, 'PendingPaymentsAlarm', {
        alarmDescription: 'Payments or refunds PENDING for more than 15 minutes: money may have moved without a known outcome',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      customMetric(CUSTOM_METRICS.reconciliationMismatches, 'Sum', Duration.hours(1)).createAlarm(this, 'ReconciliationAlarm', {
        alarmDescription: 'The daily bill and the ledger disagree (missing_local, missing_remote or mismatched rows)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }).createAlarm(this, 'ScheduleDeadLettersAlarm', {
        alarmDescription: 'A scheduled token renewal, PENDING settlement or daily bill run failed after its retries (see the DLQ)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }).createAlarm(this, 'Api5xxAlarm', {
        alarmDescription: 'API answered 5xx (upstream errors, timeouts, integration failures)',
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    if (settings.alarmEmail) {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'onecard-gateway alarms', enforceSSL: true });
      topic.addSubscription(new snsSubscriptions.EmailSubscription(settings.alarmEmail));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason: 'Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key for this is not worth its cost.',
      });
      const action = new cwActions.SnsAction(topic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  private stackWideSuppressions(): void {
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Callers are university back-end systems with IAM identities: every method uses AWS_IAM (SigV4), not a Cognito user pool.',
    });
  }
}

function modelId(routeKey: string): string {
  return routeKey
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1).toLowerCase())
    .join('');
}
