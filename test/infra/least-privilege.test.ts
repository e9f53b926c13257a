// IAM from the template review (issue 13): each role holds only the actions its code calls, on exactly
// the resources it calls them on: no DescribeSecret, no raw-bill reads, no SQS Get*, no `:*` invoke grants.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../infra/constructs/handlers.js';
import { synthGateway, type SynthResult } from './synth.js';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const actionsOf = (statement: Statement): string[] => [statement.Action].flat();
const resourcesOf = (statement: Statement): unknown[] => [statement.Resource].flat();

function policyStatements(json: Record<string, unknown>, roleLogicalIdPart: string): Statement[] {
  const policies = Object.entries(json.Resources as Resources).filter(
    ([logicalId, resource]) => resource.Type === 'AWS::IAM::Policy' && logicalId.includes(roleLogicalIdPart),
  );
  expect(policies, `policy of ${roleLogicalIdPart}`).toHaveLength(1);
  return (policies[0]![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

function allStatements(json: Record<string, unknown>): Statement[] {
  return Object.values(json.Resources as Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe.each([
  ['created secret', {}],
  ['secret imported by name', { secretName: 'onecard/synjones' }],
  ['secret imported by partial ARN', { secretArn: 'arn:aws:secretsmanager:ap-east-1:123456789012:secret:onecard' }],
])('least privilege (%s)', (_name, context) => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthGateway({ bundle: false, context });
  });
  afterAll(() => rmSync(synth.assemblyDir, { recursive: true, force: true }));

  it('reads the secret with GetSecretValue only, on the one secret', () => {
    const statements = allStatements(synth.json);
    expect(statements.flatMap(actionsOf)).not.toContain('secretsmanager:DescribeSecret');
    for (const spec of HANDLERS.filter((handler) => handler.readsSecret)) {
      const secret = policyStatements(synth.json, `${spec.id}Role`).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
      );
      expect(secret).toHaveLength(1);
      expect(actionsOf(secret[0]!)).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesOf(secret[0]!)).toHaveLength(1);
    }
    if ('secretArn' in context || 'secretName' in context) {
      // Imported without the random suffix: any suffix of that one name, nothing wider.
      const resource = JSON.stringify(resourcesOf(policyStatements(synth.json, 'PayFunctionRole').find((s) => s.Sid === 'SynjonesSecret')!));
      expect(resource).toMatch(/secret:onecard(\/synjones)?-\?\?\?\?\?\?/);
    }
  });

  it('lets down-bill write raw bills and reports but read back reports only', () => {
    const statements = policyStatements(synth.json, 'DownBillFunctionRole');
    const objectGrants = (action: string): string =>
      JSON.stringify(statements.filter((statement) => actionsOf(statement).includes(action)).flatMap(resourcesOf));
    expect(objectGrants('s3:GetObject')).toContain('/reports/*');
    expect(objectGrants('s3:GetObject')).not.toContain('/raw/*');
    expect(objectGrants('s3:PutObject')).toContain('/raw/*');
    expect(objectGrants('s3:PutObject')).toContain('/reports/*');
    // A pass dropped mid-upload (a bill read again as GBK) aborts its multipart upload, under the same prefixes only.
    expect(objectGrants('s3:AbortMultipartUpload')).toBe(objectGrants('s3:PutObject'));
    for (const spec of HANDLERS.filter((handler) => handler.name !== 'down-bill')) {
      expect(policyStatements(synth.json, `${spec.id}Role`).flatMap(actionsOf).some((action) => action.startsWith('s3:'))).toBe(false);
    }
  });

  it('sends dead letters with sqs:SendMessage alone, and only from the scheduled functions', () => {
    const statements = allStatements(synth.json);
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('sqs:'))).not.toContainEqual(expect.stringMatching(/^sqs:Get/));
    for (const spec of HANDLERS) {
      const sqs = policyStatements(synth.json, `${spec.id}Role`).filter((statement) => actionsOf(statement).some((a) => a.startsWith('sqs:')));
      expect(sqs.flatMap(actionsOf)).toEqual(spec.scheduled ? ['sqs:SendMessage'] : []);
      if (spec.scheduled) expect(JSON.stringify(sqs[0]?.Resource)).toMatch(/ScheduleDeadLetterQueue/);
    }
  });

  it('lets the scheduler role invoke the three unqualified function ARNs, no versions or aliases', () => {
    const statements = policyStatements(synth.json, 'ScheduleInvokeRole');
    const invoke = statements.filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const targets = invoke.flatMap(resourcesOf);
    expect(targets).toHaveLength(3);
    for (const target of targets) expect(target).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Functions\w+Function[0-9A-F]{8}$/), 'Arn'] });
    expect(JSON.stringify(targets)).not.toContain(':*');
    const others = statements.filter((statement) => !invoke.includes(statement));
    expect(others.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
  });
});
