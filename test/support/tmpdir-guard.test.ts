// The litter check of tmpdir-guard.ts only sees what lands in the run's own temporary directory:
// prove that the workers and the processes they spawn use it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { leftovers } from './tmpdir-guard.js';

describe('the run-private temporary directory', () => {
  const runTmpdir = inject('runTmpdir');

  it('is what os.tmpdir() answers in a worker, and exists for the whole run', async () => {
    expect(basename(runTmpdir)).toMatch(/^onecard-test-run-/);
    expect(tmpdir()).toBe(runTmpdir);
    expect(existsSync(runTmpdir)).toBe(true);
    const made = await mkdtemp(join(tmpdir(), 'onecard-guard-'));
    expect(dirname(made)).toBe(runTmpdir);
    await rm(made, { recursive: true });
  });

  it('is inherited by child processes', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], { encoding: 'utf8' });
    expect(child.stdout).toBe(runTmpdir);
  });
});

describe('leftovers', () => {
  it("counts everything but tsx's reused compile cache", () => {
    expect(leftovers(['tsx-0', 'onecard-bills-x1', 'cdk.outAb12', 'tsx-1000'])).toEqual(['cdk.outAb12', 'onecard-bills-x1']);
    expect(leftovers(['tsx-0-copy', 'tsx'])).toEqual(['tsx', 'tsx-0-copy']);
  });

  it("counts everything but Node's own compile cache (Node 22+), by its exact name", () => {
    expect(leftovers(['node-compile-cache', 'onecard-data-x1'])).toEqual(['onecard-data-x1']);
    expect(leftovers(['node-compile-cache-old', 'node-compile'])).toEqual(['node-compile', 'node-compile-cache-old']);
  });
});
