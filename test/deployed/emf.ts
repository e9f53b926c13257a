// Parses the CloudWatch Embedded Metric Format documents a function prints and matches the template's
// alarms against them as CloudWatch would: namespace, metric name, the exact dimension set, unit, statistic.
import type { AlarmSpec, CfnTemplate } from './template.js';

/** One metric value as CloudWatch would store it from an EMF document. */
export interface PublishedMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit?: string;
  readonly values: readonly number[];
  readonly storageResolution: number;
  /** Who printed it (function logical id), for messages. */
  readonly source: string;
}

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: ReadonlyArray<readonly string[]>;
  readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit?: string; readonly StorageResolution?: number }>;
}

/** Every metric of every EMF document among `lines` (other lines, e.g. logs, are skipped). */
export function parseEmf(lines: readonly string[], source: string): PublishedMetric[] {
  const metrics: PublishedMetric[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const directives = (doc._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
    if (!Array.isArray(directives)) continue;
    for (const directive of directives) {
      // One metric per dimension set (an empty set list publishes without dimensions).
      const dimensionSets = directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
      for (const set of dimensionSets) {
        const dimensions = Object.fromEntries(set.map((name) => [name, String(doc[name])]));
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          const values = (Array.isArray(raw) ? raw : [raw]).filter((value): value is number => typeof value === 'number');
          metrics.push({
            namespace: directive.Namespace,
            metricName: metric.Name,
            dimensions,
            ...(metric.Unit !== undefined ? { unit: metric.Unit } : {}),
            values,
            storageResolution: metric.StorageResolution ?? 60,
            source,
          });
        }
      }
    }
  }
  return metrics;
}

const STATISTICS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);

/**
 * Why `metric` would not feed `alarm` (undefined when it would). CloudWatch matches a metric by
 * namespace, name and the exact set of dimensions with their values; an alarm with a Unit only sees
 * data points of that unit; the period must be a multiple of 60 s unless the metric is high-resolution.
 */
export function mismatch(alarm: AlarmSpec, metric: PublishedMetric): string | undefined {
  if (metric.namespace !== alarm.namespace) return `namespace ${metric.namespace}`;
  if (metric.metricName !== alarm.metricName) return `metric name ${metric.metricName}`;
  const wanted = Object.fromEntries(alarm.dimensions.map((dimension) => [dimension.Name, dimension.Value]));
  const names = (record: Record<string, unknown>) => Object.keys(record).sort().join(',');
  if (names(wanted) !== names(metric.dimensions)) return `dimensions {${names(metric.dimensions)}}, alarm wants {${names(wanted)}}`;
  for (const [name, value] of Object.entries(wanted)) {
    if (metric.dimensions[name] !== value) return `dimension ${name}=${metric.dimensions[name]}, alarm wants ${JSON.stringify(value)}`;
  }
  if (alarm.unit !== undefined && metric.unit !== alarm.unit) return `unit ${metric.unit ?? 'None'}, alarm wants ${alarm.unit}`;
  if (metric.values.length === 0) return 'no numeric value';
  if (alarm.statistic === undefined && alarm.extendedStatistic === undefined) return 'the alarm has no statistic';
  if (alarm.statistic !== undefined && !STATISTICS.has(alarm.statistic)) return `statistic ${alarm.statistic} is not one CloudWatch computes`;
  if (alarm.extendedStatistic !== undefined && !/^p(\d{1,2}(\.\d+)?|100)$/.test(alarm.extendedStatistic)) {
    return `extended statistic ${alarm.extendedStatistic}`;
  }
  if (alarm.periodSeconds % 60 !== 0 && metric.storageResolution !== 1) return `period ${alarm.periodSeconds} s needs a high-resolution metric`;
  return undefined;
}

/** The alarms in non-AWS namespaces that no published metric feeds, each with the nearest miss. */
export function unpublishedAlarms(alarms: readonly AlarmSpec[], published: readonly PublishedMetric[]): string[] {
  return alarms
    .filter((alarm) => !alarm.namespace.startsWith('AWS/'))
    .flatMap((alarm) => {
      if (published.some((metric) => mismatch(alarm, metric) === undefined)) return [];
      const near = published.filter((metric) => metric.namespace === alarm.namespace && metric.metricName === alarm.metricName);
      const why = near.length > 0 ? `published by ${near[0]?.source} with ${mismatch(alarm, near[0] as PublishedMetric)}` : 'never published';
      return [`${alarm.logicalId} (${alarm.namespace} ${alarm.metricName} ${alarm.statistic ?? alarm.extendedStatistic}): ${why}`];
    });
}

/**
 * AWS publishes the AWS/* metrics itself; what can go wrong is the dimension naming another resource.
 * Each such alarm's dimension must point at a resource of this stack of the kind that namespace measures.
 */
export function unresolvedAwsAlarms(alarms: readonly AlarmSpec[], template: CfnTemplate): string[] {
  const typeOf = (id: string | undefined) => (id === undefined ? undefined : template.Resources[id]?.Type);
  const check = (alarm: AlarmSpec): string | undefined => {
    const [dimension, ...rest] = alarm.dimensions;
    if (!dimension || rest.length > 0) return 'expected exactly one dimension';
    const value = dimension.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | string;
    const key = `${alarm.namespace} ${dimension.Name}`;
    switch (key) {
      case 'AWS/Lambda FunctionName':
        return typeof value === 'object' && typeOf(value.Ref) === 'AWS::Lambda::Function' ? undefined : 'FunctionName is not a Ref to a function';
      case 'AWS/SQS QueueName': {
        const getAtt = typeof value === 'object' ? value['Fn::GetAtt'] : undefined;
        return getAtt && getAtt[1] === 'QueueName' && typeOf(getAtt[0]) === 'AWS::SQS::Queue' ? undefined : 'QueueName is not a queue of the stack';
      }
      case 'AWS/ApiGateway ApiName': {
        const names = Object.values(template.Resources)
          .filter((resource) => resource.Type === 'AWS::ApiGateway::RestApi')
          .map((resource) => resource.Properties?.Name);
        return names.includes(value) ? undefined : `ApiName ${JSON.stringify(value)} is no RestApi's Name`;
      }
      default:
        return `no publisher known for ${key}`;
    }
  };
  return alarms
    .filter((alarm) => alarm.namespace.startsWith('AWS/'))
    .flatMap((alarm) => {
      const problem = check(alarm);
      return problem ? [`${alarm.logicalId} (${alarm.namespace} ${alarm.metricName}): ${problem}`] : [];
    });
}
