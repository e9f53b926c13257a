// Shared by the infra tests and the bundle bench: synthesizes GatewayStack in-process into a temporary
// cloud assembly, with cdk-nag's AwsSolutions report computed on the same construct tree.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { requestModels } from '../../lib/api/openapi.js';
import { readGatewaySettings } from '../../infra/config.js';
import { controlTowerChecks } from '../../infra/validation.js';
import { HANDLERS, type HandlerName } from '../../infra/constructs/handlers.js';
import { GatewayStack } from '../../infra/gateway-stack.js';

export interface SynthOptions {
  /** Extra CDK context (the same keys as `-c name=value`). */
  readonly context?: Record<string, unknown>;
  /** Run esbuild for the six functions (slow); off → assets are not bundled. */
  readonly bundle: boolean;
  /** CDK's built-in CloudFormation validation (a few seconds more). */
  readonly cfnValidation?: boolean;
  /** The Control Tower proactive controls (cfn-guard) as a validation plugin, as in infra/app.ts (seconds more). */
  readonly guard?: boolean;
}

export interface SynthResult {
  readonly stack: GatewayStack;
  readonly template: Template;
  readonly json: Record<string, unknown>;
  readonly assemblyDir: string;
  readonly nag: PolicyValidationPluginReport;
}

/** cdk.json's context (the feature flags): what `cdk synth` hands the app, so tests synthesize the same. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/** @throws what synthesis throws (a ContextError, say), having removed the temporary assembly directory. */
export function synthGateway(options: SynthOptions): SynthResult {
  const assemblyDir = mkdtempSync(path.join(tmpdir(), 'onecard-cdk-'));
  try {
    return synthInto(assemblyDir, options);
  } catch (error) {
    rmSync(assemblyDir, { recursive: true, force: true });
    throw error;
  }
}

function synthInto(assemblyDir: string, options: SynthOptions): SynthResult {
  const app = new App({
    outdir: assemblyDir,
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = new GatewayStack(app, 'OnecardGateway', {
    settings: readGatewaySettings(app.node),
    requestModels: requestModels(),
  });
  if (options.guard) Validations.of(app).addPlugins(controlTowerChecks());
  const nag = quietDeprecations(() => new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack));
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const json = JSON.parse(readFileSync(path.join(assemblyDir, artifact.templateFile), 'utf8')) as Record<string, unknown>;
  return { stack, template: Template.fromJSON(json), json, assemblyDir, nag };
}

/** One function's bundle as `cdk synth` staged it: the deployed artifact. */
export interface StagedBundle {
  /** The asset directory (asset.<hash>) in the cloud assembly. */
  readonly dir: string;
  /** Its index.mjs. */
  readonly file: string;
  /** index.mjs's bytes as staged (banner and source-map comment included): what the size budget is about. */
  readonly bytes: number;
  /**
   * The metafile's inputs of index.mjs with their bytes in it (paths relative to the project root, as esbuild
   * ran there); empty unless synthesized with the context bundleMetafile=true.
   */
  readonly inputs: ReadonlyMap<string, number>;
}

/** Each handler's staged bundle, found through the template's function (by description) and its asset key. */
export function stagedBundles(synth: SynthResult): Map<HandlerName, StagedBundle> {
  const functions = Object.values(synth.json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
    (resource) => resource.Type === 'AWS::Lambda::Function',
  );
  const bundles = new Map<HandlerName, StagedBundle>();
  for (const spec of HANDLERS) {
    const fn = functions.find((resource) => resource.Properties.Description === spec.description);
    if (!fn) throw new Error(`no function for ${spec.name} in the template`);
    const dir = path.join(synth.assemblyDir, `asset.${(fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`);
    const file = path.join(dir, 'index.mjs');
    let inputs = new Map<string, number>();
    try {
      const meta = JSON.parse(readFileSync(path.join(dir, 'index.meta.json'), 'utf8')) as {
        outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
      };
      const [, output] = Object.entries(meta.outputs).find(([name]) => name.endsWith('.mjs')) ?? [];
      if (output) inputs = new Map(Object.entries(output.inputs).map(([input, { bytesInOutput }]) => [input, bytesInOutput] as const));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    bundles.set(spec.name, { dir, file, bytes: statSync(file).size, inputs });
  }
  return bundles;
}

/** "AwsSolutions-IAM5[...] at /path: description" lines, for readable failures. */
export function describeViolations(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId ?? '?'}: ${violation.description}`,
    ),
  );
}

/** Dummy Lambda configuration for loading bundles outside Lambda: names only, pointing nowhere
 * (module init must not use them anyway). */
export const DUMMY_LAMBDA_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'ap-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bundle-load-test',
  AWS_EC2_METADATA_DISABLED: 'true',
  SYNJONES_API_URL: 'https://onecard.invalid/onecard/uap/gateway.action',
  SYNJONES_SECRET_ID: 'onecard/dummy',
  TOKEN_TABLE: 'dummy-token-table',
  LEDGER_TABLE: 'dummy-ledger-table',
  BILL_BUCKET: 'dummy-bill-bucket',
  POWERTOOLS_SERVICE_NAME: 'onecard-gateway',
  POWERTOOLS_METRICS_NAMESPACE: 'OnecardGateway',
  LOG_LEVEL: 'ERROR',
};

/**
 * Runs fn with jsii's deprecation notices off (JSII_DEPRECATED=quiet), then restores the setting. Only
 * around cdk-nag: its AwsSolutions-EVB1 rule reads the deprecated CfnEventBusPolicy#principal getter
 * of every bus policy (cdk-nag 3.0.2, rules/eventbridge/EventBusOpenAccess), which printed
 * "CfnEventBusPolicy#principal is deprecated" although the stack never sets it (infra/constructs/events.ts
 * adds a statement). The stack is built before this, so a deprecated API our own code uses still warns.
 */
function quietDeprecations<T>(fn: () => T): T {
  const before = process.env.JSII_DEPRECATED;
  process.env.JSII_DEPRECATED = 'quiet';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.JSII_DEPRECATED;
    else process.env.JSII_DEPRECATED = before;
  }
}
