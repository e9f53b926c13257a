// Bundled in place of @aws-sdk/client-s3 (esbuild alias, see gateway-functions.ts): a copy of its ES build whose
// schema module spells its trait keys out ({ "httpHeader": _x } for { [_hH]: _x }), so esbuild can drop the schemas
// of the ~100 operations no function calls. esbuild keeps any object with a computed key that is not a literal as
// possibly side-effecting, and with it the whole schema graph: ~67 KB of down-bill's bundle, ~16 KB once spelled out.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's ES build's module of schemas, relative to the package. */
export const S3_SCHEMAS_MODULE = 'dist-es/schemas/schemas_0.js';

/** A module-level `const _name = "text";` of the schema module (the generated short names of its strings). */
const STRING_CONSTANT = /^const (_[A-Za-z0-9_$]+) = ("[^"\\\n]*");$/gm;
/** A computed key naming one of those constants: `[_hH]:`. */
const COMPUTED_KEY = /\[(_[A-Za-z0-9_$]+)\]:/g;

/**
 * The schema module with every computed key that names a string constant written as that string: the same
 * objects, but ones esbuild can see are free of side effects. Keys naming anything else are left as they are.
 */
export function literalTraitKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name as string, literal as string);
  return source.replace(COMPUTED_KEY, (key, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** The installed @aws-sdk/client-s3 (its directory), resolved as the bundles resolve it: from the repository. */
export function installedS3ClientDir(repoRoot: string): string {
  const require = createRequire(path.join(repoRoot, 'package.json'));
  return path.dirname(require.resolve('@aws-sdk/client-s3/package.json'));
}

/**
 * The copy the bundles alias @aws-sdk/client-s3 to (its dist-es/index.js), made once per installed version under
 * <repoRoot>/.bundling/ (git-ignored). It sits in a node_modules folder of its own so that its imports of other
 * packages resolve, as the original's do, to the repository's node_modules. The copy's package.json keeps what
 * esbuild and the client read of it (sideEffects, module; the version for the user agent), not the package's
 * whole manifest, which the client's `import packageInfo from "../package.json"` would put in every bundle.
 */
export function s3ClientForBundles(repoRoot: string = fileURLToPath(new URL('../..', import.meta.url))): string {
  const original = installedS3ClientDir(repoRoot);
  if (existsSync(path.join(original, 'node_modules'))) {
    // Its own nested dependencies would resolve differently from the copy: refuse rather than bundle other versions.
    throw new Error(`${original} has a node_modules of its own; infra/bundling/s3-client.ts cannot copy it faithfully`);
  }
  const manifest = JSON.parse(readFileSync(path.join(original, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    sideEffects?: unknown;
    module?: string;
  };
  const schemas = literalTraitKeys(readFileSync(path.join(original, S3_SCHEMAS_MODULE), 'utf8'));
  const stamp = createHash('sha256').update(manifest.version).update('\0').update(schemas).digest('hex').slice(0, 12);
  const copy = path.join(repoRoot, '.bundling', `client-s3-${manifest.version}-${stamp}`, 'node_modules', '@aws-sdk', 'client-s3');
  const entry = path.join(copy, 'dist-es', 'index.js');
  if (existsSync(entry)) return entry;

  // Built beside its final place and renamed into it: synths in parallel (test workers) never see half a copy.
  const parent = path.dirname(copy);
  mkdirSync(parent, { recursive: true });
  const building = path.join(parent, `.client-s3-${process.pid}-${Date.now().toString(36)}`);
  try {
    cpSync(path.join(original, 'dist-es'), path.join(building, 'dist-es'), { recursive: true });
    writeFileSync(path.join(building, S3_SCHEMAS_MODULE), schemas);
    const kept = { name: manifest.name, version: manifest.version, sideEffects: manifest.sideEffects, module: manifest.module };
    writeFileSync(path.join(building, 'package.json'), `${JSON.stringify(kept, null, 2)}\n`);
    renameSync(building, copy);
  } catch (error) {
    if (!existsSync(entry)) throw error;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return entry;
}
