// `npm start` as a user runs it: the banner names the built-in sandbox's control URL, and
// `--sandbox-port` puts the sandbox on the port asked for; with a callers list its Try commands name callers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The data directory of the servers started here (not the project's .local/data), removed at the end. */
const dataDir = mkdtempSync(join(tmpdir(), 'onecard-main-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<{ out: string; code: number | null; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts', ...args], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'SILENT', ONECARD_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ out, code: null, stop }), 40_000);
    const collect = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (out.includes('Ctrl-C stops it.')) {
        clearTimeout(timer);
        resolve({ out, code: null, stop });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ out, code, stop });
    });
  });
}

describe('npm start', () => {
  it('prints the sandbox control URL, on the port --sandbox-port gives, and it answers', async () => {
    const port = await freePort();
    const started = await run(['--sandbox-port', String(port)]);
    try {
      expect(started.out).toContain(`platform   built-in sandbox at http://127.0.0.1:${port}/onecard/uap/gateway.action`);
      expect(started.out).toContain(`control    http://127.0.0.1:${port}/control`);
      const response = await fetch(`http://127.0.0.1:${port}/control/accounts/32719`);
      expect(((await response.json()) as { balance: string }).balance).toBe('50.00');
    } finally {
      await started.stop();
    }
  }, 60_000);

  it('with a callers list: the banner names the callers, and its Try commands, run as printed, are answered', async () => {
    const callersFile = join(dataDir, 'callers.json');
    // Listed before canteen, each would fail one command: library has no 1001, audit may only read (another's order
    // is 404 to it), kiosk may pay at most 10.00 (the banner's payment is 12.50).
    writeFileSync(callersFile, JSON.stringify({ callers: [
      { name: 'library', principals: ['arn:aws:iam::111122223333:role/library'], routes: ['payments.read'], mercacc: ['2001'] },
      { name: 'audit', principals: ['arn:aws:iam::111122223333:role/audit'], routes: ['payments.read'], mercacc: ['1001'] },
      { name: 'kiosk', principals: ['arn:aws:iam::111122223333:role/kiosk'], routes: ['payments.create', 'payments.read'], mercacc: ['1001'], max_tranamt: '10.00' },
      { name: 'canteen', principals: ['arn:aws:iam::111122223333:role/canteen'], routes: ['cards.query', 'payments.create', 'payments.read'], mercacc: ['1001'] },
    ] }));
    const started = await run([], { ONECARD_CALLERS_FILE: callersFile });
    try {
      expect(started.out).toContain("callers    library, audit, kiosk, canteen (ONECARD_CALLERS_FILE): each request names one, -H 'x-onecard-caller: <name>'");
      // The three commands, as curl would send them.
      const commands = started.out.slice(started.out.indexOf('Try:')).split(/\n\s*\n/).map((block) => block.replace(/\\\n\s*/g, ' ').trim()).filter((block) => block.startsWith('curl'));
      expect(commands).toHaveLength(3);
      for (const command of commands) {
        const url = /curl -s (\S+)/.exec(command)![1]!;
        const caller = /x-onecard-caller: ([a-z-]+)/.exec(command)?.[1];
        const body = /-d '(.*)'/.exec(command)?.[1];
        expect(caller, command).toBe('canteen');
        const response = await fetch(url, body ? { method: 'POST', headers: { 'content-type': 'application/json', 'x-onecard-caller': caller! }, body } : { headers: { 'x-onecard-caller': caller! } });
        expect(response.status, command).toBe(200);
      }
    } finally {
      await started.stop();
    }
  }, 60_000);

  it('refuses a --sandbox-port that is not a port', async () => {
    const started = await run(['--sandbox-port', '70000']);
    await started.stop();
    expect(started.code).toBe(1);
    expect(started.out).toContain('--sandbox-port must be a number from 0 to 65535');
  }, 60_000);
});
