// The Order Settled event bus (API.md "Events"): created by the stack, with a bus policy that lets each
// account of the callers list manage its own rules on it (rule → its queue, or → an API destination).
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ORDER_EVENTS } from '../../lib/observability/names.js';

/** What a subscribing account may do on the bus: its own rules and their targets, nothing else (no PutEvents). */
export const SUBSCRIBER_ACTIONS = [
  'events:PutRule',
  'events:DeleteRule',
  'events:DescribeRule',
  'events:EnableRule',
  'events:DisableRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:ListTargetsByRule',
] as const;


export interface GatewayEventsProps {
  /** Account ids allowed to put rules on the bus (from the callers' principals); empty: no bus policy. */
  readonly subscriberAccounts: readonly string[];
}

export class GatewayEvents extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: GatewayEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bus = new events.EventBus(this, 'OrderEventBus', {
      eventBusName: `${stack.stackName}-order-events`,
      description: 'onecard-gateway Order Settled events (API.md "Events")',
    });
    const accounts = [...new Set(props.subscriberAccounts)].sort();
    if (accounts.length === 0) return;
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CallersManageTheirOwnRules',
        principals: accounts.map((account) => new iam.AccountPrincipal(account)),
        actions: [...SUBSCRIBER_ACTIONS],
        resources: [`arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/${this.bus.eventBusName}/*`],
        // A rule belongs to the account that created it and matches only the gateway's events.
        conditions: {
          StringEqualsIfExists: { 'events:creatorAccount': '${aws:PrincipalAccount}', 'events:source': ORDER_EVENTS.source },
        },
      }),
    );
  }
}

/** The 12-digit account of each principal ARN (arn:aws:iam::<account>:role/... or :user/...). */
export function principalAccounts(principals: readonly string[]): string[] {
  return [...new Set(principals.flatMap((arn) => /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1] ?? []))].sort();
}
