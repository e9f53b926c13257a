// The REST API's resource policy from the callers list (API.md "Callers"): each listed principal may invoke
// exactly its routes (and health), in this account or another, and a principal not listed may invoke nothing.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ROUTES, type RouteSpec } from '../../lib/api/routes.js';
import type { CallerEntry, CallerRoute } from '../../lib/callers/schema.js';

/**
 * API Gateway's quota on the length of a REST API's resource policy, in characters (adjustable on
 * request). Synth refuses a list whose policy would not fit, rather than a deploy failing.
 */
export const MAX_RESOURCE_POLICY_CHARS = 8192;

/** A statement as IAM JSON (the document below is written as data, so its size can be told at synth). */
interface StatementJson {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: '*' | { readonly AWS: string | readonly string[] };
  readonly Action: 'execute-api:Invoke';
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/**
 * How API Gateway decides with AWS_IAM auth and a resource policy (developer guide, "How API Gateway
 * resource policies affect authorization workflow"):
 * - an explicit Deny in either policy refuses the request;
 * - a principal of the API's own account is let in when its IAM policy OR the resource policy allows;
 * - a principal of another account only when its IAM policy AND the resource policy allow.
 * So an Allow is what lets other accounts' callers in at all, and no Allow can keep a same-account
 * principal from what its own IAM policy allows: only a Deny can. The document therefore is
 * - `AllowListedCallers`: the accounts of the listed principals, for those principals only (condition);
 * - one Deny per route name (`DenyPaymentsCreate`, …, and `DenyHealth`) on the method ARNs of its routes,
 *   for every principal that is not one of the callers given that route. A principal not listed is in
 *   none of them, so every route is denied to it whatever its IAM policy says; a listed one is denied
 *   every route but its own (and health, which every listed caller may probe).
 *
 * Principals are matched by the condition key aws:PrincipalArn, never named as policy principals: for
 * an assumed-role session (what an application runs as) it is the ARN of the role, not of the session,
 * and a role named as a principal must exist when the policy is saved (and breaks if it is re-created).
 * aws:PrincipalArn carries the role's path; IAM names are unique in an account whatever the path and the
 * functions match on account and name, so a principal is matched as `…:role*\/<name>` (any path or
 * none): the policy and the functions agree on who is who.
 */
export function callersPolicyJson(entries: readonly CallerEntry[], stageName: string, partition: string): { Version: string; Statement: StatementJson[] } {
  const patternsOf = (callers: readonly CallerEntry[]): string[] => [...new Set(callers.flatMap((entry) => entry.principals.map(principalArnPattern)))];
  const everyone = patternsOf(entries);
  const accounts = [...new Set(entries.flatMap((entry) => entry.principals.map((arn) => arn.split(':')[4] ?? '')))].sort();
  const statements: StatementJson[] = [
    {
      Sid: 'AllowListedCallers',
      Effect: 'Allow',
      Principal: { AWS: accounts.map((account) => `arn:${partition}:iam::${account}:root`) },
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
      Condition: { ArnLike: { 'aws:PrincipalArn': everyone } },
    },
  ];
  const groups = new Map<CallerRoute | null, RouteSpec[]>();
  for (const route of ROUTES) groups.set(route.access, [...(groups.get(route.access) ?? []), route]);
  for (const [access, routes] of groups) {
    const allowed = access === null ? everyone : patternsOf(entries.filter((entry) => entry.routes.includes(access)));
    statements.push({
      Sid: `Deny${sidOf(access ?? 'health')}`,
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: routes.map((route) => methodArn(route, stageName)),
      // A negated operator is true when the key matches none of the values (or is absent). A route no
      // caller is given is denied to everyone.
      ...(allowed.length > 0 ? { Condition: { ArnNotLike: { 'aws:PrincipalArn': allowed } } } : {}),
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The resource policy of the REST API (see callersPolicyJson). @throws Error when it would exceed the quota. */
export function callersResourcePolicy(entries: readonly CallerEntry[], stageName: string): iam.PolicyDocument {
  const chars = policyChars(entries, stageName);
  if (chars > MAX_RESOURCE_POLICY_CHARS) {
    throw new Error(
      `the callers list makes a resource policy of about ${chars} characters; API Gateway allows ${MAX_RESOURCE_POLICY_CHARS} ` +
        '(ask AWS for more: quota "Length, in characters, of API Gateway resource policy", or list fewer principals)',
    );
  }
  return iam.PolicyDocument.fromJson(callersPolicyJson(entries, stageName, Aws.PARTITION));
}

/**
 * The policy's length as API Gateway stores it: the longest partition, and each `execute-api:/` expanded
 * to a full API ARN (region, account and API id), so the estimate errs on the long side.
 */
export function policyChars(entries: readonly CallerEntry[], stageName: string): number {
  const text = JSON.stringify(callersPolicyJson(entries, stageName, 'aws-us-gov'));
  return text.replaceAll('execute-api:/', 'arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdefghij/').length;
}

/**
 * The method ARN of a route in the resource policy's short form (API Gateway expands `execute-api:/…` to
 * this API's ARN when it saves the policy; the full ARN would make the API depend on itself):
 * `execute-api:/<stage>/<METHOD>/<path>`, a path parameter as `*`.
 */
export function methodArn(route: Pick<RouteSpec, 'method' | 'resource'>, stageName: string): string {
  return `execute-api:/${stageName}/${route.method}${route.resource.replace(/\{\w+\}/g, '*')}`;
}

/** The aws:PrincipalArn pattern of a listed role or user: its name under any path (`role*\/name`). */
export function principalArnPattern(principal: string): string {
  const match = /^(arn:aws[a-z-]*:iam::[0-9]{12}:(?:role|user))\/(?:.*\/)?([^/]+)$/.exec(principal);
  if (!match) throw new Error(`not an IAM role or user ARN: ${principal}`);
  return `${match[1]}*/${match[2]}`;
}

/** `payments.create` → `PaymentsCreate`. */
function sidOf(name: string): string {
  return name
    .split(/[^a-z0-9]+/i)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
