// The alarms: function errors and throttles, PENDING orders older than 15 minutes, reconciliation mismatches, open
// reconciliation exceptions, settlement sources describing another order, dead letters and API 5xx; one helper, optionally to e-mail.
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
    const alarms: cloudwatch.Alarm[] = [];
    /** Every alarm of the gateway: one evaluation period, breaching at or above `threshold`, quiet without data. */
    const alarm = (alarmId: string, metric: cloudwatch.Metric, alarmDescription: string, threshold = 1, evaluationPeriods = 1): void => {
      alarms.push(
        metric.createAlarm(this, alarmId, {
          alarmDescription,
          threshold,
          evaluationPeriods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    };
    const customMetric = (metricName: string, statistic: string, period: Duration): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period });

    for (const [name, fn] of props.functions.byName) {
      alarm(`${fn.node.id}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), `${name}: unhandled function errors`);
      alarm(
        `${fn.node.id}Throttles`,
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        `${name}: invocations throttled (account or reserved concurrency exhausted)`,
      );
    }
    alarm(
      'PendingPaymentsAlarm',
      customMetric(CUSTOM_METRICS.pendingOlderThan15m, 'Maximum', FIVE_MINUTES),
      'Payments or refunds PENDING for more than 15 minutes: money may have moved without a known outcome',
    );
    alarm(
      'ReconciliationAlarm',
      customMetric(CUSTOM_METRICS.reconciliationMismatches, 'Sum', Duration.hours(1)),
      'The daily bill and the ledger disagree (missing_local, missing_remote or mismatched rows)',
    );
    alarm(
      'SettlementMismatchAlarm',
      customMetric(CUSTOM_METRICS.settlementMismatches, 'Sum', FIVE_MINUTES),
      'A pay.query answer or bill row described another order than the ledger\'s (order_no known to the platform from elsewhere): the order stays PENDING until a person looks',
    );
    alarm(
      'EventPublishFailuresAlarm',
      customMetric(CUSTOM_METRICS.eventPublishFailures, 'Sum', FIVE_MINUTES),
      'Order Settled events could not be put on the bus (PutEvents failed or FailedEntryCount > 0): they stay in the outbox and the settlement schedule retries them',
    );
    alarm(
      'EventsOverdueAlarm',
      customMetric(CUSTOM_METRICS.eventsOverdue, 'Maximum', FIVE_MINUTES),
      'Order Settled events still unpublished 15 minutes after their order settled: callers are not told; see EventPublishFailures and the settle-pending logs',
    );
    alarm(
      'BillArchiveFailureAlarm',
      customMetric(CUSTOM_METRICS.billArchiveFailures, 'Sum', FIVE_MINUTES),
      'A downloaded bill could not be stored in S3 (answered and counted without it): old cursors and report.csv of that day are not current until the next download',
    );
    // The gauge comes once a day (each daily bill run): its daily minimum at or above 1 on two days running means
    // an exception stayed open from one run to the next, a whole day without anyone acknowledging it.
    alarm(
      'OpenReconciliationExceptionsAlarm',
      customMetric(CUSTOM_METRICS.openReconciliationExceptions, 'Minimum', Duration.days(1)),
      'Reconciliation exceptions stayed open for a day: GET /v1/reconciliation/exceptions lists them; acknowledge each with a note once looked at',
      1,
      2,
    );
    alarm(
      'ScheduleDeadLettersAlarm',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      'A scheduled token renewal, PENDING settlement or daily bill run failed after its retries (see the DLQ)',
    );
    alarm(
      'Api5xxAlarm',
      props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      'API answered 5xx (upstream errors, timeouts, integration failures)',
      5,
    );
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
      }
    }
  }
}
