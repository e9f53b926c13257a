// vitest globalSetup: the run gets a temporary directory of its own (TMPDIR, inherited by every
// worker and child process), and the run fails, naming them, if anything is left in it at the end.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The temporary directory of this run (what os.tmpdir() answers in the tests). */
    runTmpdir: string;
  }
}

/** TMPDIR on POSIX; TMP and TEMP on Windows (os.tmpdir() reads them on each call). */
const VARIABLES = ['TMPDIR', 'TMP', 'TEMP'] as const;

/**
 * What the run left that counts as litter: everything but the compile caches, tsx's (`tsx-<uid>`, one
 * directory reused by every tsx process, here by the tests that start a CLI under tsx) and Node's own
 * (`node-compile-cache`, which Node 22+ keeps for the processes that enable it), both of which go with
 * the run's directory like the rest.
 */
export function leftovers(entries: readonly string[]): string[] {
  return entries.filter((entry) => !/^tsx-\d+$/.test(entry) && entry !== 'node-compile-cache').sort();
}

/**
 * A private directory rather than a before/after listing of the system one: other runs on a shared
 * machine write there too, and would fail this run (or hide its litter) at random.
 */
export default function setup(project: TestProject): () => void {
  const runTmpdir = mkdtempSync(join(tmpdir(), 'onecard-test-run-'));
  const previous = VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of VARIABLES) process.env[name] = runTmpdir;
  project.provide('runTmpdir', runTmpdir);

  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    const left = leftovers(readdirSync(runTmpdir));
    rmSync(runTmpdir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports a teardown error ("error during close") but keeps the exit code: set it.
      process.exitCode = 1;
      throw new Error(
        `the test run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in its temporary directory ` +
          `(remove what a test creates in afterAll/afterEach): ${left.join(', ')}`,
      );
    }
  };
}
