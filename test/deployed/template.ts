// Reads what a deployment would run from the synthesized template: each function's bundle, handler,
// environment and timeout; the API methods and their integrations; the schedules' inputs; the alarms.
import path from 'node:path';

export type CfnValue = unknown;

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, unknown>;
}

export interface DeployedFunction {
  readonly logicalId: string;
  readonly description: string;
  /** `index.handler`: module `index` in the bundle directory, export `handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Values as the template writes them (plain strings or CFN tokens). */
  readonly environment: Readonly<Record<string, CfnValue>>;
  /** The staged bundle in the cloud assembly (asset.<hash>). */
  readonly assetDir: string;
}

export interface ApiMethod {
  readonly logicalId: string;
  readonly httpMethod: string;
  /** e.g. /v1/payments/{order_no} */
  readonly resourcePath: string;
  readonly integrationType: string;
  /** The Lambda function a proxy integration invokes (undefined for MOCK). */
  readonly functionLogicalId?: string;
  /** application/json request model (its Schema), when the method has one. */
  readonly requestModel?: { readonly logicalId: string; readonly schema: Record<string, unknown> };
  readonly requestParameters: Readonly<Record<string, boolean>>;
}

export interface ScheduleTarget {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  /** Target.Input: the exact payload Scheduler sends. */
  readonly input: string;
}

export interface AlarmSpec {
  readonly logicalId: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: ReadonlyArray<{ readonly Name: string; readonly Value: CfnValue }>;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
  readonly unit?: string;
  readonly periodSeconds: number;
}

const ofType = (template: CfnTemplate, type: string): Array<[string, Record<string, unknown>]> =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);

/** Logical ids referenced anywhere inside `value` by Ref or Fn::GetAtt. */
export function referencedIds(value: CfnValue): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const own: string[] = [];
  if (typeof object.Ref === 'string') own.push(object.Ref);
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') own.push(getAtt[0]);
  return [...own, ...Object.values(object).flatMap(referencedIds)];
}

export function functionsOf(template: CfnTemplate, assemblyDir: string): DeployedFunction[] {
  return ofType(template, 'AWS::Lambda::Function').map(([logicalId, p]) => {
    const key = (p.Code as { S3Key: string }).S3Key;
    return {
      logicalId,
      description: String(p.Description ?? logicalId),
      handler: String(p.Handler),
      runtime: String(p.Runtime),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
      environment: ((p.Environment as { Variables?: Record<string, CfnValue> } | undefined)?.Variables ?? {}),
      assetDir: path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`),
    };
  });
}

/** The resource path of an AWS::ApiGateway::Resource id ('' for the root). */
function resourcePath(template: CfnTemplate, id: CfnValue): string {
  const ref = (id as { Ref?: string } | undefined)?.Ref;
  if (ref === undefined) return ''; // Fn::GetAtt [RestApi, RootResourceId]
  const resource = template.Resources[ref];
  if (resource?.Type !== 'AWS::ApiGateway::Resource') throw new Error(`${ref} is not an API resource`);
  return `${resourcePath(template, resource.Properties?.ParentId)}/${String(resource.Properties?.PathPart)}`;
}

export function apiMethodsOf(template: CfnTemplate): ApiMethod[] {
  return ofType(template, 'AWS::ApiGateway::Method').map(([logicalId, p]) => {
    const integration = (p.Integration ?? {}) as Record<string, unknown>;
    const functionLogicalId = referencedIds(integration.Uri).find((id) => template.Resources[id]?.Type === 'AWS::Lambda::Function');
    const modelId = ((p.RequestModels as Record<string, { Ref?: string }> | undefined)?.['application/json'])?.Ref;
    const model = modelId === undefined ? undefined : template.Resources[modelId];
    return {
      logicalId,
      httpMethod: String(p.HttpMethod),
      resourcePath: resourcePath(template, p.ResourceId) || '/',
      integrationType: String(integration.Type),
      ...(functionLogicalId ? { functionLogicalId } : {}),
      ...(modelId && model ? { requestModel: { logicalId: modelId, schema: model.Properties?.Schema as Record<string, unknown> } } : {}),
      requestParameters: (p.RequestParameters as Record<string, boolean> | undefined) ?? {},
    };
  });
}

export function schedulesOf(template: CfnTemplate): ScheduleTarget[] {
  return ofType(template, 'AWS::Scheduler::Schedule').map(([logicalId, p]) => {
    const target = p.Target as { Arn: CfnValue; Input?: string };
    const [functionLogicalId] = referencedIds(target.Arn);
    if (functionLogicalId === undefined || template.Resources[functionLogicalId]?.Type !== 'AWS::Lambda::Function') {
      throw new Error(`schedule ${logicalId} does not target a function of the stack`);
    }
    if (typeof target.Input !== 'string') throw new Error(`schedule ${logicalId} has no Target.Input`);
    return { logicalId, functionLogicalId, input: target.Input };
  });
}

export function alarmsOf(template: CfnTemplate): AlarmSpec[] {
  return ofType(template, 'AWS::CloudWatch::Alarm').map(([logicalId, p]) => {
    if (p.Metrics !== undefined) throw new Error(`alarm ${logicalId} uses metric math: extend alarmsOf`);
    return {
      logicalId,
      namespace: String(p.Namespace),
      metricName: String(p.MetricName),
      dimensions: (p.Dimensions as AlarmSpec['dimensions'] | undefined) ?? [],
      ...(typeof p.Statistic === 'string' ? { statistic: p.Statistic } : {}),
      ...(typeof p.ExtendedStatistic === 'string' ? { extendedStatistic: p.ExtendedStatistic } : {}),
      ...(typeof p.Unit === 'string' ? { unit: p.Unit } : {}),
      periodSeconds: Number(p.Period),
    };
  });
}

/**
 * The environment with every CFN token replaced by the local resource standing in for it; a token
 * nobody stands in for throws, naming the variable (a new kind of reference needs a local part).
 */
export function resolveEnvironment(
  environment: Readonly<Record<string, CfnValue>>,
  localFor: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const ref = (value as { Ref?: unknown } | null)?.Ref;
      const local = typeof ref === 'string' ? localFor[ref] : undefined;
      if (local === undefined) throw new Error(`environment variable ${name} is ${JSON.stringify(value)}: no local stand-in for it`);
      return [name, local];
    }),
  );
}
