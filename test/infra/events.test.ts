// The Order Settled bus in the template: the bus and its output, the bus policy that lets each listed
// caller's account manage its own rules (and nothing for an account not listed), PutEvents granted on
// that bus only to the functions that settle orders, the outbox index, and the alarms of the retry path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { HANDLERS } from '../../infra/constructs/handlers.js';
import { principalAccounts, SUBSCRIBER_ACTIONS } from '../../infra/constructs/events.js';
import { synthGateway, type SynthResult } from './synth.js';

const CALLERS = {
  callers: [
    { name: 'canteen', principals: ['arn:aws:iam::111111111111:role/canteen'], routes: ['payments.create', 'payments.read'], mercacc: ['1001'] },
    { name: 'dorm', principals: ['arn:aws:iam::222222222222:role/dorm', 'arn:aws:iam::111111111111:user/ops'], routes: ['payments.read'], mercacc: ['1002'] },
  ],
};

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

let synth: SynthResult;
let bare: SynthResult;
beforeAll(() => {
  synth = synthGateway({ bundle: false, context: { callers: JSON.stringify(CALLERS) } });
  bare = synthGateway({ bundle: false });
});
afterAll(() => {
  for (const result of [synth, bare]) if (result) rmSync(result.assemblyDir, { recursive: true, force: true });
});

const resources = (result: SynthResult): Resources => result.json.Resources as Resources;
const busLogicalId = (result: SynthResult): string => {
  const ids = Object.entries(resources(result)).filter(([, r]) => r.Type === 'AWS::Events::EventBus').map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe('Order Settled bus', () => {
  it('the stack creates one bus and outputs its name', () => {
    const id = busLogicalId(synth);
    synth.template.hasOutput('EventBusName', { Value: { Ref: id } });
  });

  it('the bus policy lets exactly the listed callers\' accounts manage their own rules for the gateway\'s events', () => {
    const id = busLogicalId(synth);
    const policies = Object.values(resources(synth)).filter((r) => r.Type === 'AWS::Events::EventBusPolicy');
    expect(policies).toHaveLength(1);
    const props = policies[0]!.Properties;
    expect(props.EventBusName).toEqual({ Ref: id });
    const statement = props.Statement as Record<string, any>;
    // One principal per account (the dorm's user shares the canteen's account), each that account's root.
    const principals = [statement.Principal.AWS].flat().map((principal: unknown) => JSON.stringify(principal));
    expect(principals).toHaveLength(2);
    expect(principals[0]).toMatch(/111111111111:root/);
    expect(principals[1]).toMatch(/222222222222:root/);
    expect([statement.Action].flat().sort()).toEqual([...SUBSCRIBER_ACTIONS].sort());
    expect([statement.Action].flat()).not.toContain('events:PutEvents');
    expect(JSON.stringify(statement.Resource)).toContain(':rule/');
    expect(statement.Condition).toEqual({
      StringEqualsIfExists: { 'events:creatorAccount': '${aws:PrincipalAccount}', 'events:source': 'onecard.gateway' },
    });
  });

  it('without a callers list there is a bus but no bus policy', () => {
    busLogicalId(bare);
    expect(Object.values(resources(bare)).filter((r) => r.Type === 'AWS::Events::EventBusPolicy')).toEqual([]);
  });

  it('events:PutEvents on that bus only, for exactly the functions that settle orders', () => {
    const id = busLogicalId(synth);
    for (const spec of HANDLERS) {
      const policy = Object.entries(resources(synth)).find(([logicalId, r]) => r.Type === 'AWS::IAM::Policy' && logicalId.includes(`${spec.id}Role`));
      const statements = (policy?.[1].Properties.PolicyDocument.Statement ?? []) as Statement[];
      const publishing = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('events:')));
      if (spec.publishesEvents) {
        expect(publishing, spec.name).toEqual([{ Sid: 'OrderEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [id, 'Arn'] } }]);
      } else {
        expect(publishing, spec.name).toEqual([]);
      }
    }
    expect(HANDLERS.filter((spec) => spec.publishesEvents).map((spec) => spec.name).sort()).toEqual(['down-bill', 'pay', 'pay-query', 'refund']);
  });

  it('every function knows the bus; the settler may query the outbox index, which the ledger table has', () => {
    const id = busLogicalId(synth);
    synth.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ONECARD_EVENT_BUS_NAME: { Ref: id } }) },
    });
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'outbox', KeySchema: [{ AttributeName: 'outbox', KeyType: 'HASH' }, { AttributeName: 'updated_at', KeyType: 'RANGE' }] }),
      ]),
    });
    expect(HANDLERS.find((spec) => spec.name === 'pay-query')?.ledgerIndexes).toContain('outbox');
  });

  it('the retry path is alarmed: publish failures and events overdue', () => {
    for (const metricName of ['EventPublishFailures', 'EventsOverdue']) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metricName, Namespace: 'OnecardGateway' });
    }
  });

  it('principalAccounts: the account of each role or user ARN, once', () => {
    expect(principalAccounts(['arn:aws:iam::111111111111:role/a', 'arn:aws-cn:iam::333333333333:user/b', 'arn:aws:iam::111111111111:role/c'])).toEqual([
      '111111111111',
      '333333333333',
    ]);
  });
});
