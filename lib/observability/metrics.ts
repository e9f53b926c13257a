// One CloudWatch metric per request outcome, and service-level gauges for the alarms (Powertools
// Metrics, EMF on stdout). Off outside Lambda, so local runs and tests print nothing unless they capture.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME, type CustomMetricName } from './names.js';

export interface MetricsOptions {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly serviceName: string;
}

let metrics: Metrics | undefined;
/** Where EMF documents go instead of stdout (tests). */
let output: ((line: string) => void) | undefined;
let settings: MetricsOptions = { enabled: false, namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME };

/** Sets whether and where metrics go (the chain calls it from the configuration). */
export function configureMetrics(options: MetricsOptions): void {
  settings = options;
  metrics = undefined;
}

/** Tests: every EMF document goes to `sink`, metrics on even off Lambda; undefined restores the default. */
export function setMetricsOutput(sink: ((line: string) => void) | undefined): void {
  output = sink;
  metrics = undefined;
}

function activeMetrics(): Metrics | undefined {
  if (!settings.enabled && !output) return undefined;
  if (!metrics) {
    metrics = new Metrics({ namespace: settings.namespace, serviceName: settings.serviceName });
    const sink = output;
    // Powertools writes EMF with this.console.log (as lib/observability/logger.ts reroutes the Logger's console).
    if (sink) Object.assign(metrics as unknown as { console: unknown }, { console: { log: (line: string) => sink(line) } });
  }
  return metrics;
}

/** Records `<name>.<outcome>` = 1 (e.g. pay.ok, pay.pending, pay.client_error) and flushes it. */
export function recordOutcome(name: string, outcome: string): void {
  const target = activeMetrics();
  if (!target) return;
  target.addDimension('function', name);
  target.addMetric(outcome, MetricUnit.Count, 1);
  target.publishStoredMetrics();
}

/**
 * Publishes one service-level value (e.g. PendingOlderThan15m) with only the default `service`
 * dimension, which is what the alarms in infra/ match, and flushes it.
 */
export function publishServiceMetric(name: CustomMetricName, value: number): void {
  const target = activeMetrics();
  if (!target) return;
  target.addMetric(name, MetricUnit.Count, value);
  target.publishStoredMetrics();
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
