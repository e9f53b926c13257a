// The S3 client the bundles carry (infra/bundling/s3-client.ts): its schema module, with the trait keys spelled
// out, describes exactly what the installed package's does (every export, followed through its lazy references),
// and the copy is the installed version's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { S3_CLIENT_COPY } from '../../infra/constructs/gateway-functions.js';
import { installedS3ClientDir, literalTraitKeys, S3_SCHEMAS_MODULE, s3ClientForBundles } from '../../infra/bundling/s3-client.js';
import { REPO_ROOT } from '../architecture/imports.js';

const installed = installedS3ClientDir(REPO_ROOT);
const copyRoot = path.resolve(path.dirname(S3_CLIENT_COPY), '..');
const scratch = mkdtempSync(path.join(tmpdir(), 's3-client-copy-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A schema module as an ES module Node can load (the package's own imports are extensionless): its exports. */
async function loadSchemas(packageDir: string, name: string): Promise<Record<string, unknown>> {
  const outfile = path.join(scratch, `${name}.mjs`);
  await build({
    stdin: { contents: `export * from ${JSON.stringify(path.join(packageDir, S3_SCHEMAS_MODULE))};`, resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
  });
  return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
}

/**
 * Structural equality of two schema graphs: arrays and plain objects member by member (keys in order), the lazy
 * `() => Schema$` references by what they return, classes (the errors) by name, registries by their contents.
 * Cycles are followed once. Answers the first difference's path, or undefined.
 */
function difference(a: unknown, b: unknown, at: string, seen = new Map<unknown, unknown>()): string | undefined {
  if (typeof a === 'function' && typeof b === 'function') {
    if ('prototype' in a && a.prototype) return a.name === b.name ? undefined : `${at}: class ${a.name} vs ${b.name}`;
    return difference((a as () => unknown)(), (b as () => unknown)(), `${at}()`, seen);
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? undefined : `${at}: ${String(a)} vs ${String(b)}`;
  if (seen.has(a)) return seen.get(a) === b ? undefined : `${at}: a cycle closes on different objects`;
  seen.set(a, b);
  if (a instanceof Map && b instanceof Map) return difference([...a], [...b], `${at}<map>`, seen);
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) && !Array.isArray(a)) {
    const nameA = (a.constructor as { name?: string }).name;
    if (nameA !== (b.constructor as { name?: string }).name) return `${at}: ${nameA} vs another class`;
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join('\u0000') !== keysB.join('\u0000')) return `${at}: keys [${keysA.join(', ')}] vs [${keysB.join(', ')}]`;
  for (const key of keysA) {
    const found = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`, seen);
    if (found) return found;
  }
  return undefined;
}

describe('the bundles’ copy of @aws-sdk/client-s3', () => {
  it('spells out every computed key of the schema module that names a string constant, and nothing else', () => {
    const source = readFileSync(path.join(installed, S3_SCHEMAS_MODULE), 'utf8');
    const computed = (text: string): number => (text.match(/\[_[A-Za-z0-9_$]+\]:/g) ?? []).length;
    expect(computed(source)).toBeGreaterThan(1000);
    const literal = literalTraitKeys(source);
    expect(computed(literal)).toBe(0);
    expect(readFileSync(path.join(copyRoot, S3_SCHEMAS_MODULE), 'utf8')).toBe(literal);
    // Everything but those keys is the package's text.
    expect(literal.replace(/"[^"\n]*":/g, 'K:')).toBe(source.replace(/\[_[A-Za-z0-9_$]+\]:/g, 'K:').replace(/"[^"\n]*":/g, 'K:'));
  });

  it('leaves a computed key alone when it names no string constant of the module', () => {
    const source = 'const _a = "alpha";\nlet _b = "beta";\nexport var X$ = [{ [_a]: 1, [_b]: 2, [_c]: 3 }];\n';
    expect(literalTraitKeys(source)).toBe('const _a = "alpha";\nlet _b = "beta";\nexport var X$ = [{ "alpha": 1, [_b]: 2, [_c]: 3 }];\n');
  });

  it('exports the same schema graph as the installed package (every export, lazy references followed)', async () => {
    const theirs = await loadSchemas(installed, 'installed');
    const ours = await loadSchemas(copyRoot, 'copy');
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(Object.keys(theirs).length).toBeGreaterThan(400);
    expect(theirs.GetObjectOutput$).toBeDefined();
    expect(difference(ours, theirs, 'schemas')).toBeUndefined();
  }, 60_000);

  it('is the installed version, found again (not copied again) on the next call', () => {
    const manifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest(copyRoot).version).toBe(manifest(installed).version);
    expect(manifest(copyRoot).sideEffects).toBe(false);
    expect(copyRoot.startsWith(path.join(REPO_ROOT, '.bundling'))).toBe(true);
    expect(copyRoot.includes(path.join('node_modules', '@aws-sdk', 'client-s3'))).toBe(true);
    expect(s3ClientForBundles(REPO_ROOT)).toBe(S3_CLIENT_COPY);
  });
});
