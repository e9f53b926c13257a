// Key rotation in the middle of the load: the platform registers a new client key and starts signing
// with a new platform key, and the secret every instance reads is replaced in the same instant. Each
// instance must recover within one signature failure, while the other clients keep paying.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { SANDBOX_METHODS } from '../../lib/sandbox/index.js';
import { DEFAULT_MIN_REFRESH_INTERVAL_MS } from '../../lib/secrets/index.js';
import { sleep, type Tally } from './http.js';
import type { LoadControl } from './load.js';
import type { CampaignStack } from './stack.js';

export interface RotationReport {
  /** performance.now() of the switch. */
  readonly at: number;
  /** Per instance: answers naming a signature failure after the switch, before its first success. */
  readonly failuresBeforeRecovery: ReadonlyMap<number, number>;
  /** Per instance: signature failures after it had recovered (must be none). */
  readonly failuresAfterRecovery: ReadonlyMap<number, number>;
  /** Per instance: whether a call through it succeeded after the switch. */
  readonly recovered: ReadonlyMap<number, boolean>;
  /** 40004 answers of the platform after the switch (each a request signed with the old key, retried by the client). */
  readonly platformSignRefusals: number;
  /** Payments and refunds sent in the fault-free window around the switch. */
  readonly ordersInWindow: number;
}

const SIGNATURE_CODES = new Set(['UPSTREAM_BAD_SIGNATURE', 'UPSTREAM_40004']);
/** Routes whose success proves a platform call verified (a replay served from the ledger proves nothing). */
const PLATFORM_ROUTES = new Set(['payments.create', 'refunds.create', 'cards.query', 'payments.query']);

function rsa(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey }))),
  );
}

/**
 * Faults off; a quiet spell longer than the secret's refresh window (so no instance re-read it just
 * before and would be held to that read); then the switch, all in one tick of this process, which
 * hosts the sandbox: no request reaches the platform between the keys changing and the file changing.
 */
export async function rotateMidRun(stack: CampaignStack, tally: Tally, control: LoadControl, windowMs: number): Promise<RotationReport> {
  control.suspendFaults(true);
  const [client, platform] = await Promise.all([rsa(), rsa(), sleep(DEFAULT_MIN_REFRESH_INTERVAL_MS + 1_000)]);
  const next = {
    ...stack.currentSecret(),
    private_key: client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    platform_public_key: '',
  };
  const platformPrivatePem = platform.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const staged = `${stack.secretFile}.rotated`;
  const sandboxCallsBefore = stack.sandbox.state.calls.length;
  const samplesBefore = tally.samples.length;

  // The switch: no await from here to the rename.
  stack.sandbox.registerClientKey(client.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  next.platform_public_key = stack.sandbox.rotatePlatformKey(platformPrivatePem);
  writeFileSync(staged, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(staged, stack.secretFile);
  stack.adoptSecret(next);
  const at = performance.now();
  control.resume();

  // The load goes on without faults until every instance has made a verified platform call, or the window ends.
  const deadline = at + windowMs;
  const recovered = new Map<number, boolean>(stack.instances.map((instance) => [instance.index, false]));
  while (performance.now() < deadline && [...recovered.values()].some((value) => !value)) {
    for (const sample of tally.samples.slice(samplesBefore)) {
      if (sample.startedAt >= at && sample.status < 300 && PLATFORM_ROUTES.has(sample.route)) recovered.set(sample.instance, true);
    }
    await sleep(100);
  }
  const after = tally.samples.slice(samplesBefore).filter((sample) => sample.startedAt >= at);
  const before = new Map<number, number>();
  const later = new Map<number, number>();
  for (const instance of stack.instances) {
    const mine = after.filter((sample) => sample.instance === instance.index);
    const firstSuccess = mine.findIndex((sample) => sample.status < 300 && PLATFORM_ROUTES.has(sample.route));
    const failed = (sample: (typeof mine)[number]): boolean => sample.code !== undefined && SIGNATURE_CODES.has(sample.code);
    const upTo = firstSuccess === -1 ? mine : mine.slice(0, firstSuccess);
    before.set(instance.index, upTo.filter(failed).length);
    later.set(instance.index, firstSuccess === -1 ? 0 : mine.slice(firstSuccess).filter(failed).length);
    recovered.set(instance.index, firstSuccess !== -1);
  }
  const platformSignRefusals = stack.sandbox.state.calls
    .slice(sandboxCallsBefore)
    .filter((call) => call.errcode === '40004' && call.method !== SANDBOX_METHODS.accessToken).length;
  const ordersInWindow = after.filter((sample) => sample.route === 'payments.create' || sample.route === 'refunds.create').length;
  control.suspendFaults(false);
  return { at, failuresBeforeRecovery: before, failuresAfterRecovery: later, recovered, platformSignRefusals, ordersInWindow };
}
