// Which heavy modules each function's bundle may reach, read from an esbuild metafile built with the
// handlers' own settings: the bill pipeline and S3 only where bills are served, EventBridge only where orders settle.
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SETTINGS } from '../../infra/constructs/gateway-functions.js';
import { HANDLERS, type HandlerSpec } from '../../infra/constructs/handlers.js';
import { REPO_ROOT } from './imports.js';

/** The bundle's inputs (repository-relative paths, node_modules/... for packages) with their bytes in the output. */
async function bundleInputs(entry: string): Promise<Map<string, number>> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: BUNDLE_SETTINGS.format,
    target: BUNDLE_SETTINGS.target,
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    minify: BUNDLE_SETTINGS.minify,
    keepNames: BUNDLE_SETTINGS.keepNames,
    alias: { ...BUNDLE_SETTINGS.alias },
    outfile: 'index.mjs',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = Object.values((result.metafile as Metafile).outputs);
  return new Map(outputs.flatMap((output) => Object.entries(output.inputs).map(([file, { bytesInOutput }]) => [file, bytesInOutput] as const)));
}

const servesBills = (spec: HandlerSpec): boolean => spec.bucketPrefixes.length > 0;
const packageBytes = (inputs: Map<string, number>, name: string): number =>
  [...inputs].filter(([file]) => file.includes(`node_modules/${name}/`)).reduce((sum, [, bytes]) => sum + bytes, 0);
const reaches = (inputs: Map<string, number>, name: string): boolean => [...inputs.keys()].some((file) => file.includes(`node_modules/${name}/`));

/** The bill pipeline: every lib/bills module but its error classes (lib/presenters/error-response.ts maps those for every route). */
const billPipeline = (inputs: Map<string, number>): string[] =>
  [...inputs.keys()].filter((file) => file.startsWith('lib/bills/') && file !== 'lib/bills/errors.ts');

/** What PutEvents by name costs (EventBridgeClient + PutEventsCommand: ~15 KB); the whole client as a namespace import is ~54 KB. */
const EVENTBRIDGE_MAX_BYTES = 24 * 1024;

describe('what each function bundle reaches', () => {
  const bundles = new Map<string, Map<string, number>>();

  beforeAll(async () => {
    for (const spec of HANDLERS) bundles.set(spec.name, await bundleInputs(`functions/${spec.name}.ts`));
  }, 120_000);

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s: the bill pipeline and S3 only if it serves bills', (_name, spec) => {
    const inputs = bundles.get(spec.name) as Map<string, number>;
    if (servesBills(spec)) {
      expect(billPipeline(inputs)).toContain('lib/bills/service.ts');
      expect(reaches(inputs, '@aws-sdk/client-s3')).toBe(true);
    } else {
      expect(billPipeline(inputs)).toEqual([]);
      expect(reaches(inputs, '@aws-sdk/client-s3')).toBe(false);
      expect(reaches(inputs, '@aws-sdk/s3-request-presigner')).toBe(false);
    }
  });

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s: the EventBridge client only if it settles orders, and only PutEvents of it', (_name, spec) => {
    const inputs = bundles.get(spec.name) as Map<string, number>;
    expect(reaches(inputs, '@aws-sdk/client-eventbridge')).toBe(spec.publishesEvents);
    expect(inputs.has('lib/events/eventbridge-sink.ts')).toBe(spec.publishesEvents);
    expect(packageBytes(inputs, '@aws-sdk/client-eventbridge')).toBeLessThanOrEqual(EVENTBRIDGE_MAX_BYTES);
  });
});
