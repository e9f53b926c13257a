// Logical IDs are what CloudFormation keys resources by: a changed one replaces the resource on deploy
// (a new, empty table or bucket). The fixture holds every logical ID of three syntheses; change it only on purpose.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { logicalIdWithoutLayers, StackLayer } from '../../infra/constructs/layer.js';
import { synthGateway } from './synth.js';

const FIXTURE = JSON.parse(readFileSync(new URL('./logical-ids.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

const CONTEXTS: Record<string, Record<string, unknown>> = {
  default: {},
  all: {
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
    apiGatewayCloudWatchRole: 'true',
  },
  other: {
    secretArn: 'arn:aws:secretsmanager:ap-east-1:123456789012:secret:onecard-AbCdEf',
    securityGroupId: 'sg-0123456789abcdef0',
    vpcId: 'vpc-1',
    subnetIds: 'subnet-1',
    webAclArn: 'arn:aws:wafv2:ap-east-1:123456789012:regional/webacl/x/1',
    domainName: 'a.example.edu.cn',
    certificateArn: 'arn:aws:acm:ap-east-1:123456789012:certificate/1',
  },
};

/** The API deployment's ID ends in a hash of the API's content, so that every API change redeploys. */
const stableId = (logicalId: string): string => logicalId.replace(/^(ApiDeploymentB17BE62D)[0-9a-f]{32}$/, '$1<content hash>');

/** The scopes below the stack, the element last (what GatewayStack.allocateLogicalId passes). */
const belowStack = (element: CfnResource): IConstruct[] => element.node.scopes.slice(element.node.scopes.indexOf(element.stack) + 1);

describe('logical IDs', () => {
  // An App without outdir makes a fresh cdk.outXXXX in the system temp directory; these never synthesize.
  const outdir = mkdtempSync(join(tmpdir(), 'onecard-logical-ids-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const app = (): App => new App({ outdir });

  for (const [name, context] of Object.entries(CONTEXTS)) {
    it(`are those of the fixture (${name} context)`, () => {
      const synth = synthGateway({ bundle: false, context });
      try {
        const resources = synth.json.Resources as Record<string, { Type: string }>;
        const actual = Object.fromEntries(Object.entries(resources).map(([logicalId, resource]) => [stableId(logicalId), resource.Type]));
        expect(actual).toEqual(FIXTURE[name]);
      } finally {
        rmSync(synth.assemblyDir, { recursive: true, force: true });
      }
    });
  }

  it('are left alone by the layer rule wherever no layer stands in the path (the same as CDK allocates)', () => {
    const stack = new Stack(app(), 'Plain');
    const group = new Construct(stack, 'Group');
    const scopes: [Construct, string][] = [[stack, 'Table'], [group, 'Resource'], [group, 'Default'], [new Construct(group, 'GroupChildResource'), 'Resource']];
    for (const [scope, id] of scopes) {
      const element = new CfnResource(scope, id, { type: 'Test::Thing' });
      expect(logicalIdWithoutLayers(belowStack(element))).toBe(stack.getLogicalId(element));
    }
  });

  it("drop a layer's id, but keep it before the layer's Default child", () => {
    const stack = new Stack(app(), 'Layered');
    const layer = new StackLayer(stack, 'Data');
    const inLayer = new CfnResource(new Construct(layer, 'TokenTable'), 'Resource', { type: 'Test::Thing' });
    const direct = new CfnResource(new Construct(stack, 'TokenTable'), 'Resource', { type: 'Test::Thing' });
    expect(logicalIdWithoutLayers(belowStack(inLayer))).toBe(stack.getLogicalId(direct));

    const api = new StackLayer(stack, 'Api');
    const standIn = new CfnResource(new Construct(api, 'Default'), 'Resource', { type: 'Test::Thing' });
    const before = new Stack(app(), 'Layered');
    const old = new CfnResource(new Construct(before, 'Api'), 'Resource', { type: 'Test::Thing' });
    expect(logicalIdWithoutLayers(belowStack(standIn))).toBe(before.getLogicalId(old));
  });
});
