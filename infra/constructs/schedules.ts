// EventBridge Scheduler in China time: token renewal, PENDING settlement and the daily bill, each an
// asynchronous invoke with a `{"kind": …}` payload through one role, with retries and the shared DLQ.
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { GatewaySettings } from '../config.js';
import type { GatewayFunctions } from './gateway-functions.js';
import { StackLayer } from './layer.js';

/** The settlement schedule: every 5 minutes (the PendingOlderThan15m alarm period), at minute 2 past each. */
export const SETTLE_PENDING_EVERY_MINUTES = 5;
const SETTLE_PENDING_OFFSET_MINUTE = 2;

type ScheduledFunction = 'access-token' | 'pay-query' | 'down-bill';

export interface GatewaySchedulesProps {
  readonly settings: Pick<GatewaySettings, 'tokenRenewalMinutes' | 'dailyBillAt'>;
  readonly functions: GatewayFunctions;
  readonly deadLetterQueue: sqs.IQueue;
}

export class GatewaySchedules extends StackLayer {
  constructor(scope: Construct, id: string, props: GatewaySchedulesProps) {
    super(scope, id);
    const { settings, functions, deadLetterQueue } = props;

    // One role for the three schedules: invoke these functions, send to the DLQ; nothing else.
    const role = new iam.Role(this, 'ScheduleInvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: invoke the token renewal, PENDING settlement and daily bill functions',
    });
    // Every schedule invokes one function asynchronously with a `{"kind": …}` payload that the function
    // recognises (isScheduledEvent), through the shared role, with retries and the shared DLQ.
    const invoke = (name: ScheduledFunction, kind: string, retryAttempts: number, maxEventAge: Duration) =>
      new InvokeUnqualified(functions.get(name), {
        input: scheduler.ScheduleTargetInput.fromObject({ kind }),
        role,
        deadLetterQueue,
        retryAttempts,
        maxEventAge,
      });

    // Token renewal every N minutes (default 10, context tokenRenewalMinutes). The platform issues at
    // most one token per 2 minutes per app_key, each new one kills the previous, and a token lives
    // expires_in (3600 s in the spec's sample, 7200 s in the sandbox). renewIfDue() (lib/token/manager.ts)
    // only calls the platform when the stored token is inside its proactive margin — min(30 min, half
    // the lifetime), at least the 5-minute request margin — so most runs are one DynamoDB read.
    // N = 10 puts ≥ 3 scheduled runs inside that 30-minute window (each with Lambda's async retries at
    // +1 and +2 min), so a token is renewed well before readers reach the 5-minute margin even if two
    // runs fail; N ≥ 3 keeps a run and its retries clear of the 2-minute rule; the renewal itself
    // happens about once per (lifetime − 30 min): ~2 token calls an hour for a 3600 s token.
    new scheduler.Schedule(this, 'TokenRenewalSchedule', {
      description: `Renew the Synjones access_token when due (every ${settings.tokenRenewalMinutes} min, China time)`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: `0/${settings.tokenRenewalMinutes}`,
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      // A renewal older than one period is superseded by the next run.
      target: invoke('access-token', 'token-renewal', 2, Duration.minutes(Math.max(settings.tokenRenewalMinutes, 1))),
    });

    // PENDING settlement every 5 minutes at minutes 2, 7, 12, …: off the renewal's minute 0 (with the
    // default 10-minute renewal they never coincide; when they do, a token replaced under a sweep only
    // costs the client's 40017 retry). The pay-query function resolves orders older than a minute with
    // pay.query and publishes PendingOlderThan15m, which PendingPaymentsAlarm watches (Maximum per 5 min);
    // a run older than one period is superseded by the next.
    new scheduler.Schedule(this, 'SettlePendingSchedule', {
      description: 'Resolve PENDING payments and refunds with pay.query and gauge those older than 15 minutes (every 5 min, China time)',
      schedule: scheduler.ScheduleExpression.cron({
        minute: `${SETTLE_PENDING_OFFSET_MINUTE}/${SETTLE_PENDING_EVERY_MINUTES}`,
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      target: invoke('pay-query', 'settle-pending', 2, Duration.minutes(SETTLE_PENDING_EVERY_MINUTES)),
    });

    // The previous China day's bill, early in the morning once the platform has closed the day.
    new scheduler.Schedule(this, 'DailyBillSchedule', {
      description: 'Download and reconcile the previous China day\'s bill',
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(settings.dailyBillAt.minute),
        hour: String(settings.dailyBillAt.hour),
        timeZone: TimeZone.ASIA_SHANGHAI,
      }),
      target: invoke('down-bill', 'daily-bill', 10, Duration.hours(6)),
    });
  }
}

/**
 * A LambdaInvoke whose role may invoke the function's unqualified ARN only, which is what the schedule
 * targets. LambdaInvoke grants `<arn>:*` (every version and alias) as well, which nothing here invokes.
 */
class InvokeUnqualified extends schedulerTargets.LambdaInvoke {
  constructor(
    private readonly invoked: lambda.IFunction,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(invoked, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.invoked.functionArn] }));
  }
}
