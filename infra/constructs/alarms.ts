// The alarms: function errors and throttles, PENDING orders older than 15 minutes, reconciliation mismatches, open
// and not kept reconciliation exceptions, settlement sources describing another order, dead letters and API 5xx:
// each one row of the same shape (AlarmSpec) made by one helper, optionally to e-mail.
import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CUSTOM_METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lib/observability/names.js';
import type { GatewaySettings } from '../config.js';
import type { GatewayFunctions } from './gateway-functions.js';
import { StackLayer } from './layer.js';

const FIVE_MINUTES = Duration.minutes(5);

/** One alarm: a metric at a statistic and period, breaching at or above `threshold` for `evaluationPeriods`. */
interface AlarmSpec {
  /** Construct id (the logical ID's stem: test/infra/logical-ids.json). */
  readonly id: string;
  /** The metric with the statistic and period given: a resource's own (fn.metricErrors, …) or custom(name). */
  readonly metric: (options: { readonly period: Duration; readonly statistic: string }) => cloudwatch.Metric;
  readonly statistic: string;
  /** Default five minutes. */
  readonly period?: Duration;
  /** Default 1. */
  readonly threshold?: number;
  /** Default 1. */
  readonly evaluationPeriods?: number;
  /** Default NOT_BREACHING: most metrics are published only when something happened. */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  readonly description: string;
}

/** One of the gateway's own metrics (lib/observability/names.ts), by the service dimension. */
const custom =
  (metricName: string): AlarmSpec['metric'] =>
  ({ period, statistic }) =>
    new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period });

/** Every alarm of the gateway is made here: quiet without data unless its spec says otherwise. */
function alarm(scope: Construct, spec: AlarmSpec): cloudwatch.Alarm {
  return spec.metric({ period: spec.period ?? FIVE_MINUTES, statistic: spec.statistic }).createAlarm(scope, spec.id, {
    alarmDescription: spec.description,
    threshold: spec.threshold ?? 1,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

export interface GatewayAlarmsProps {
  readonly settings: Pick<GatewaySettings, 'alarmEmail'>;
  readonly functions: GatewayFunctions;
  readonly api: apigw.RestApi;
  readonly deadLetterQueue: sqs.IQueue;
}

export class GatewayAlarms extends StackLayer {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    const specs: AlarmSpec[] = [];
    for (const [name, fn] of props.functions.byName) {
      specs.push(
        { id: `${fn.node.id}Errors`, metric: (o) => fn.metricErrors(o), statistic: 'Sum', description: `${name}: unhandled function errors` },
        {
          id: `${fn.node.id}Throttles`,
          metric: (o) => fn.metricThrottles(o),
          statistic: 'Sum',
          description: `${name}: invocations throttled (account or reserved concurrency exhausted)`,
        },
      );
    }
    specs.push(
      {
        id: 'PendingPaymentsAlarm',
        metric: custom(CUSTOM_METRICS.pendingOlderThan15m),
        statistic: 'Maximum',
        description: 'Payments or refunds PENDING for more than 15 minutes: money may have moved without a known outcome',
      },
      {
        id: 'ReconciliationAlarm',
        metric: custom(CUSTOM_METRICS.reconciliationMismatches),
        statistic: 'Sum',
        period: Duration.hours(1),
        description: 'The daily bill and the ledger disagree (missing_local, missing_remote or mismatched rows)',
      },
      {
        id: 'SettlementMismatchAlarm',
        metric: custom(CUSTOM_METRICS.settlementMismatches),
        statistic: 'Sum',
        description:
          'A pay.query answer or bill row described another order than the ledger\'s (order_no known to the platform from elsewhere): the order stays PENDING until a person looks',
      },
      {
        id: 'EventPublishFailuresAlarm',
        metric: custom(CUSTOM_METRICS.eventPublishFailures),
        statistic: 'Sum',
        description:
          'Order Settled events could not be put on the bus (PutEvents failed or FailedEntryCount > 0): they stay in the outbox and the settlement schedule retries them',
      },
      {
        id: 'EventsOverdueAlarm',
        metric: custom(CUSTOM_METRICS.eventsOverdue),
        statistic: 'Maximum',
        description:
          'Order Settled events still unpublished 15 minutes after their order settled: callers are not told; see EventPublishFailures and the settle-pending logs',
      },
      {
        id: 'BillArchiveFailureAlarm',
        metric: custom(CUSTOM_METRICS.billArchiveFailures),
        statistic: 'Sum',
        description:
          'A downloaded bill could not be stored in S3 (answered and counted without it): old cursors and report.csv of that day are not current until the next download',
      },
      // The gauge comes once a day (each daily bill run, also a failed one): its daily minimum at or above 1 on two
      // days running means an exception stayed open from one run to the next, a whole day without anyone
      // acknowledging it. A day without the gauge is no news that they are gone (not OK, as notBreaching would
      // say): MISSING judges on the days measured, and with none in the range the alarm is INSUFFICIENT_DATA.
      {
        id: 'OpenReconciliationExceptionsAlarm',
        metric: custom(CUSTOM_METRICS.openReconciliationExceptions),
        statistic: 'Minimum',
        period: Duration.days(1),
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        description:
          'Reconciliation exceptions stayed open for a day: GET /v1/reconciliation/exceptions lists them; acknowledge each with a note once looked at. INSUFFICIENT_DATA: no daily bill run has counted them for two days (see the down-bill schedule and its logs)',
      },
      // Published by a final bill's run that ran out of time (lib/reconciliation/bill-consumer.ts): that day's
      // exceptions are incomplete and none is resolved until a re-run of the day keeps the rest.
      {
        id: 'ExceptionsNotKeptAlarm',
        metric: custom(CUSTOM_METRICS.exceptionsNotKept),
        statistic: 'Sum',
        period: Duration.hours(1),
        description:
          'A final bill\'s run ran out of time before keeping every difference as a reconciliation exception (the log\'s "exceptions: out of time" gives notKept): re-run the day (down-bill {"kind":"daily-bill","bill_date":"yyyyMMdd"}) until none is left',
      },
      {
        id: 'ScheduleDeadLettersAlarm',
        metric: (o) => props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(o),
        statistic: 'Maximum',
        description: 'A scheduled token renewal, PENDING settlement or daily bill run failed after its retries (see the DLQ)',
      },
      {
        id: 'Api5xxAlarm',
        metric: (o) => props.api.metricServerError(o),
        statistic: 'Sum',
        threshold: 5,
        description: 'API answered 5xx (upstream errors, timeouts, integration failures)',
      },
    );
    const alarms = specs.map((spec) => alarm(this, spec));
    this.alarms = alarms;

    if (!props.settings.alarmEmail) {
      Validations.of(this).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        reason: 'CT.CLOUDWATCH.PR.1: the alarms notify where the operator says (-c alarmEmail); without it they are watched in the console, and the stack does not guess an address.',
      });
    }
    if (props.settings.alarmEmail) {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'onecard-gateway alarms', enforceSSL: true });
      topic.addSubscription(new snsSubscriptions.EmailSubscription(props.settings.alarmEmail));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason: 'Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key for this is not worth its cost.',
      });
      const action = new cwActions.SnsAction(topic);
      for (const each of alarms) {
        each.addAlarmAction(action);
        each.addOkAction(action);
        // An alarm that treats missing data as missing says so by INSUFFICIENT_DATA (no daily run counted): told too.
        if ((each.node.defaultChild as cloudwatch.CfnAlarm).treatMissingData === cloudwatch.TreatMissingData.MISSING) each.addInsufficientDataAction(action);
      }
    }
  }
}
