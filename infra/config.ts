// Deployment settings read once from CDK context (`-c name=value` or cdk.json "context"), validated,
// and handed to GatewayStack as one typed object. Every switch is optional: a bare `cdk synth` works offline.
import type { Node } from 'constructs';
import { BILL_FINAL_AFTER_FORMAT, DEFAULT_BILL_FINAL_AFTER, parseFinalAfter } from '../lib/bill-final-after.js';
import { readCallersContext, type DeployedCallers } from './callers.js';

/** Where the functions run when the platform sits on a campus intranet (VPN) or allow-lists callers. */
export interface VpcPlacement {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Without it CDK creates a security group allowing all egress and no ingress. */
  readonly securityGroupId?: string;
}

/** Serves the API at https://<domainName>/v1/... instead of the execute-api URL. */
export interface CustomDomain {
  readonly domainName: string;
  /** ACM certificate in the stack's region covering domainName. */
  readonly certificateArn: string;
  /** With both, an alias A record is created in that Route 53 zone (no lookup). */
  readonly hostedZoneId?: string;
  readonly hostedZoneName?: string;
}

export interface GatewaySettings {
  /** The platform's gateway.action URL; without it a CloudFormation parameter asks for it at deploy. */
  readonly apiUrl?: string;
  readonly billUrl?: string;
  /** Import an existing secret by name or ARN; neither → an empty secret is created, filled after deploy. */
  readonly secretName?: string;
  readonly secretArn?: string;
  /** Token renewal schedule period in minutes (see infra/constructs/schedules.ts for the reasoning). */
  readonly tokenRenewalMinutes: number;
  /** Daily bill download time, China time, "HH:MM": always after billFinalAfter, so the run's bill is final. */
  readonly dailyBillAt: { readonly hour: number; readonly minute: number };
  /** BILL_FINAL_AFTER of the bill function, China time "HH:mm" (API.md "Bills", Finality; default 03:00). */
  readonly billFinalAfter: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly stageName: string;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly logRetentionDays: number;
  /** Raw bills and reconciliation reports are kept this long (≥ 5 years; default 10, the bank-statement term). */
  readonly billRetentionDays: number;
  readonly alarmEmail?: string;
  /** WAFv2 web ACL (REGIONAL) to associate with the API stage. */
  readonly webAclArn?: string;
  readonly vpc?: VpcPlacement;
  readonly customDomain?: CustomDomain;
  /** Writes esbuild's metafile next to each bundle (the bench and tests read it to see what got bundled). */
  readonly bundleMetafile: boolean;
  /**
   * Create the API Gateway CloudWatch Logs role and set it on the account. That setting is one per account
   * and region, shared by every REST API there: off by default, so the stack never takes it over unasked.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  /** The callers (context `callers` or `callersFile`); absent: one caller `default` with every route. */
  readonly callers?: DeployedCallers;
}

/** The values CloudWatch Logs accepts for a log group's retention. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function retentionDays(days: number): number {
  if (!LOG_RETENTION_DAYS.includes(days)) {
    throw new ContextError(`context logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  return days;
}

const DIVISORS_OF_60 = [3, 4, 5, 6, 10, 12, 15, 20, 30];

export class ContextError extends Error {
  override readonly name = 'ContextError';
}

/** Reads and validates every context switch; throws ContextError naming the key. */
export function readGatewaySettings(node: Node): GatewaySettings {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ContextError(`context ${key} must be a string`);
    }
    return String(value).trim();
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ContextError(`context ${key} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const list = (key: string): string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
    return items.map((item) => item.trim()).filter((item) => item.length > 0);
  };

  const apiUrl = text('apiUrl');
  const billUrl = text('billUrl');
  for (const [key, url] of [['apiUrl', apiUrl], ['billUrl', billUrl]] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) throw new ContextError(`context ${key} must be an http(s) URL`);
  }

  const secretName = text('secretName');
  const secretArn = text('secretArn');
  if (secretName && secretArn) throw new ContextError('give context secretName or secretArn, not both');
  if (secretArn && !secretArn.startsWith('arn:')) throw new ContextError('context secretArn must be an ARN');

  const tokenRenewalMinutes = integer('tokenRenewalMinutes', 10, 3, 30);
  if (!DIVISORS_OF_60.includes(tokenRenewalMinutes)) {
    throw new ContextError(`context tokenRenewalMinutes must divide 60 (one of ${DIVISORS_OF_60.join(', ')})`);
  }

  const billAt = text('dailyBillAt') ?? '03:30';
  const billMatch = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(billAt);
  if (!billMatch) throw new ContextError('context dailyBillAt must be HH:MM (China time)');
  const dailyBillAt = { hour: Number(billMatch[1]), minute: Number(billMatch[2]) };
  const billFinalAfter = text('billFinalAfter') ?? DEFAULT_BILL_FINAL_AFTER;
  checkDailyRunIsFinal(billAt, dailyBillAt.hour * 60 + dailyBillAt.minute, billFinalAfter);

  const logLevel = (text('logLevel') ?? 'INFO').toUpperCase();
  if (logLevel !== 'DEBUG' && logLevel !== 'INFO' && logLevel !== 'WARN' && logLevel !== 'ERROR') {
    throw new ContextError('context logLevel must be DEBUG, INFO, WARN or ERROR');
  }

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) throw new ContextError('context alarmEmail must be an e-mail address');

  const vpcId = text('vpcId');
  const subnetIds = list('subnetIds');
  const securityGroupId = text('securityGroupId');
  let vpc: VpcPlacement | undefined;
  if (vpcId || subnetIds || securityGroupId) {
    if (!vpcId || !subnetIds || subnetIds.length === 0) {
      throw new ContextError('VPC placement needs context vpcId and subnetIds (comma-separated); securityGroupId is optional');
    }
    vpc = { vpcId, subnetIds, ...(securityGroupId ? { securityGroupId } : {}) };
  }

  const domainName = text('domainName');
  const certificateArn = text('certificateArn');
  const hostedZoneId = text('hostedZoneId');
  const hostedZoneName = text('hostedZoneName');
  let customDomain: CustomDomain | undefined;
  if (domainName || certificateArn) {
    if (!domainName || !certificateArn) throw new ContextError('a custom domain needs context domainName and certificateArn');
    if (Boolean(hostedZoneId) !== Boolean(hostedZoneName)) {
      throw new ContextError('give context hostedZoneId and hostedZoneName together (or neither)');
    }
    customDomain = { domainName, certificateArn, ...(hostedZoneId && hostedZoneName ? { hostedZoneId, hostedZoneName } : {}) };
  }

  const callers = readCallersContext(node);

  return {
    ...(apiUrl ? { apiUrl } : {}),
    ...(billUrl ? { billUrl } : {}),
    ...(secretName ? { secretName } : {}),
    ...(secretArn ? { secretArn } : {}),
    tokenRenewalMinutes,
    dailyBillAt,
    billFinalAfter,
    throttleRateLimit: integer('throttleRateLimit', 50, 1, 10_000),
    throttleBurstLimit: integer('throttleBurstLimit', 100, 1, 5_000),
    stageName: text('stageName') ?? 'prod',
    logLevel,
    logRetentionDays: retentionDays(integer('logRetentionDays', 365, 1, 3653)),
    billRetentionDays: integer('billRetentionDays', 3650, 1826, 36_500),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(text('webAclArn') ? { webAclArn: text('webAclArn') as string } : {}),
    ...(vpc ? { vpc } : {}),
    ...(customDomain ? { customDomain } : {}),
    bundleMetafile: text('bundleMetafile') === 'true',
    apiGatewayCloudWatchRole: text('apiGatewayCloudWatchRole') === 'true',
    ...(callers ? { callers } : {}),
  };
}

/**
 * The daily run downloads the previous China day's bill, which is final only when downloaded at or after
 * BILL_FINAL_AFTER (API.md "Bills", Finality), and only a final bill's reconciliation opens exceptions. A run
 * scheduled at or before it would reconcile a bill that is not final every night and never open one: refused.
 * At BILL_FINAL_AFTER exactly is refused too, as a download requested a moment early is not final.
 * @throws ContextError naming both values.
 */
function checkDailyRunIsFinal(billAt: string, billAtMinutes: number, billFinalAfter: string): void {
  const finalAfterMinutes = parseFinalAfter(billFinalAfter);
  if (finalAfterMinutes === undefined) {
    throw new ContextError(`context billFinalAfter must be ${BILL_FINAL_AFTER_FORMAT}, not ${billFinalAfter}`);
  }
  if (billAtMinutes <= finalAfterMinutes) {
    throw new ContextError(
      `context dailyBillAt ${billAt} is not after billFinalAfter ${billFinalAfter} (China time): the daily run would ` +
        'download a bill that is not final yet, every night, and open no reconciliation exceptions; schedule dailyBillAt ' +
        'after billFinalAfter (or set billFinalAfter earlier, once the platform closes its day by then)',
    );
  }
}
