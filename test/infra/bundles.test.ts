// The bundles `cdk synth` stages are the deployed artifacts: each loads in a fresh Node process, exports
// `handler`, does no network I/O while loading, and contains only its own code path.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SETTINGS } from '../../infra/constructs/gateway-functions.js';
import { HANDLERS } from '../../infra/constructs/handlers.js';
import { DUMMY_LAMBDA_ENV, synthGateway, type SynthResult } from './synth.js';

/** Every module that declares error classes (lib/errors.ts and each room's errors.ts), from the repository root. */
const ERROR_MODULES = readdirSync(fileURLToPath(new URL('../../lib', import.meta.url)), { recursive: true, encoding: 'utf8' })
  .filter((file) => path.basename(file) === 'errors.ts')
  .map((file) => `lib/${file.split(path.sep).join('/')}`)
  .sort();

/**
 * Preloaded before the bundle: every way out to the network throws and is counted, so a module that
 * connects, resolves a name or fetches during init is caught even if it swallows the error.
 */
const NO_IO_PRELOAD = `
import net from 'node:net';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
globalThis.__ioAttempts = [];
const refuse = (what) => function () { globalThis.__ioAttempts.push(what); throw new Error('I/O during module init: ' + what); };
net.Socket.prototype.connect = refuse('net.connect');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
http.request = refuse('http.request');
https.request = refuse('https.request');
globalThis.fetch = refuse('fetch');
syncBuiltinESMExports();
`;

const LOAD_SCRIPT = (bundleUrl: string): string => `
import(${JSON.stringify(bundleUrl)}).then(
  (module) => {
    setTimeout(() => {
      const attempts = globalThis.__ioAttempts;
      console.log(JSON.stringify({ handler: typeof module.handler, attempts }));
      process.exit(typeof module.handler === 'function' && attempts.length === 0 ? 0 : 1);
    }, 50);
  },
  (error) => { console.error(error); process.exit(2); },
);
`;

describe('function bundles staged by cdk synth', () => {
  let synth: SynthResult;
  let bundles: Map<string, string>;
  let preloadUrl: string;

  beforeAll(() => {
    // The real thing: esbuild bundling as `cdk synth` does it (CI's `npm run synth` adds CDK's template validation).
    synth = synthGateway({ bundle: true, context: { bundleMetafile: 'true' } });
    bundles = new Map();
    const functions = Object.values(synth.json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    for (const fn of functions) {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const dir = path.join(synth.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
      bundles.set(fn.Properties.Description as string, dir);
    }
    const preload = path.join(synth.assemblyDir, 'no-io-preload.mjs');
    writeFileSync(preload, NO_IO_PRELOAD);
    preloadUrl = pathToFileURL(preload).href;
  });

  afterAll(() => {
    if (synth) rmSync(synth.assemblyDir, { recursive: true, force: true });
  });

  it('stages one ESM bundle with a source map per handler', () => {
    expect(bundles.size).toBe(HANDLERS.length);
    for (const spec of HANDLERS) {
      const dir = bundles.get(spec.description);
      expect(dir, spec.name).toBeDefined();
      expect(existsSync(path.join(dir as string, 'index.mjs'))).toBe(true);
      expect(existsSync(path.join(dir as string, 'index.mjs.map'))).toBe(true);
      // createRequire banner for the CommonJS parts of the dependencies.
      expect(readFileSync(path.join(dir as string, 'index.mjs'), 'utf8').slice(0, 200)).toContain('createRequire');
    }
  });

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s loads in a fresh Node process, exports handler, does no I/O', (_name, spec) => {
    const dir = bundles.get(spec.description) as string;
    const result = spawnSync(
      process.execPath,
      ['--import', preloadUrl, '--input-type=module', '-e', LOAD_SCRIPT(pathToFileURL(path.join(dir, 'index.mjs')).href)],
      { env: { PATH: process.env.PATH ?? '', ...DUMMY_LAMBDA_ENV }, encoding: 'utf8', timeout: 20_000 },
    );
    // Only the SDK's own Node-version notice may appear on stderr (on Node 20); nothing failing.
    expect(result.stderr.split('\n').filter((line) => /error|I\/O during/i.test(line))).toEqual([]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').pop() as string)).toEqual({ handler: 'function', attempts: [] });
  });

  it('keeps every error class name through minification (the bundles are built without keepNames)', async () => {
    // error.name reaches logs and the ledger's stored errors; each class declares its name (lib/errors.ts).
    expect(BUNDLE_SETTINGS.keepNames).toBe(false);
    const outfile = path.join(synth.assemblyDir, 'error-names', 'index.mjs');
    await build({
      stdin: {
        contents: ERROR_MODULES.map((file) => `export * from './${file}';`).join(' '),
        resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: BUNDLE_SETTINGS.format,
      target: BUNDLE_SETTINGS.target,
      minify: BUNDLE_SETTINGS.minify,
      keepNames: BUNDLE_SETTINGS.keepNames,
      outfile,
      logLevel: 'error',
    });
    const exported = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    const classes = Object.entries(exported).filter(
      (entry): entry is [string, abstract new (...args: never[]) => Error] =>
        typeof entry[1] === 'function' && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(classes.length).toBeGreaterThan(20);
    expect(classes.filter(([name, errorClass]) => errorClass.name !== name).map(([name]) => name)).toEqual([]);
    const ValidationError = exported.ValidationError as new (message: string) => Error;
    expect(new ValidationError('x').name).toBe('ValidationError');
  });

  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s carries the event-stream and LRU stand-ins (the CLI aliases reach subpaths)', (_name, spec) => {
    const dir = bundles.get(spec.description) as string;
    const meta = JSON.parse(readFileSync(path.join(dir, 'index.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((input) => input.includes('/event-streams/') || input.includes('node_modules/mnemonist/'))).toEqual([]);
    expect(inputs.some((input) => input.endsWith('infra/bundling/no-event-streams.ts'))).toBe(true);
    expect(inputs.some((input) => input.endsWith('infra/bundling/lru-cache.ts'))).toBe(true);
  });

  // Size and init time against the budget are measured by test/bench/bundles.bench.ts (PASS/FAIL there).
  it.each(HANDLERS.map((spec) => [spec.name, spec] as const))('%s bundles only its own code path', (_name, spec) => {
    const dir = bundles.get(spec.description) as string;
    expect(statSync(path.join(dir, 'index.mjs')).size).toBeGreaterThan(0);
    const meta = JSON.parse(readFileSync(path.join(dir, 'index.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    // Its own handler file and no other handler's.
    const handlerFiles = inputs.filter((input) => /(^|\/)functions\/[^/]+\.ts$/.test(input));
    expect(handlerFiles.map((file) => path.basename(file, '.ts'))).toEqual([spec.name]);
    // Never the test-only or local-only code.
    expect(inputs.filter((input) => /(^|\/)(lib\/sandbox|lib\/local|test)\//.test(input) || input.includes('node-forge'))).toEqual([]);
    const usesS3 = inputs.some((input) => input.includes('@aws-sdk/client-s3/'));
    expect(usesS3).toBe(spec.bucketPrefixes.length > 0);
    // The SDK's default credential chain is replaced by the environment-only shim on Lambda.
    expect(inputs.filter((input) => input.includes('credential-provider-node/') || input.includes('@aws-sdk/nested-clients/'))).toEqual([]);
    expect(inputs.some((input) => input.endsWith('infra/bundling/lambda-credentials.ts'))).toBe(true);
    // Runtime schemas use zod's mini API (lib/protocol/zod.ts); classic zod would add ~65 KB and its init.
    expect(inputs.filter((input) => input.includes('zod/v4/classic/'))).toEqual([]);
    // node:stream/web (middy's, for streamed responses only) is the shim, never loaded at init.
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).not.toMatch(/["']node:stream\/web["']/);
    expect(inputs.some((input) => input.endsWith('infra/bundling/stream-web.ts'))).toBe(inputs.some((input) => input.includes('@middy/core/')));
  });
});
