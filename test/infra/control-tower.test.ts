// The Control Tower proactive controls (cfn-guard via @cdklabs/cdk-validator-cfnguard, as infra/app.ts runs
// them): no finding left open, and exactly these acknowledged, each with its reason where it arises.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthGateway } from './synth.js';

interface GuardReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string }[];
    readonly suppressedViolations?: readonly { readonly ruleName: string }[];
  }[];
}

/** Followed by account policy or the operator's switches, not by the gateway (reasons in infra/). */
const ORGANISATION_CHOICES = [
  'cloudwatch_log_group_encrypted_check', // CT.CLOUDWATCH.PR.3 customer KMS key
  'dynamodb_table_encrypted_kms_check', // CT.DYNAMODB.PR.2 customer KMS key
  's3_bucket_default_encryption_kms_check', // CT.S3.PR.10 customer KMS key
  's3_bucket_object_lock_enabled_check', // CT.S3.PR.9 WORM retention
  's3_event_notifications_enabled_check', // CT.S3.PR.4 no consumer
];
/** True of one resource by what it is (log bucket, DLQ) or a known false positive. */
const BY_DESIGN = [
  's3_bucket_logging_enabled_check', // CT.S3.PR.2 the access log bucket itself
  's3_bucket_versioning_enabled_check', // CT.S3.PR.11 the access log bucket itself
  'sqs_dlq_check', // CT.SQS.PR.1 the DLQ itself
  'lambda_function_public_access_prohibited_check', // CT.LAMBDA.PR.2 Fn::Join SourceArn false positive
];
/** Acknowledged only while the switch that satisfies them is off. */
const UNTIL_SWITCHED_ON = ['cloudwatch_alarm_action_check', 'lambda_inside_vpc_check'];

describe.each([
  ['default', {}, [...ORGANISATION_CHOICES, ...BY_DESIGN, ...UNTIL_SWITCHED_ON]],
  ['alarm e-mail and VPC', { alarmEmail: 'ops@example.edu.cn', vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-0123456789abcdef0' }, [...ORGANISATION_CHOICES, ...BY_DESIGN]],
])('Control Tower proactive controls (%s context)', (_name, context, acknowledged) => {
  it('leave no finding open and exactly the expected ones acknowledged', () => {
    // An unacknowledged finding throws here (ValidationFailed), as it stops `cdk synth`.
    const synth = synthGateway({ bundle: false, guard: true, context });
    try {
      const report = JSON.parse(readFileSync(path.join(synth.assemblyDir, 'validation-report.json'), 'utf8')) as GuardReport;
      const guard = report.pluginReports.find((plugin) => plugin.pluginName === 'cdk-validator-cfnguard');
      expect(guard?.violations).toEqual([]);
      const suppressed = new Set((guard?.suppressedViolations ?? []).map((violation) => violation.ruleName));
      expect([...suppressed].sort()).toEqual([...acknowledged].sort());
    } finally {
      rmSync(synth.assemblyDir, { recursive: true, force: true });
    }
  });
});
