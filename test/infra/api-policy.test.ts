// The REST API's resource policy from the callers list: per route, the principals of the callers given
// it; each listed principal (assumed roles by their role's ARN, any path) allowed exactly its routes and
// health, other accounts' included; any other principal denied everything. Judged by evaluating the
// synthesized policy as API Gateway does, and on its statements; without a list the API has no policy.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { MAX_CALLERS_JSON_BYTES } from '../../infra/callers.js';
import { readGatewaySettings } from '../../infra/config.js';
import { GatewayStack } from '../../infra/gateway-stack.js';
import { requestModels } from '../../lib/api/openapi.js';
import { callersPolicyJson, MAX_RESOURCE_POLICY_CHARS, methodArn, policyChars, principalArnPattern } from '../../infra/constructs/api-policy.js';
import { ROUTES } from '../../lib/api/routes.js';
import { parseCallersList } from '../../lib/callers/schema.js';
import { CDK_JSON_CONTEXT, describeViolations, synthGateway, type SynthResult } from './synth.js';

const API_ACCOUNT = '111122223333';
const CALLERS = {
  callers: [
    { name: 'canteen', principals: [`arn:aws:iam::${API_ACCOUNT}:role/apps/canteen-app`], routes: ['cards.query', 'payments.create', 'payments.read', 'payments.query', 'refunds.create'], mercacc: ['1001'] },
    { name: 'library', principals: ['arn:aws:iam::444455556666:role/library', `arn:aws:iam::${API_ACCOUNT}:user/librarian`], routes: ['payments.create', 'payments.read'], mercacc: ['2001'] },
    { name: 'finance', principals: ['arn:aws:iam::777788889999:role/finance'], routes: ['payments.read', 'bills.read'], mercacc: '*' },
  ],
};
const ENTRIES = parseCallersList(CALLERS, 'test');

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS: unknown };
  Action: string;
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

let synth: SynthResult;
let bare: SynthResult;
const dir = mkdtempSync(path.join(tmpdir(), 'onecard-api-policy-'));
beforeAll(() => {
  synth = synthGateway({ bundle: false, guard: true, cfnValidation: true, context: { callers: JSON.stringify(CALLERS) } });
  bare = synthGateway({ bundle: false });
});
afterAll(() => {
  for (const result of [synth, bare]) if (result) rmSync(result.assemblyDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const restApi = (result: SynthResult): { Policy?: { Statement: Statement[] } } => {
  const apis = Object.values(result.json.Resources as Record<string, { Type: string; Properties: Record<string, any> }>).filter((r) => r.Type === 'AWS::ApiGateway::RestApi');
  expect(apis).toHaveLength(1);
  return apis[0]!.Properties;
};
const statements = (): Statement[] => restApi(synth).Policy?.Statement ?? [];

/** IAM's wildcard match: `*` any run of characters, `?` one (ArnLike compares the whole ARN this way here). */
const like = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('')}$`).test(value);
const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());
/** The stage ARN's short form for a request: the route's path with each parameter filled in. */
const requestArn = (method: string, resource: string): string => methodArn({ method: method as 'GET', resource: resource.replace(/\{\w+\}/g, 'x1') }, 'prod');

const conditionHolds = (statement: Statement, principalArn: string): boolean => {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const patterns = list(keys['aws:PrincipalArn']);
    const matches = patterns.some((pattern) => like(pattern, principalArn));
    if (operator === 'ArnLike' && !matches) return false;
    if (operator === 'ArnNotLike' && matches) return false;
    if (operator !== 'ArnLike' && operator !== 'ArnNotLike') throw new Error(`unexpected condition ${operator}`);
  }
  return true;
};
const principalAccounts = (statement: Statement): string[] =>
  statement.Principal === '*' ? ['*'] : [statement.Principal.AWS].flat().map((p) => /:iam::(\d{12}):root/.exec(JSON.stringify(p))?.[1] ?? '?');

/**
 * API Gateway's decision for an IAM-authenticated request whose own IAM policy allows execute-api:Invoke
 * on everything: an explicit Deny refuses; a principal of the API's account needs nothing more; one of
 * another account needs an Allow of the resource policy naming its account.
 */
function decide(principalArn: string, method: string, resource: string): 'allow' | 'deny' {
  const arn = requestArn(method, resource);
  const applies = (statement: Statement, account: string) =>
    list(statement.Resource).some((pattern) => like(pattern, arn)) &&
    conditionHolds(statement, principalArn) &&
    (principalAccounts(statement).includes('*') || principalAccounts(statement).includes(account));
  const account = principalArn.split(':')[4] ?? '';
  if (statements().some((statement) => statement.Effect === 'Deny' && applies(statement, account))) return 'deny';
  if (account === API_ACCOUNT) return 'allow';
  return statements().some((statement) => statement.Effect === 'Allow' && applies(statement, account)) ? 'allow' : 'deny';
}

describe('the API resource policy (callers listed)', () => {
  const principalsOf = CALLERS.callers.flatMap((caller) => caller.principals.map((principal) => [caller.name, principal, caller.routes] as const));

  it.each(principalsOf)('%s (%s) may invoke exactly its routes and health, nothing else', (_name, principal, routes) => {
    for (const route of ROUTES) {
      const expected = route.access === null || routes.includes(route.access) ? 'allow' : 'deny';
      expect(decide(principal, route.method, route.resource), `${principal} ${route.routeKey}`).toBe(expected);
    }
  });

  it('a principal not listed is denied every route even with IAM allowing everything: same account, same name elsewhere, a name that ends like a listed one', () => {
    for (const stranger of [
      `arn:aws:iam::${API_ACCOUNT}:role/admin`,
      `arn:aws:iam::${API_ACCOUNT}:role/apps/xcanteen-app`,
      `arn:aws:iam::${API_ACCOUNT}:user/library`,
      'arn:aws:iam::999988887777:role/apps/canteen-app',
      'arn:aws:iam::444455556666:role/finance',
    ]) {
      for (const route of ROUTES) expect(decide(stranger, route.method, route.resource), `${stranger} ${route.routeKey}`).toBe('deny');
    }
  });

  it('an assumed role is judged by its role ARN (aws:PrincipalArn) under any path, as the functions judge its session', () => {
    expect(principalArnPattern('arn:aws:iam::111122223333:role/apps/canteen-app')).toBe('arn:aws:iam::111122223333:role*/canteen-app');
    for (const asRequested of ['arn:aws:iam::111122223333:role/canteen-app', 'arn:aws:iam::111122223333:role/other/path/canteen-app']) {
      expect(decide(asRequested, 'POST', '/v1/payments')).toBe('allow');
      expect(decide(asRequested, 'GET', '/v1/bills/{bill_date}')).toBe('deny');
    }
  });

  it('one Deny per route name on the method ARNs of its routes, for all but the principals of the callers given it; the Allow names the accounts', () => {
    const byRouteName = new Map<string, string[]>();
    for (const route of ROUTES) byRouteName.set(route.access ?? 'health', [...(byRouteName.get(route.access ?? 'health') ?? []), methodArn(route, 'prod')]);
    const denies = statements().filter((statement) => statement.Effect === 'Deny');
    expect(denies).toHaveLength(byRouteName.size);
    for (const [routeName, arns] of byRouteName) {
      const sid = `Deny${routeName.split('.').map((part) => part[0]!.toUpperCase() + part.slice(1)).join('')}`;
      const statement = denies.find((candidate) => candidate.Sid === sid);
      expect(statement, sid).toBeDefined();
      expect(list(statement!.Resource)).toEqual(arns);
      expect(statement!.Principal).toBe('*');
      const given = CALLERS.callers.filter((caller) => routeName === 'health' || caller.routes.includes(routeName));
      expect(list(statement!.Condition?.ArnNotLike?.['aws:PrincipalArn'])).toEqual(given.flatMap((caller) => caller.principals.map(principalArnPattern)));
    }
    const allows = statements().filter((statement) => statement.Effect === 'Allow');
    expect(allows.map((statement) => statement.Sid)).toEqual(['AllowListedCallers']);
    expect(principalAccounts(allows[0]!)).toEqual([API_ACCOUNT, '444455556666', '777788889999']);
    // Without the Allow, the other accounts' callers would be refused: it is what lets them in.
    expect(decide('arn:aws:iam::777788889999:role/finance', 'GET', '/v1/bills/{bill_date}')).toBe('allow');
  });

  it('no route of one name is caught by another name\'s Deny', () => {
    const denies = statements().filter((statement) => statement.Effect === 'Deny');
    for (const route of ROUTES) {
      const arn = requestArn(route.method, route.resource);
      const catching = denies.filter((statement) => list(statement.Resource).some((pattern) => like(pattern, arn))).map((statement) => statement.Sid);
      expect(catching, route.routeKey).toHaveLength(1);
    }
  });

  it('a resource-policy refusal answers 403 FORBIDDEN_ROUTE in the API error shape', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"FORBIDDEN_ROUTE"') },
    });
  });

  it('is clean for cdk-nag, CloudFormation validation and the Control Tower controls', () => {
    expect(describeViolations(synth.nag)).toEqual([]);
    const report = JSON.parse(readFileSync(path.join(synth.assemblyDir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
  });

  it('a list whose policy would exceed API Gateway\'s quota fails synth (while it fits the functions), naming the quota', () => {
    // Principals cost the policy more than the environment: each is matched in the Allow and in every Deny of its routes.
    const many = Array.from({ length: 3 }, (_, index) => ({
      ...CALLERS.callers[0]!,
      name: `app-${index}`,
      principals: Array.from({ length: 10 }, (_, n) => `arn:aws:iam::${API_ACCOUNT}:role/app-${index}-${n}`),
    }));
    const entries = parseCallersList({ callers: many }, 'test');
    expect(policyChars(entries, 'prod')).toBeGreaterThan(MAX_RESOURCE_POLICY_CHARS);
    const app = new App({ outdir: dir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], callers: JSON.stringify({ callers: many }) } });
    expect(() => new GatewayStack(app, 'TooMany', { settings: readGatewaySettings(app.node), requestModels: requestModels() })).toThrow(
      `API Gateway allows ${MAX_RESOURCE_POLICY_CHARS}`,
    );
    expect(policyChars(ENTRIES, 'prod')).toBeLessThan(MAX_RESOURCE_POLICY_CHARS);
    // The estimate errs long: above the policy as written (execute-api:/ expanded, the longest partition).
    expect(JSON.stringify(callersPolicyJson(ENTRIES, 'prod', 'aws')).length).toBeLessThan(policyChars(ENTRIES, 'prod'));
  });
});

describe('how many callers fit (the figures README "Callers" and infra/callers.ts give)', () => {
  /** `n` callers the size of API.md's example: one principal, five routes, two merchant accounts, a max_tranamt. */
  const exampleList = (n: number) => ({
    callers: Array.from({ length: n }, (_, i) => ({
      name: `canteen-${i}`,
      principals: [`arn:aws:iam::1111222233${String(i).padStart(2, '0')}:role/canteen-app`],
      routes: ['cards.query', 'payments.create', 'payments.read', 'payments.query', 'refunds.create'],
      mercacc: ['1001', '1002'],
      max_tranamt: '500.00',
    })),
  });

  // The reconciliation routes (issue 11) put each such caller in two more Denies: 16 → 15.
  it('13 fit the functions\' environment and 14 do not; 15 fit the resource policy and 16 do not', () => {
    const envBytes = (n: number) => Buffer.byteLength(JSON.stringify(exampleList(n)));
    expect([envBytes(13) <= MAX_CALLERS_JSON_BYTES, envBytes(14) <= MAX_CALLERS_JSON_BYTES]).toEqual([true, false]);
    const chars = (n: number) => policyChars(parseCallersList(exampleList(n), 'test'), 'prod');
    expect([chars(15) <= MAX_RESOURCE_POLICY_CHARS, chars(16) <= MAX_RESOURCE_POLICY_CHARS]).toEqual([true, false]);
  });
});

describe('without a callers list', () => {
  it('the API has no resource policy and no ACCESS_DENIED response of its own (whoever IAM lets in)', () => {
    expect(restApi(bare).Policy).toBeUndefined();
    const responses = Object.values(bare.json.Resources as Record<string, { Type: string; Properties: { ResponseType?: string } }>)
      .filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse')
      .map((r) => r.Properties.ResponseType);
    expect(responses).not.toContain('ACCESS_DENIED');
  });
});
