// `npm start -- --instances 3` as a user runs it: three gateway processes on one dynalite and one
// sandbox, driven over HTTP only. One token call for a 150-call storm (counted at the sandbox's
// control route), a payment seen across processes, a clean bill, the callers file in every
// instance, and no process left behind after SIGINT, or after the parent is killed outright.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chinaDate } from '../../lib/protocol/timestamp.js';

const root = mkdtempSync(join(tmpdir(), 'onecard-fleet-main-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const callersFile = join(root, 'callers.json');
writeFileSync(
  callersFile,
  JSON.stringify({
    callers: [
      { name: 'canteen', routes: ['cards.query', 'payments.create', 'payments.read'], mercacc: ['1001'] },
      { name: 'finance', routes: ['payments.read', 'bills.read'], mercacc: '*' },
    ],
  }),
);

interface Started {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly instances: readonly { url: string; pid: number }[];
  readonly controlUrl: string;
}

/** Starts `lib/local/main.ts --instances N` (what `npm start` runs) and waits for its banner. */
async function startFleetProcess(count: number, dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts', '--instances', String(count)], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'SILENT', ONECARD_DATA_DIR: dataDir, ONECARD_CALLERS_FILE: callersFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 90 s:\n${out}`)), 90_000);
    const collect = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (out.includes('Ctrl-C stops all of them.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before its banner:\n${out}`));
    });
  });
  const instances = [...out.matchAll(/^ {2}instance (\d+) (http:\/\/127\.0\.0\.1:\d+) {2}pid (\d+)$/gm)].map((match) => ({
    url: match[2]!,
    pid: Number(match[3]),
  }));
  const controlUrl = /^ {2}control {4}(http:\/\/127\.0\.0\.1:\d+\/control) /m.exec(out)?.[1] ?? '';
  return { child, out: () => out, instances, controlUrl };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pids: readonly number[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (pids.every((pid) => !alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pids.every((pid) => !alive(pid));
}

async function http(url: string, caller: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(caller === undefined ? {} : { 'x-onecard-caller': caller }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('npm start -- --instances 3', () => {
  it('serves one fleet: one token for 150 calls, one ledger, a clean bill; SIGINT leaves no process', async () => {
    const fleet = await startFleetProcess(3, join(root, 'data-3'));
    try {
      expect(fleet.instances).toHaveLength(3);
      const pids = fleet.instances.map((instance) => instance.pid);
      expect(new Set(pids).size).toBe(3);
      expect(pids).not.toContain(fleet.child.pid);
      expect(fleet.out()).toContain(`callers    ${callersFile} (ONECARD_CALLERS_FILE, read by every instance)`);
      const [one, two, three] = fleet.instances.map((instance) => instance.url) as [string, string, string];

      // The callers file reached every process: no header is refused by each of them.
      for (const url of [one, two, three]) {
        expect((await http(`${url}/v1/cards/query`, undefined, { idtype: 'sno', id: '2015032719' })).status).toBe(401);
      }

      expect((await http(`${fleet.controlUrl}/calls`, undefined)).body.total).toBe(0);
      const storm = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          http(`${fleet.instances[i % 3]!.url}/v1/cards/query`, 'canteen', { idtype: 'sno', id: '2015032719' }),
        ),
      );
      expect(storm.map((answer) => answer.status)).toEqual(Array(150).fill(200));
      const calls = (await http(`${fleet.controlUrl}/calls`, undefined)).body;
      expect(calls.by_method).toEqual({ 'synjones.authorize.access_token': 1, 'synjones.onecard.query.card': 150 });

      const orderNo = `fleet-${Date.now().toString(36)}`;
      const paid = await http(`${one}/v1/payments`, 'canteen', { order_no: orderNo, account: '32718', tranamt: '12.50', mercacc: '1001' });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ status: 'SUCCESS', tranamt: '12.50' });
      const read = await http(`${three}/v1/payments/${orderNo}`, 'canteen');
      expect(read.status).toBe(200);
      expect(read.body).toEqual(paid.body);

      const bill = await http(`${two}/v1/bills/${chinaDate()}`, 'finance');
      expect(bill.status).toBe(200);
      expect(bill.body.rows.map((row: { order_no: string }) => row.order_no)).toEqual([orderNo]);
      expect(bill.body.reconciliation).toEqual({
        matched: 1,
        settled: 0,
        missing_local: [],
        missing_remote: [],
        mismatched: [],
        pending: [],
        counts: { missing_local: 0, missing_remote: 0, mismatched: 0, pending: 0 },
      });
      const after = (await http(`${fleet.controlUrl}/calls`, undefined)).body.by_method;
      expect(after['synjones.authorize.access_token']).toBe(1);

      // SIGINT to the parent alone (a terminal's Ctrl-C also reaches the children): it stops them all.
      const exited = new Promise<number | null>((resolve) => fleet.child.once('exit', resolve));
      fleet.child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(fleet.out()).toContain('stopped');
      expect(await gone(pids, 1_000)).toBe(true);
    } finally {
      fleet.child.kill('SIGKILL');
    }
  }, 150_000);

  it('leaves no instance behind when the parent itself is killed (SIGKILL)', async () => {
    const fleet = await startFleetProcess(2, join(root, 'data-2'));
    const pids = fleet.instances.map((instance) => instance.pid);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    fleet.child.kill('SIGKILL');
    expect(await gone(pids, 10_000)).toBe(true);
  }, 120_000);

  it('refuses an instance count out of range, from the command line or ONECARD_INSTANCES', () => {
    const run = (args: readonly string[], env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'lib/local/main.ts', ...args], {
        cwd: join(import.meta.dirname, '../..'),
        env: { ...process.env, PORT: '0', LOG_LEVEL: 'SILENT', ONECARD_DATA_DIR: join(root, 'refused'), ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const zero = run(['--instances', '0'], {});
    expect(zero.status).toBe(1);
    expect(zero.stderr).toContain('--instances must be a number from 1 to 16, got "0"');
    const many = run([], { ONECARD_INSTANCES: '17' });
    expect(many.status).toBe(1);
    expect(many.stderr).toContain('invalid environment variable(s): ONECARD_INSTANCES');
  }, 120_000);
});
