// Reads what each source module imports, for the layer rules: static, type-only, re-exports,
// dynamic import(), import types and require, each resolved to a repository path or a package name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root, with a trailing separator. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ModuleImport {
  /** The importing file, repository-relative ('lib/adapter/http-handler.ts'). */
  readonly file: string;
  /** The specifier as written ('../protocol/errors.js', 'node:fs', '@aws-sdk/client-s3'). */
  readonly specifier: string;
  /**
   * What it names: a repository path for a relative import ('lib/protocol/errors.ts'), 'node:<name>'
   * for a Node built-in (with or without the prefix as written), else the package specifier itself.
   */
  readonly target: string;
  /** True for a relative import (target is a repository path). */
  readonly local: boolean;
  /** False when a relative import names no file. */
  readonly resolved: boolean;
  readonly line: number;
}

const BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, '')));
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'cdk.out', '.git']);

/** Every .ts module (including .d.ts) under the given repository directories, repository-relative, sorted. */
export function sourceFiles(directories: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(REPO_ROOT, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(child);
      } else if (entry.isFile() && /\.(?:m|c)?ts$/.test(entry.name)) {
        found.push(child);
      }
    }
  };
  for (const directory of directories) walk(directory);
  return found.sort();
}

/** The imports of one module's text; `file` is its repository-relative path (relative specifiers resolve from it). */
export function parseImports(file: string, source: string): ModuleImport[] {
  const { importedFiles } = ts.preProcessFile(source, true, true);
  return importedFiles.map(({ fileName: specifier, pos }) => {
    const line = source.slice(0, pos).split('\n').length;
    if (specifier.startsWith('.')) {
      const target = resolveLocal(path.posix.join(path.posix.dirname(file), specifier));
      const named = asTypeScript(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
      return { file, specifier, target: target ?? named, local: true, resolved: target !== undefined, line };
    }
    const bare = specifier.replace(/^node:/, '');
    const target = specifier.startsWith('node:') || BUILTINS.has(bare) ? `node:${bare}` : specifier;
    return { file, specifier, target, local: false, resolved: true, line };
  });
}

/** The imports of a module on disk. */
export function importsOf(file: string): ModuleImport[] {
  return parseImports(file, readFileSync(path.join(REPO_ROOT, file), 'utf8'));
}

/** 'lib/x.js' → 'lib/x.ts' (or the file as named, or its index.ts), when that file exists. */
function resolveLocal(joined: string): string | undefined {
  const normal = path.posix.normalize(joined);
  const candidates = [
    asTypeScript(normal),
    normal,
    `${normal}.ts`,
    `${normal}/index.ts`,
  ];
  return candidates.find((candidate) => statSync(path.join(REPO_ROOT, candidate), { throwIfNoEntry: false })?.isFile() === true);
}

/** The source file a compiled name stands for: x.js → x.ts (and .mjs → .mts, .cjs → .cts). */
function asTypeScript(name: string): string {
  return name.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts');
}
