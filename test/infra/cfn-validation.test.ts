// The template against the CloudFormation resource specification, as AWS would check it: aws-cdk-lib's
// built-in CloudFormation Validate plugin (bundled resource provider schemas, offline) runs at every synth,
// and cdk.json's @aws-cdk/core:validateAgainstDefaultRules makes any finding fail it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it, vi } from 'vitest';
import { CDK_JSON_CONTEXT, synthGateway } from './synth.js';

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string; readonly description: string }[];
  }[];
}

const PLUGIN = 'CloudFormation Validate';

/** "F3002 NoSuchProperty: …" for each finding of the CloudFormation Validate plugin in an assembly. */
function findings(assemblyDir: string): string[] {
  const file = path.join(assemblyDir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  return report.pluginReports
    .filter((plugin) => plugin.pluginName === PLUGIN)
    .flatMap((plugin) => plugin.violations.map((violation) => `${violation.ruleName} ${violation.description}`));
}

describe('CloudFormation resource specification', () => {
  it('is enforced: cdk.json turns validation findings into synth errors', () => {
    expect(CDK_JSON_CONTEXT['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  it('catches what CloudFormation would refuse: property names, required properties, types, allowed values, Ref and GetAtt targets', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'onecard-cfn-spec-'));
    try {
      // Warnings, not errors, so that the report lists every finding instead of stopping at the first.
      const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': false } });
      const stack = new Stack(app, 'Broken');
      const bucket = new s3.Bucket(stack, 'Bucket').node.defaultChild as s3.CfnBucket;
      bucket.addPropertyOverride('NoSuchProperty', 1);
      bucket.addPropertyOverride('VersioningConfiguration', 'yes');
      new CfnResource(stack, 'Table', {
        type: 'AWS::DynamoDB::Table',
        properties: {
          BillingMode: 'SOMETIMES',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          TableName: { Ref: 'NoSuchParameter' },
          SSESpecification: { SSEEnabled: { 'Fn::GetAtt': ['NoSuchResource', 'Arn'] } },
        },
      });
      new CfnResource(stack, 'Queue', {
        type: 'AWS::SQS::Queue',
        properties: { QueueName: { 'Fn::GetAtt': [stack.getLogicalId(bucket), 'NoSuchAttribute'] } },
      });
      // CDK prints the findings as it synthesizes: capture them (this template is broken on purpose).
      const printed: string[] = [];
      const capture = (...args: unknown[]): void => void printed.push(args.map(String).join(' '));
      const spies = (['log', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level).mockImplementation(capture));
      try {
        app.synth();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      expect(printed.join('\n')).toContain('Template validation found issues');
      const found = findings(outdir);
      const rule = (id: string, text: string): void => {
        expect(found, `${id} ${text}`).toContainEqual(expect.stringMatching(new RegExp(`^${id} .*${text}`)));
      };
      rule('F3002', "'NoSuchProperty' was unexpected"); // property name
      rule('F3003', "'ProvisionedThroughput' is a required property"); // required (BillingMode is not PAY_PER_REQUEST)
      rule('F3012', "'yes' is not of type 'object'"); // type
      rule('W3030', "'SOMETIMES' is not one of"); // allowed values
      rule('F1020', "'NoSuchParameter' is not one of"); // Ref target
      rule('F1020', "non-existent resource 'NoSuchResource'"); // GetAtt target
      rule('E9004', "'NoSuchAttribute' is not one of"); // GetAtt attribute
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  describe.each([
    ['default', {}],
    [
      'every switch',
      {
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
        apiGatewayCloudWatchRole: 'true',
      },
    ],
    [
      'imported secret ARN, security group, WAF',
      {
        secretArn: 'arn:aws:secretsmanager:ap-east-1:123456789012:secret:onecard-AbCdEf',
        securityGroupId: 'sg-0123456789abcdef0',
        vpcId: 'vpc-1',
        subnetIds: 'subnet-1',
        webAclArn: 'arn:aws:wafv2:ap-east-1:123456789012:regional/webacl/onecard/11111111-2222-3333-4444-555555555555',
      },
    ],
  ])('GatewayStack (%s context)', (_name, context) => {
    it('synthesizes with validation on and no finding at all', () => {
      // With the flag from cdk.json a finding would throw here; the report is read too, so a finding
      // acknowledged somewhere without a reason shows up as well.
      const synth = synthGateway({ bundle: false, cfnValidation: true, context });
      try {
        expect(findings(synth.assemblyDir)).toEqual([]);
      } finally {
        rmSync(synth.assemblyDir, { recursive: true, force: true });
      }
    });
  });
});
