// The six NodejsFunctions (Node.js 24, arm64, ESM bundles with the AWS SDK inside), each with its own
// role, log group and the least IAM its HandlerSpec names: table actions, index reads, bucket prefixes, secret.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { s3ClientForBundles } from '../bundling/s3-client.js';
import { HANDLERS, TOKEN_TABLE_ACTIONS, type HandlerName, type HandlerSpec } from './handlers.js';

/**
 * ESM output still contains CommonJS dependencies (parts of the SDK, middy plugins) that call
 * `require`; in an .mjs module there is none, so the banner creates one. The alias keeps clear of
 * any top-level name the bundle itself declares.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);";

/** Replaces the SDK's default credential chain in the bundles (see infra/bundling/lambda-credentials.ts). */
export const LAMBDA_CREDENTIALS_SHIM = fileURLToPath(new URL('../bundling/lambda-credentials.ts', import.meta.url));

/** Replaces node:stream/web, which middy imports only for streamed responses (see infra/bundling/stream-web.ts). */
export const STREAM_WEB_SHIM = fileURLToPath(new URL('../bundling/stream-web.ts', import.meta.url));

/** Replaces @smithy/core/event-streams, which only S3 SelectObjectContent would use (see infra/bundling/no-event-streams.ts). */
export const NO_EVENT_STREAMS_SHIM = fileURLToPath(new URL('../bundling/no-event-streams.ts', import.meta.url));

/** Replaces mnemonist/lru-cache, the DynamoDB client's endpoint cache (see infra/bundling/lru-cache.ts). */
export const LRU_CACHE_SHIM = fileURLToPath(new URL('../bundling/lru-cache.ts', import.meta.url));

/** Replaces @aws-sdk/checksums/crc, whose CRC32 loads node:zlib at module load (see infra/bundling/crc.ts). */
export const CRC_SHIM = fileURLToPath(new URL('../bundling/crc.ts', import.meta.url));

/**
 * @aws-sdk/client-s3 with its schemas spelled so that esbuild drops the unused ones (see infra/bundling/s3-client.ts):
 * a copy under .bundling/, made when this module is first loaded after an install.
 */
export const S3_CLIENT_COPY = s3ClientForBundles();

/** esbuild aliases applied to every bundle (module → file). */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS_SHIM,
  'node:stream/web': STREAM_WEB_SHIM,
  '@smithy/core/event-streams': NO_EVENT_STREAMS_SHIM,
  'mnemonist/lru-cache': LRU_CACHE_SHIM,
  '@aws-sdk/checksums/crc': CRC_SHIM,
  '@aws-sdk/client-s3': S3_CLIENT_COPY,
};

/**
 * The esbuild settings of every function bundle, in one place: the functions below are bundled with them
 * (bundlingOptions), test/bench/bundles.bench.ts builds its SDK-only floors with the same object, and
 * test/architecture/bundle-reach.test.ts holds a build with them byte for byte to the bundle cdk synth stages.
 */
export const BUNDLE_SETTINGS = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Off: the only names the code reads are the error classes', which each class declares (lib/errors.ts); the
  // per-function name wrappers cost ~6% of each bundle's bytes and the matching init work.
  keepNames: false,
  sourcemap: true,
  sourcesContent: false,
  // ASCII: a non-ASCII character is written as a \u escape, the same string at run time. A source with one
  // character outside Latin-1 ("–", "≤", "…" of our messages) is read into a two-byte string, which Node decodes
  // and V8 scans more slowly: down-bill's init cost ~2% more (main-thread instructions) for the ~100 bytes saved.
  charset: 'ascii',
  alias: BUNDLE_ALIASES,
} as const;

/**
 * Each function bundle's size budget (index.mjs as staged): test/bench/bundles.bench.ts reports against it and
 * test/architecture/bundle-reach.test.ts fails a bundle over it.
 */
export const BUNDLE_SIZE_BUDGET_BYTES = 600 * 1024;

/**
 * BUNDLE_SETTINGS as NodejsFunction bundling options. What CDK does not hand on to esbuild goes as esbuild
 * arguments: the aliases, which it has no option for, and the charset, whose option aws-cdk-lib 2.276 accepts
 * and drops (aws/aws-cdk#32649); esbuild's default is the same ASCII, but the argument keeps the staged bundle
 * what BUNDLE_SETTINGS says should either change.
 */
export function bundlingOptions(metafile: boolean): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: BUNDLE_SETTINGS.target,
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    banner: BUNDLE_SETTINGS.banner,
    minify: BUNDLE_SETTINGS.minify,
    keepNames: BUNDLE_SETTINGS.keepNames,
    sourceMap: BUNDLE_SETTINGS.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: BUNDLE_SETTINGS.sourcesContent,
    // The SDK is bundled, not taken from the runtime: version-pinned by package-lock, tree-shaken and
    // minified (AWS's cold-start advice); with the credentials alias below the two-client floor is
    // 203 KB instead of 335 KB and loads ~25% faster (test/bench/bundles.bench.ts).
    bundleAwsSDK: true,
    externalModules: [],
    esbuildArgs: {
      '--alias': Object.entries(BUNDLE_SETTINGS.alias).map(([module, file]) => `${module}=${file}`),
      '--charset': BUNDLE_SETTINGS.charset,
    },
    metafile,
    logLevel: LogLevel.WARNING,
    forceDockerBundling: false,
  };
}

export interface GatewayFunctionsProps {
  /** Repository root: esbuild resolves node_modules and tsconfig from here. */
  readonly projectRoot: string;
  /** Directory with access-token.ts, query-card.ts, ... (each `export const handler`). */
  readonly handlersDir: string;
  readonly environment: Readonly<Record<string, string>>;
  /** BILL_FINAL_AFTER ("HH:mm", China time), set on the functions whose spec decidesBillFinality. */
  readonly billFinalAfter: string;
  readonly tokenTable: dynamodb.ITable;
  readonly ledgerTable: dynamodb.ITable;
  readonly exceptionsTable: dynamodb.ITable;
  readonly billBucket: s3.IBucket;
  readonly secret: secretsmanager.ISecret;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  /** The Order Settled bus: functions whose spec publishesEvents may PutEvents on it, and on nothing else. */
  readonly eventBus: events.IEventBus;
  readonly logRetentionDays: number;
  readonly bundleMetafile: boolean;
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.ISubnet[];
    readonly securityGroups: ec2.ISecurityGroup[];
  };
}

export class GatewayFunctions extends Construct {
  readonly byName: ReadonlyMap<HandlerName, NodejsFunction>;

  constructor(scope: Construct, id: string, props: GatewayFunctionsProps) {
    super(scope, id);
    const byName = new Map<HandlerName, NodejsFunction>();
    for (const spec of HANDLERS) byName.set(spec.name, this.createFunction(spec, props));
    if (!props.vpc) {
      Validations.of(this).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason: 'CT.LAMBDA.PR.3: the functions reach the platform and AWS over the internet unless the platform is on a campus network; -c vpcId=… -c subnetIds=… places them in that VPC.',
      });
    }
    this.byName = byName;
  }

  get(name: HandlerName): NodejsFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`no function for handler ${name}`);
    return fn;
  }

  private createFunction(spec: HandlerSpec, props: GatewayFunctionsProps): NodejsFunction {
    const entry = path.join(props.handlersDir, `${spec.name}.ts`);
    if (!existsSync(entry)) throw new Error(`handler file ${entry} is missing (each handler file exports \`handler\`)`);

    const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Least privilege for ${spec.name}: its log group, tables, bucket prefixes and secret`,
    });
    logGroup.grantWrite(role);
    if (props.vpc) {
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    }

    const fn = new NodejsFunction(this, spec.id, {
      entry,
      handler: 'handler',
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        ...(spec.decidesBillFinality ? { BILL_FINAL_AFTER: props.billFinalAfter } : {}),
        // A function's own Node flags join the common ones (source maps) rather than replace them.
        ...(spec.nodeOptions ? { NODE_OPTIONS: [props.environment.NODE_OPTIONS, spec.nodeOptions].filter(Boolean).join(' ') } : {}),
      },
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: props.vpc.subnets }, securityGroups: props.vpc.securityGroups }
        : {}),
      bundling: bundlingOptions(props.bundleMetafile),
    });

    this.grantData(spec, role, props);
    if (spec.readsSecret) {
      // GetSecretValue only (lib/secrets/sources.ts): grantRead would add DescribeSecret, which nothing calls.
      // A secret imported by name or partial ARN matches any of its 6-character ARN suffixes, as grantRead does.
      const secretArn = props.secret.secretFullArn ?? `${props.secret.secretArn}-??????`;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'SynjonesSecret', actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
      );
    }

    if (spec.scheduled) {
      // Scheduler invokes asynchronously: a function error is retried by Lambda (twice, 1 and 2 min
      // later: past the platform's 2-minute token rule) and then lands in the same DLQ as failed invocations.
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(spec.name === 'down-bill' ? 6 : 1),
        onFailure: sendOnlyQueueDestination(props.scheduleDeadLetterQueue),
      });
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (Resource "*" is the only form).',
    });
    if (props.vpc) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'AWSLambdaVPCAccessExecutionRole is the documented minimum for Lambda ENI management in a VPC (the ec2 network-interface actions need Resource "*").',
      });
    }
    return fn;
  }

  private grantData(spec: HandlerSpec, role: iam.IRole, props: GatewayFunctionsProps): void {
    if (spec.tokenTable === 'read-write') {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'TokenTableItems',
          actions: [...TOKEN_TABLE_ACTIONS],
          resources: [props.tokenTable.tableArn],
        }),
      );
    }
    if (spec.ledger.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'LedgerItems',
          actions: [...spec.ledger],
          resources: [props.ledgerTable.tableArn],
        }),
      );
    }
    if (spec.ledgerIndexes.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'LedgerIndexQueries',
          actions: ['dynamodb:Query'],
          resources: spec.ledgerIndexes.map((index) => `${props.ledgerTable.tableArn}/index/${index}`),
        }),
      );
    }
    if (spec.exceptions) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ExceptionItems', actions: [...spec.exceptions.actions], resources: [props.exceptionsTable.tableArn] }),
      );
      if (spec.exceptions.batchActions && spec.exceptions.batchActions.length > 0) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'ExceptionBatches', actions: [...spec.exceptions.batchActions], resources: [props.exceptionsTable.tableArn] }),
        );
      }
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ExceptionIndexQueries',
          actions: ['dynamodb:Query'],
          resources: spec.exceptions.indexes.map((index) => `${props.exceptionsTable.tableArn}/index/${index}`),
        }),
      );
    }
    if (spec.publishesEvents) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'OrderEvents', actions: ['events:PutEvents'], resources: [props.eventBus.eventBusArn] }),
      );
    }
    if (spec.bucketPrefixes.length > 0) {
      const bucketLogicalId = Stack.of(this).getLogicalId(props.billBucket.node.defaultChild as CfnElement);
      for (const prefix of spec.bucketPrefixes) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
          reason: `Object keys under ${prefix} are per bill day and type (lib/bills/archive.ts); the grant is limited to that prefix of the one bill bucket.`,
        });
      }
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'BillObjectWrites',
          // The raw bill and the report stream in as multipart uploads (lib/bills/s3-writer.ts): PutObject covers
          // create, part and complete; a dropped pass aborts its upload.
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: spec.bucketPrefixes.map((prefix) => props.billBucket.arnForObjects(`${prefix}*`)),
        }),
      );
      if (spec.bucketReads.length > 0) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'BillObjectReads',
            actions: ['s3:GetObject'],
            resources: spec.bucketReads.map((prefix) => props.billBucket.arnForObjects(`${prefix}*`)),
          }),
        );
      }
      const deletes = spec.bucketDeletes ?? [];
      if (deletes.length > 0) {
        for (const pattern of deletes) {
          Validations.of(role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${pattern}]`,
            reason: `Only the objects matching ${pattern} (one per download, lib/bills/keys.ts) of the one bill bucket; the bucket is versioned and s3:DeleteObjectVersion is not granted.`,
          });
        }
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'BillObjectDeletes',
            actions: ['s3:DeleteObject'],
            resources: deletes.map((pattern) => props.billBucket.arnForObjects(pattern)),
          }),
        );
      }
      // Without ListBucket a missing key answers 403 instead of 404 ("not stored yet" must be tellable).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'BillBucketList', actions: ['s3:ListBucket'], resources: [props.billBucket.bucketArn] }),
      );
    }
  }
}

/**
 * Failed asynchronous invocations go to the queue. Like SqsDestination, but the role gets only
 * sqs:SendMessage, all that Lambda uses to deliver a record (SqsDestination grants GetQueueAttributes
 * and GetQueueUrl as well).
 */
function sendOnlyQueueDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind: (_scope, fn) => {
      fn.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ScheduleDeadLetters', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      return { destination: queue.queueArn };
    },
  };
}
