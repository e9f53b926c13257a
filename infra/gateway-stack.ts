// The whole deployment of onecard-gateway, composed of its layers: data stores, functions, the
// IAM-authorized REST API, the Order Settled event bus, Asia/Shanghai schedules and alarms (each in infra/constructs/).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, CfnParameter, Stack, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lib/observability/names.js';
import type { GatewaySettings } from './config.js';
import { GatewayAlarms } from './constructs/alarms.js';
import { DataStores } from './constructs/data-stores.js';
import { GatewayEvents, principalAccounts } from './constructs/events.js';
import { GatewayApi, type RequestModel } from './constructs/gateway-api.js';
import { GatewayFunctions } from './constructs/gateway-functions.js';
import { logicalIdWithoutLayers } from './constructs/layer.js';
import { FunctionNetwork } from './constructs/network.js';
import { GatewaySchedules } from './constructs/schedules.js';

export type { RequestModel } from './constructs/gateway-api.js';

export interface GatewayStackProps extends StackProps {
  readonly settings: GatewaySettings;
  readonly requestModels: readonly RequestModel[];
  /** Default: the repository this file lives in. */
  readonly projectRoot?: string;
  /** Default: <projectRoot>/functions. */
  readonly handlersDir?: string;
}

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

    const data = new DataStores(this, 'Data', { settings });
    const orderEvents = new GatewayEvents(this, 'Events', {
      subscriberAccounts: principalAccounts(settings.callers?.entries.flatMap((entry) => entry.principals) ?? []),
    });

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
      SYNJONES_SECRET_ID: data.secretId,
      TOKEN_TABLE: data.tokenTable.tableName,
      LEDGER_TABLE: data.ledgerTable.tableName,
      EXCEPTIONS_TABLE: data.exceptionsTable.tableName,
      BILL_BUCKET: data.billBucket.bucketName,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: settings.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
      ONECARD_EVENT_BUS_NAME: orderEvents.bus.eventBusName,
      ...(settings.callers ? { ONECARD_CALLERS: settings.callers.json } : {}),
    };

    this.functions = new GatewayFunctions(this, 'Functions', {
      projectRoot,
      handlersDir: props.handlersDir ?? path.join(projectRoot, 'functions'),
      environment,
      billFinalAfter: settings.billFinalAfter,
      tokenTable: data.tokenTable,
      ledgerTable: data.ledgerTable,
      exceptionsTable: data.exceptionsTable,
      billBucket: data.billBucket,
      secret: data.secret,
      scheduleDeadLetterQueue: data.scheduleDeadLetterQueue,
      eventBus: orderEvents.bus,
      logRetentionDays: settings.logRetentionDays,
      bundleMetafile: settings.bundleMetafile,
      ...(settings.vpc ? { vpc: new FunctionNetwork(this, 'Network', settings.vpc) } : {}),
    });

    this.api = new GatewayApi(this, 'Api', { settings, requestModels: props.requestModels, functions: this.functions }).restApi;
    new GatewaySchedules(this, 'Schedules', { settings, functions: this.functions, deadLetterQueue: data.scheduleDeadLetterQueue });
    new GatewayAlarms(this, 'Alarms', { settings, functions: this.functions, api: this.api, deadLetterQueue: data.scheduleDeadLetterQueue });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Invoke URL (SigV4-signed requests only)' });
    new CfnOutput(this, 'SecretId', { value: data.secretId, description: 'Secrets Manager secret to fill with the Synjones JSON' });
    new CfnOutput(this, 'TokenTableName', { value: data.tokenTable.tableName });
    new CfnOutput(this, 'LedgerTableName', { value: data.ledgerTable.tableName });
    new CfnOutput(this, 'ExceptionsTableName', { value: data.exceptionsTable.tableName });
    new CfnOutput(this, 'BillBucketName', { value: data.billBucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: orderEvents.bus.eventBusName, description: 'Order Settled events: callers subscribe with their own rules (README "Events")' });
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: data.scheduleDeadLetterQueue.queueUrl });

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Callers are university back-end systems with IAM identities: every method uses AWS_IAM (SigV4), not a Cognito user pool.',
    });
    // Control Tower proactive controls (cfn-guard, infra/app.ts) this stack does not follow, as organisation
    // choices. Everything is encrypted at rest with AWS-owned or AWS-managed keys; customer KMS keys, Object
    // Lock retention and S3 event wiring are each account's policy, not the gateway's.
    Validations.of(this).acknowledge(
      { id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check', reason: 'CT.CLOUDWATCH.PR.3: CloudWatch Logs encrypts every log group at rest with its own keys; the logs carry no secrets (lib/observability redacts), so a customer KMS key is left to the account\'s policy.' },
      { id: 'cdk-validator-cfnguard::dynamodb_table_encrypted_kms_check', reason: 'CT.DYNAMODB.PR.2: both tables are encrypted at rest with the AWS-owned key (DynamoDB\'s default); a customer KMS key is an organisation choice with a per-request cost.' },
      { id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check', reason: 'CT.S3.PR.10: SSE-S3 (AES-256) on both buckets; server access logs can only be delivered to an SSE-S3 bucket, and SSE-KMS on the bill bucket is an organisation choice.' },
      { id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check', reason: 'CT.S3.PR.9: bills are versioned and retained by lifecycle for the finance term; a WORM retention (Object Lock) is a finance/legal decision for the account, not a default of the gateway.' },
      { id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check', reason: 'CT.S3.PR.4: nothing consumes object events of these buckets; notifications without a consumer would only add a destination to secure.' },
    );
  }

  /**
   * The layers (Data, Network, Api, Schedules, Alarms) are left out of logical IDs, so each resource keeps
   * the ID it had when it was a direct child of the stack: a changed logical ID replaces the resource on deploy.
   */
  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes;
    return logicalIdWithoutLayers(scopes.slice(scopes.indexOf(this) + 1));
  }
}
