// One CloudWatch metric per request outcome (Powertools Metrics, EMF on stdout). Off outside
// Lambda, so local runs and tests print nothing and never fail on a missing namespace.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export interface MetricsOptions {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly serviceName: string;
}

let metrics: Metrics | undefined;
let settings: MetricsOptions = { enabled: false, namespace: 'OnecardGateway', serviceName: 'onecard-gateway' };

/** Sets whether and where metrics go (the chain calls it from the configuration). */
export function configureMetrics(options: MetricsOptions): void {
  settings = options;
  metrics = undefined;
}

/** Records `<name>.<outcome>` = 1 (e.g. pay.ok, pay.pending, pay.client_error) and flushes it. */
export function recordOutcome(name: string, outcome: string): void {
  if (!settings.enabled) return;
  metrics ??= new Metrics({ namespace: settings.namespace, serviceName: settings.serviceName });
  metrics.addDimension('function', name);
  metrics.addMetric(outcome, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** The outcome name for an HTTP status. */
export function outcomeOf(statusCode: number): string {
  if (statusCode === 202) return 'pending';
  if (statusCode < 300) return 'ok';
  if (statusCode === 422) return 'refused';
  if (statusCode < 500) return 'client_error';
  if (statusCode === 500) return 'internal_error';
  return 'upstream_error';
}
