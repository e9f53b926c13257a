// Which heavy modules each function's bundle may reach, read from an esbuild metafile built with the
// handlers' own settings: the bill pipeline and S3 only where bills are served, EventBridge only where orders
// settle; and each bundle within the size budget the bundle bench reports against.
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SETTINGS, BUNDLE_SIZE_BUDGET_BYTES } from '../../infra/constructs/gateway-functions.js';
import { HANDLERS, type HandlerSpec } from '../../infra/constructs/handlers.js';
import { REPO_ROOT } from './imports.js';

interface BuiltBundle {
  /** The bundle's inputs (repository-relative paths, node_modules/... for packages) with their bytes in the output. */
  readonly inputs: Map<string, number>;
  /** index.mjs's bytes, as the bench measures them (banner and source-map comment included). */
  readonly bytes: number;
}

async function buildBundle(entry: string): Promise<BuiltBundle> {
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
    banner: { js: BUNDLE_SETTINGS.banner },
    sourcemap: BUNDLE_SETTINGS.sourcemap,
    sourcesContent: BUNDLE_SETTINGS.sourcesContent,
    charset: BUNDLE_SETTINGS.charset,
    alias: { ...BUNDLE_SETTINGS.alias },
    outfile: 'index.mjs',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const [, output] = Object.entries((result.metafile as Metafile).outputs).find(([file]) => file.endsWith('.mjs')) ?? [];
  if (!output) throw new Error(`no index.mjs built for ${entry}`);
  return { inputs: new Map(Object.entries(output.inputs).map(([file, { bytesInOutput }]) => [file, bytesInOutput] as const)), bytes: output.bytes };
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
  const sizes = new Map<string, number>();

  beforeAll(async () => {
    for (const spec of HANDLERS) {
      const built = await buildBundle(`functions/${spec.name}.ts`);
      bundles.set(spec.name, built.inputs);
      sizes.set(spec.name, built.bytes);
    }
  }, 120_000);

  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: within the bundle size budget (npm run bench -- bundles)', (name) => {
    expect(sizes.get(name)).toBeGreaterThan(0);
    expect(sizes.get(name)).toBeLessThanOrEqual(BUNDLE_SIZE_BUDGET_BYTES);
  });

  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: the event-stream codec and mnemonist are the shims (infra/bundling/)', (name) => {
    const inputs = bundles.get(name) as Map<string, number>;
    expect([...inputs.keys()].filter((file) => file.includes('/event-streams/') || file.includes('node_modules/mnemonist/') || file.includes('node_modules/obliterator/'))).toEqual([]);
    expect(inputs.has('infra/bundling/no-event-streams.ts')).toBe(true);
    expect(inputs.has('infra/bundling/lru-cache.ts')).toBe(true);
  });

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
