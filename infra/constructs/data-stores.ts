// What the gateway keeps: the token, ledger and reconciliation exceptions tables (keys from lib/tables.ts), the Synjones secret,
// the bill bucket with its access-log bucket, and the dead-letter queue of the scheduled runs.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EXCEPTIONS_TABLE_KEY, LEDGER_TABLE_KEY, TOKEN_TABLE_KEY } from '../../lib/tables.js';
import type { GatewaySettings } from '../config.js';
import { StackLayer } from './layer.js';

export interface DataStoresProps {
  readonly settings: Pick<GatewaySettings, 'secretArn' | 'secretName' | 'billRetentionDays'>;
}

export class DataStores extends StackLayer {
  readonly tokenTable: dynamodb.Table;
  readonly ledgerTable: dynamodb.Table;
  /** Reconciliation exceptions (lib/reconciliation): the finance office's record of differences and notes. */
  readonly exceptionsTable: dynamodb.Table;
  readonly secret: secretsmanager.ISecret;
  /** What the functions get as SYNJONES_SECRET_ID: the imported ARN or name, or the created secret's ARN. */
  readonly secretId: string;
  readonly billBucket: s3.Bucket;
  /** Failed scheduled runs, after the Scheduler's and Lambda's retries. */
  readonly scheduleDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DataStoresProps) {
    super(scope, id);
    const { settings } = props;

    this.tokenTable = new dynamodb.Table(this, 'TokenTable', {
      partitionKey: { name: TOKEN_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // No TTL: the table holds one item per app_key, replaced in place, and its fetched_at is the clock
      // of the platform's one-token-per-2-minutes rule, which an expiry must never erase.
      // Tokens are re-issued on demand: losing this table costs one token call, nothing else.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: LEDGER_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [LEDGER_TABLE_KEY.byDayIndex, LEDGER_TABLE_KEY.pendingIndex, LEDGER_TABLE_KEY.outboxIndex]) {
      this.ledgerTable.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // Kept like the ledger: the notes a person wrote and the history of a day's differences exist nowhere else.
    this.exceptionsTable = new dynamodb.Table(this, 'ReconciliationExceptionsTable', {
      partitionKey: { name: EXCEPTIONS_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [EXCEPTIONS_TABLE_KEY.byStatusIndex, EXCEPTIONS_TABLE_KEY.byDayStatusIndex]) {
      this.exceptionsTable.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const { secret, secretId } = this.synjonesSecret(settings);
    this.secret = secret;
    this.secretId = secretId;

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
      { id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', reason: 'CT.S3.PR.2: this is the server access log bucket of the bill bucket; logging it into itself would loop.' },
      { id: 'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check', reason: 'CT.S3.PR.11: access log objects are written once by S3 and expire after a year; versions of them would only keep expired logs around.' },
    );

    this.billBucket = new s3.Bucket(this, 'BillBucket', {
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
        {
          id: 'expire-provisional-reports',
          // lib/bills/keys.ts PROVISIONAL_REPORTS_PREFIX: each download's report has its own key, and the report
          // of a download that was not final is always superseded (a day not final is downloaded afresh on every
          // request; the daily run, after BILL_FINAL_AFTER, is final) and served no more. Expired as long after
          // as a replaced report version was kept (90 days); its version then goes as noncurrent (rule above).
          // Final downloads' reports (the daily run's, a manual re-run's) are kept for the finance term.
          prefix: 'downloads/provisional/',
          expiration: Duration.days(90),
        },
      ],
    });

    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.scheduleDeadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the schedules and scheduled functions.' },
      { id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: 'CT.SQS.PR.1: this queue is itself the dead-letter queue of the schedules and scheduled functions.' },
    );
  }

  /** Imports the secret by ARN or name, or creates an empty one (no value in the template; fill it after deploy). */
  private synjonesSecret(settings: DataStoresProps['settings']): { secret: secretsmanager.ISecret; secretId: string } {
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
}
