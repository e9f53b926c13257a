// The layer rules of STYLE.md, held by a test: the imports of every module in lib/, functions/ and
// infra/ are parsed and each rule names the file, the import and the rule it breaks.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, parseImports, REPO_ROOT, sourceFiles, type ModuleImport } from './imports.js';

interface Rule {
  /** Short name, used by PENDING_MOVE. */
  readonly name: string;
  /** The rule in words (STYLE.md "Layer rules"), with the reason for any exception. */
  readonly text: string;
  /** The files it governs (repository-relative). */
  readonly governs: (file: string) => boolean;
  /** True when this import breaks it. */
  readonly forbids: (imported: ModuleImport) => boolean;
}

const under = (directory: string) => (file: string): boolean => file.startsWith(`${directory}/`);
const localUnder = (imported: ModuleImport, directory: string): boolean => imported.local && imported.target.startsWith(`${directory}/`);

/** Modules that do I/O (files, sockets, processes, AWS, Lambda): lib/protocol may import none of them. */
const IO_MODULES = new Set([
  'node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:http2', 'node:dgram', 'node:dns',
  'node:dns/promises', 'node:tls', 'node:child_process', 'node:cluster', 'node:worker_threads', 'node:readline',
  'node:inspector', 'node:repl', 'node:sqlite', 'aws-lambda', 'aws-cdk-lib', 'constructs', 'undici', 'dynalite',
]);
const IO_PACKAGE = /^(?:@aws-sdk|@smithy|@aws-lambda-powertools|@middy)\//;
const isIoModule = (target: string): boolean => IO_MODULES.has(target) || IO_MODULES.has(target.split('/')[0] ?? '') || IO_PACKAGE.test(target);

/** What infra/ may take from lib/: shared constants (table keys, metric names, function timeouts, BILL_FINAL_AFTER) and the API contract. */
const INFRA_MAY_IMPORT = new Set(['lib/tables.ts', 'lib/observability/names.ts', 'lib/function-timeouts.ts', 'lib/callers/schema.ts', 'lib/bill-final-after.ts']);

const RULES: readonly Rule[] = [
  {
    name: 'protocol-is-pure',
    text:
      'lib/protocol/ imports nothing from the rest of lib/ and no I/O module. One exception: lib/errors.ts, the shared ' +
      'error bases its wire errors extend, which itself imports nothing (rule errors-base-imports-nothing)',
    governs: under('lib/protocol'),
    forbids: (imported) =>
      imported.local
        ? !imported.target.startsWith('lib/protocol/') && imported.target !== 'lib/errors.ts'
        : isIoModule(imported.target),
  },
  {
    name: 'errors-base-imports-nothing',
    text: 'lib/errors.ts imports nothing, so lib/protocol/ importing it adds no dependency on the rest of lib/',
    governs: (file) => file === 'lib/errors.ts',
    forbids: () => true,
  },
  {
    name: 'only-adapter-knows-lambda',
    text: 'only the Lambda adapter (lib/adapter/), the local deployment (lib/local/) and functions/ import aws-lambda',
    governs: (file) => !['lib/adapter/', 'lib/local/', 'functions/'].some((room) => file.startsWith(room)),
    forbids: (imported) => imported.target === 'aws-lambda' || imported.target === '@types/aws-lambda',
  },
  {
    name: 'functions-never-sandbox-or-local',
    text: 'functions/ import lib/, never lib/sandbox/ or lib/local/',
    governs: under('functions'),
    forbids: (imported) => localUnder(imported, 'lib/sandbox') || localUnder(imported, 'lib/local'),
  },
  {
    name: 'only-local-imports-functions',
    text: 'lib/local/ (the local deployment, like infra/ is the cloud one) is the only room of lib/ that imports functions/',
    governs: (file) => file.startsWith('lib/') && !file.startsWith('lib/local/'),
    forbids: (imported) => localUnder(imported, 'functions'),
  },
  {
    name: 'infra-imports-constants-and-contract',
    text:
      'infra/ imports from lib/ only shared constants (lib/tables.ts, lib/observability/names.ts, lib/function-timeouts.ts), the API contract (lib/api/), ' +
      'the callers list schema (lib/callers/schema.ts: the list is validated at synth as the functions load it) ' +
      'and BILL_FINAL_AFTER\'s format and default (lib/bill-final-after.ts: validated at synth as the bill function reads it, and the daily run checked against it)',
    governs: under('infra'),
    forbids: (imported) => localUnder(imported, 'lib') && !INFRA_MAY_IMPORT.has(imported.target) && !localUnder(imported, 'lib/api'),
  },
  {
    name: 'sandbox-own-codec',
    text:
      'lib/sandbox/ (the platform stand-in) imports nothing from the rest of lib/: not lib/platform/, no lib/protocol/ ' +
      'module. Decision: not even lib/protocol/codes.ts, although it is pure data; which errcodes and retcodes the ' +
      'stand-in answers, and what they mean, is its own reading of the spec, and sharing the client\'s table (or its ' +
      'envelope, crypto, bill, money or time code) would make a misreading agree with itself. ' +
      'test/sandbox/independence.test.ts holds the stricter form (only node built-ins, iconv-lite and its own files)',
    governs: under('lib/sandbox'),
    forbids: (imported) => localUnder(imported, 'lib') && !localUnder(imported, 'lib/sandbox'),
  },
  {
    name: 'imports-resolve',
    text: 'every relative import names an existing file (an unresolved path would slip past the rules above)',
    governs: () => true,
    forbids: (imported) => imported.local && !imported.resolved,
  },
];

/**
 * Imports allowed to break a rule while a move is under way, each naming what ends it. Empty since
 * lib/http/ was dissolved into lib/adapter/, lib/api/, lib/presenters/ and lib/observability/ (issue
 * 9 item 6). An entry whose file is gone or no longer breaks its rule fails the test below.
 */
const PENDING_MOVE: readonly { readonly rule: string; readonly file: string; readonly target: string; readonly until: string }[] = [];

const FILES = sourceFiles(['lib', 'functions', 'infra']);
const IMPORTS = FILES.flatMap((file) => importsOf(file));

interface Violation {
  readonly rule: Rule;
  readonly imported: ModuleImport;
}

function violations(rule: Rule, imports: readonly ModuleImport[] = IMPORTS): Violation[] {
  return imports.filter((imported) => rule.governs(imported.file) && rule.forbids(imported)).map((imported) => ({ rule, imported }));
}

function describeViolation({ rule, imported }: Violation): string {
  const names = imported.target === imported.specifier ? '' : ` (${imported.target})`;
  return `${imported.file}:${imported.line} imports '${imported.specifier}'${names}: breaks rule ${rule.name}: ${rule.text}`;
}

const isPending = ({ rule, imported }: Violation): boolean =>
  PENDING_MOVE.some((entry) => entry.rule === rule.name && entry.file === imported.file && entry.target === imported.target);

describe('layer rules (STYLE.md)', () => {
  it('reads every form of import: static, type-only, re-export, side effect, dynamic, import type, require', () => {
    const source = [
      "// a fixture",
      "import type { A } from './a.js';",
      "import { type B, C } from '../lib/b.js';",
      "export * from './c.js';",
      "export type { D } from './d.js';",
      "import 'node:fs';",
      "const e = await import('@aws-sdk/client-s3');",
      "type F = typeof import('aws-lambda');",
      "const g = require('http');",
      "// import { commented } from './out.js';",
      "const text = \"import { quoted } from './out.js'\";",
    ].join('\n');
    const parsed = parseImports('functions/fixture.ts', source);
    expect(parsed.map((imported) => [imported.target, imported.line])).toEqual([
      ['functions/a.ts', 2],
      ['lib/b.ts', 3],
      ['functions/c.ts', 4],
      ['functions/d.ts', 5],
      ['node:fs', 6],
      ['@aws-sdk/client-s3', 7],
      ['aws-lambda', 8],
      ['node:http', 9],
    ]);
    expect(parsed.filter((imported) => imported.local).every((imported) => !imported.resolved)).toBe(true);
  });

  it('sees the whole source tree', () => {
    expect(FILES).toContain('lib/protocol/envelope.ts');
    expect(FILES).toContain('functions/pay.ts');
    expect(FILES).toContain('infra/gateway-stack.ts');
    expect(IMPORTS.length).toBeGreaterThan(200);
    expect(IMPORTS.filter((imported) => imported.local && imported.resolved).length).toBeGreaterThan(100);
  });

  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    expect(violations(rule).filter((violation) => !isPending(violation)).map(describeViolation)).toEqual([]);
  });

  it('every PENDING_MOVE entry names an existing file that still breaks its rule (no stale entries)', () => {
    const stale = PENDING_MOVE.filter((entry) => {
      const rule = RULES.find((candidate) => candidate.name === entry.rule);
      if (!rule || !existsSync(path.join(REPO_ROOT, entry.file))) return true;
      return !violations(rule).some(({ imported }) => imported.file === entry.file && imported.target === entry.target);
    });
    expect(stale.map((entry) => `${entry.file} → ${entry.target} (${entry.rule}) is allowlisted but ${existsSync(path.join(REPO_ROOT, entry.file)) ? 'no longer breaks the rule' : 'no longer exists'}: delete the entry`)).toEqual([]);
  });

  it('each rule catches what it forbids (a planted import per rule)', () => {
    const planted: [string, string, string][] = [
      ['protocol-is-pure', 'lib/protocol/fixture.ts', "import type { Credentials } from '../platform/types.js';"],
      ['protocol-is-pure', 'lib/protocol/fixture.ts', "import { readFile } from 'node:fs/promises';"],
      ['errors-base-imports-nothing', 'lib/errors.ts', "import { x } from './tables.js';"],
      ['only-adapter-knows-lambda', 'lib/ledger/fixture.ts', "import type { Context } from 'aws-lambda';"],
      ['functions-never-sandbox-or-local', 'functions/fixture.ts', "import { startSandbox } from '../lib/sandbox/index.js';"],
      ['only-local-imports-functions', 'lib/runtime.ts', "const pay = await import('../functions/pay.js');"],
      ['infra-imports-constants-and-contract', 'infra/fixture.ts', "import { getConfig } from '../lib/config.js';"],
      ['sandbox-own-codec', 'lib/sandbox/fixture.ts', "export { formatYuan } from '../protocol/money.js';"],
      ['sandbox-own-codec', 'lib/sandbox/fixture.ts', "import type { BillRow } from '../platform/types.js';"],
      ['sandbox-own-codec', 'lib/sandbox/fixture.ts', "import { SYSTEM_ERRCODES } from '../protocol/codes.js';"],
      ['imports-resolve', 'lib/fixture.ts', "import { gone } from './no-such-module.js';"],
    ];
    for (const [name, file, line] of planted) {
      const rule = RULES.find((candidate) => candidate.name === name);
      expect(rule, name).toBeDefined();
      const found = violations(rule as Rule, parseImports(file, line)).map(describeViolation);
      expect(found, `${name} should forbid ${line} in ${file}`).toHaveLength(1);
      expect(found[0]).toContain(file);
      expect(found[0]).toContain(name);
    }
    // And allows what it allows.
    const allowed: [string, string, string][] = [
      ['protocol-is-pure', 'lib/protocol/fixture.ts', "import { GatewayError } from '../errors.js';"],
      ['protocol-is-pure', 'lib/protocol/fixture.ts', "import { createHash } from 'node:crypto';"],
      ['sandbox-own-codec', 'lib/sandbox/fixture.ts', "import { chinaDay } from './china-time.js';"],
      ['infra-imports-constants-and-contract', 'infra/fixture.ts', "import { SERVICE_NAME } from '../lib/observability/names.js';"],
      ['infra-imports-constants-and-contract', 'infra/fixture.ts', "import { parseFinalAfter } from '../lib/bill-final-after.js';"],
      ['only-adapter-knows-lambda', 'lib/local/fixture.ts', "import type { Context } from 'aws-lambda';"],
    ];
    for (const [name, file, line] of allowed) {
      expect(violations(RULES.find((candidate) => candidate.name === name) as Rule, parseImports(file, line)), `${name} allows ${line}`).toEqual([]);
    }
  });
});

describe('module headers (STYLE.md: a module starts with one or two lines saying what it is for)', () => {
  const DIRECTIVE = /^(?:eslint|@ts-|prettier-|istanbul|c8 |#region|biome-)/;

  /** The first comment's first line of text, when the file starts with `//` or `/**`. */
  function headerOf(source: string): string | undefined {
    const lines = source.replace(/^\uFEFF/, '').split('\n');
    const first = lines[0] ?? '';
    if (first.startsWith('//')) return first.slice(2).trim();
    if (first.startsWith('/**')) {
      const inline = first.slice(3).replace(/\*\/\s*$/, '').trim();
      return inline || (lines[1] ?? '').replace(/^\s*\*\s?/, '').trim();
    }
    return undefined;
  }

  it('every .ts module in lib/, functions/ and infra/ starts with a comment saying what it is for', () => {
    const missing = FILES.filter((file) => {
      const header = headerOf(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
      return header === undefined || DIRECTIVE.test(header) || header.split(/\s+/).length < 4;
    });
    expect(missing.map((file) => `${file}: does not start with a // or /** comment saying what the module is for`)).toEqual([]);
  });

  it('tells a header from its absence', () => {
    expect(headerOf('// The ledger store: DynamoDB items.\nimport x from "y";')).toBe('The ledger store: DynamoDB items.');
    expect(headerOf('/**\n * The token lease, one per fleet.\n */')).toBe('The token lease, one per fleet.');
    expect(headerOf('import x from "y";\n// late comment')).toBeUndefined();
  });
});
