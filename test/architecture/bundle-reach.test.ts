// Which heavy modules each function's bundle may reach, read from the metafile of the bundle `cdk synth` stages
// (the deployed artifact, not a build of our own): the bill pipeline and S3 only where bills are served,
// EventBridge only where orders settle; each bundle within the size budget the bundle bench reports against and ASCII;
// and a build with BUNDLE_SETTINGS byte for byte the staged bundle, so the bench's floors are built as deployed.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SETTINGS, BUNDLE_SIZE_BUDGET_BYTES } from '../../infra/constructs/gateway-functions.js';
import { HANDLERS, type HandlerName, type HandlerSpec } from '../../infra/constructs/handlers.js';
import { stagedBundles, synthGateway, type StagedBundle, type SynthResult } from '../infra/synth.js';
import { REPO_ROOT } from './imports.js';

const servesBills = (spec: HandlerSpec): boolean => spec.bucketPrefixes.length > 0;
const packageBytes = (inputs: ReadonlyMap<string, number>, name: string): number =>
  [...inputs].filter(([file]) => file.includes(`node_modules/${name}/`)).reduce((sum, [, bytes]) => sum + bytes, 0);
const reaches = (inputs: ReadonlyMap<string, number>, name: string): boolean => [...inputs.keys()].some((file) => file.includes(`node_modules/${name}/`));

/** The bill pipeline: every lib/bills module but its error classes (lib/presenters/error-response.ts maps those for every route). */
const billPipeline = (inputs: ReadonlyMap<string, number>): string[] =>
  [...inputs.keys()].filter((file) => file.startsWith('lib/bills/') && file !== 'lib/bills/errors.ts');

/** What PutEvents by name costs (EventBridgeClient + PutEventsCommand: ~15 KB); the whole client as a namespace import is ~54 KB. */
const EVENTBRIDGE_MAX_BYTES = 24 * 1024;

/**
 * The S3 client's schemas in a bundle: ~16 KB for the seven commands down-bill sends; the installed package's
 * schema module, whose computed keys keep all of it, is ~67 KB (infra/bundling/s3-client.ts).
 */
const S3_SCHEMAS_MAX_BYTES = 24 * 1024;

/** Where two texts first differ, with 80 characters of each from there; undefined when they are equal. */
function firstDifference(built: string, staged: string): { offset: number; built: string; staged: string } | undefined {
  if (built === staged) return undefined;
  let offset = 0;
  while (offset < built.length && built[offset] === staged[offset]) offset++;
  return { offset, built: built.slice(offset, offset + 80), staged: staged.slice(offset, offset + 80) };
}

/** The handler whose staged bundle is rebuilt with BUNDLE_SETTINGS: the largest, with every alias in use. */
const REBUILT: HandlerName = 'down-bill';

describe('what each function bundle reaches', () => {
  let synth: SynthResult | undefined;
  let bundles: Map<HandlerName, StagedBundle>;
  const inputsOf = (name: HandlerName): ReadonlyMap<string, number> => (bundles.get(name) as StagedBundle).inputs;

  beforeAll(() => {
    synth = synthGateway({ bundle: true, context: { bundleMetafile: 'true' } });
    bundles = stagedBundles(synth);
  }, 120_000);

  afterAll(() => {
    if (synth) rmSync(synth.assemblyDir, { recursive: true, force: true });
  });

  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: the staged bundle is within the bundle size budget (npm run bench -- bundles)', (name) => {
    const bundle = bundles.get(name) as StagedBundle;
    expect(bundle.inputs.size).toBeGreaterThan(0);
    expect(bundle.bytes).toBeGreaterThan(0);
    expect(bundle.bytes).toBeLessThanOrEqual(BUNDLE_SIZE_BUDGET_BYTES);
  });

  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: the staged bundle is ASCII (BUNDLE_SETTINGS.charset), so Node reads it into a one-byte string', async (name) => {
    const bytes = await readFile((bundles.get(name) as StagedBundle).file);
    const offset = bytes.findIndex((byte) => byte > 0x7f);
    expect(offset === -1 ? undefined : bytes.subarray(Math.max(0, offset - 40), offset + 40).toString('utf8')).toBeUndefined();
  });

  // An ESM import of a builtin builds its namespace, running every lazy getter: on Node 24 node:util's loads ~17
  // internal modules (~0.5 ms of init) and node:zlib's ~1.5 ms; the global TextDecoder and infra/bundling/crc.ts need neither.
  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: the staged bundle imports neither node:util nor node:zlib at module load', async (name) => {
    const text = await readFile((bundles.get(name) as StagedBundle).file, 'utf8');
    expect(text.match(/(?:\bfrom\s*|\bimport\s*)"(?:node:)?(?:util|zlib)"/g) ?? []).toEqual([]);
  });

  it(`${REBUILT}: esbuild with BUNDLE_SETTINGS builds exactly the staged bundle (nothing CDK drops or adds)`, async () => {
    const result = await build({
      entryPoints: [`functions/${REBUILT}.ts`],
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
      logLevel: 'error',
    });
    const built = result.outputFiles.find((file) => file.path.endsWith('index.mjs'));
    const staged = await readFile((bundles.get(REBUILT) as StagedBundle).file, 'utf8');
    expect(firstDifference(built?.text ?? '', staged)).toBeUndefined();
  }, 60_000);

  it.each(HANDLERS.map((spec) => [spec.name] as const))('%s: the event-stream codec and mnemonist are the shims (infra/bundling/)', (name) => {
    const inputs = inputsOf(name);
    expect([...inputs.keys()].filter((file) => file.includes('/event-streams/') || file.includes('node_modules/mnemonist/') || file.includes('node_modules/obliterator/'))).toEqual([]);
    expect(inputs.has('infra/bundling/no-event-streams.ts')).toBe(true);
    expect(inputs.has('infra/bundling/lru-cache.ts')).toBe(true);
  });

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s: the bill pipeline and S3 only if it serves bills', (_name, spec) => {
    const inputs = inputsOf(spec.name);
    if (servesBills(spec)) {
      expect(billPipeline(inputs)).toContain('lib/bills/service.ts');
      expect(reaches(inputs, '@aws-sdk/client-s3')).toBe(true);
    } else {
      expect(billPipeline(inputs)).toEqual([]);
      expect(reaches(inputs, '@aws-sdk/client-s3')).toBe(false);
      expect(reaches(inputs, '@aws-sdk/s3-request-presigner')).toBe(false);
    }
  });

  it.each(HANDLERS.filter(servesBills).map((spec) => [spec.name] as const))('%s: S3 is the copy with literal schema keys, and carries only the schemas it uses', (name) => {
    const inputs = inputsOf(name);
    const s3Files = [...inputs.keys()].filter((file) => file.includes('node_modules/@aws-sdk/client-s3/'));
    expect(s3Files.length).toBeGreaterThan(0);
    expect(s3Files.filter((file) => !file.startsWith('.bundling/'))).toEqual([]);
    const schemas = s3Files.filter((file) => file.endsWith('/dist-es/schemas/schemas_0.js'));
    expect(schemas).toHaveLength(1);
    expect(inputs.get(schemas[0] as string)).toBeLessThanOrEqual(S3_SCHEMAS_MAX_BYTES);
  });

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s: the EventBridge client only if it settles orders, and only PutEvents of it', (_name, spec) => {
    const inputs = inputsOf(spec.name);
    expect(reaches(inputs, '@aws-sdk/client-eventbridge')).toBe(spec.publishesEvents);
    expect(inputs.has('lib/events/eventbridge-sink.ts')).toBe(spec.publishesEvents);
    expect(packageBytes(inputs, '@aws-sdk/client-eventbridge')).toBeLessThanOrEqual(EVENTBRIDGE_MAX_BYTES);
  });
});
