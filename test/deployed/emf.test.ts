// The alarm matcher of the deployed suite is real: it names an alarm whose metric nobody publishes, or
// publishes under another dimension set, unit or namespace, and an AWS/* alarm pointing at no resource.
import { describe, expect, it } from 'vitest';
import { parseEmf, unpublishedAlarms, unresolvedAwsAlarms } from './emf.js';
import type { AlarmSpec, CfnTemplate } from './template.js';

const doc = (metrics: Record<string, number>, dimensions: string[][] = [['service']], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: 0,
      CloudWatchMetrics: [{ Namespace: 'OnecardGateway', Dimensions: dimensions, Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })) }],
    },
    service: 'onecard-gateway',
    ...extra,
    ...metrics,
  });

const alarm = (overrides: Partial<AlarmSpec> = {}): AlarmSpec => ({
  logicalId: 'PendingPaymentsAlarm',
  namespace: 'OnecardGateway',
  metricName: 'PendingOlderThan15m',
  dimensions: [{ Name: 'service', Value: 'onecard-gateway' }],
  statistic: 'Maximum',
  periodSeconds: 300,
  ...overrides,
});

describe('EMF documents against alarms', () => {
  const published = parseEmf(['{"level":"INFO","message":"not a metric"}', 'plain text', doc({ PendingOlderThan15m: 0 })], 'Fn');

  it('parses only EMF documents, one metric per dimension set', () => {
    expect(published).toEqual([
      { namespace: 'OnecardGateway', metricName: 'PendingOlderThan15m', dimensions: { service: 'onecard-gateway' }, unit: 'Count', values: [0], storageResolution: 60, source: 'Fn' },
    ]);
    expect(parseEmf([doc({ ok: 1 }, [['service', 'function'], ['service']], { function: 'pay' })], 'Fn').map((metric) => metric.dimensions)).toEqual([
      { service: 'onecard-gateway', function: 'pay' },
      { service: 'onecard-gateway' },
    ]);
  });

  it('a matching alarm passes', () => {
    expect(unpublishedAlarms([alarm()], published)).toEqual([]);
  });

  it.each([
    ['another metric name', alarm({ metricName: 'PendingOlder' }), 'never published'],
    ['another namespace', alarm({ namespace: 'Onecard' }), 'never published'],
    ['an extra dimension', alarm({ dimensions: [{ Name: 'service', Value: 'onecard-gateway' }, { Name: 'function', Value: 'pay' }] }), 'dimensions {service}, alarm wants {function,service}'],
    ['another dimension value', alarm({ dimensions: [{ Name: 'service', Value: 'gateway' }] }), 'dimension service=onecard-gateway, alarm wants "gateway"'],
    ['another unit', alarm({ unit: 'Seconds' }), 'unit Count, alarm wants Seconds'],
    ['a statistic CloudWatch does not compute', alarm({ statistic: 'Max' }), 'statistic Max is not one CloudWatch computes'],
    ['a sub-minute period on a standard-resolution metric', alarm({ periodSeconds: 10 }), 'period 10 s needs a high-resolution metric'],
  ])('names the alarm with %s', (_what, changed, reason) => {
    const [problem] = unpublishedAlarms([changed], published);
    expect(problem).toContain('PendingPaymentsAlarm');
    expect(problem).toContain(reason);
  });

  it('AWS/* alarms must point at a resource of the stack', () => {
    const template: CfnTemplate = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function' },
        Queue: { Type: 'AWS::SQS::Queue' },
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'onecard-gateway' } },
      },
    };
    const aws = (namespace: string, Name: string, Value: unknown): AlarmSpec =>
      alarm({ logicalId: `${namespace}-${Name}`, namespace, metricName: 'M', dimensions: [{ Name, Value }] });
    expect(
      unresolvedAwsAlarms(
        [
          aws('AWS/Lambda', 'FunctionName', { Ref: 'Fn' }),
          aws('AWS/SQS', 'QueueName', { 'Fn::GetAtt': ['Queue', 'QueueName'] }),
          aws('AWS/ApiGateway', 'ApiName', 'onecard-gateway'),
          aws('AWS/Lambda', 'FunctionName', { Ref: 'Queue' }),
          aws('AWS/ApiGateway', 'ApiName', 'other-api'),
          aws('AWS/DynamoDB', 'TableName', { Ref: 'Fn' }),
        ],
        template,
      ),
    ).toEqual([
      'AWS/Lambda-FunctionName (AWS/Lambda M): FunctionName is not a Ref to a function',
      'AWS/ApiGateway-ApiName (AWS/ApiGateway M): ApiName "other-api" is no RestApi\'s Name',
      'AWS/DynamoDB-TableName (AWS/DynamoDB M): no publisher known for AWS/DynamoDB TableName',
    ]);
  });
});
