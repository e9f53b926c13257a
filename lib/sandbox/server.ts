// The sandbox platform: startSandbox composes its world, keys, fault queue, call processing, the
// platform's HTTP endpoint and the control routes on one loopback port, and returns the handle to it.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_ACCOUNTS } from './accounts.js';
import type { BusinessContext } from './business.js';
import { createCallProcessor } from './calls.js';
import { CONTROL_PATH, handleControl, type ControlDeps } from './control.js';
import { FaultQueue } from './faults.js';
import { platformPublicKeyPem, resolveKeys } from './keys.js';
import { BILL_PATH, createPlatformEndpoint, GATEWAY_PATH, sendText } from './platform-endpoint.js';
import { seedDay } from './seed.js';
import { SandboxWorld } from './state.js';
import {
  ERROR_REQUEST_FIELDS,
  type Sandbox,
  type SandboxClock,
  type SeedOptions,
  type SeedResult,
  type SandboxOptions,
  type SynjonesSecretJson,
} from './types.js';
import { decodeStrictBase64, loadPrivateKeyMaterial, loadPublicKeyMaterial, tripleDesKeyFromSecret } from './wire.js';

/** Starts the sandbox platform on a loopback port. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const baseNow = options.now ?? ((): Date => new Date());
  let clockOffsetMs = 0;
  const now = (): Date => new Date(baseNow().getTime() + clockOffsetMs);
  const clock: SandboxClock = {
    now,
    get offsetMs() {
      return clockOffsetMs;
    },
    setOffsetMs(offsetMs) {
      if (!Number.isSafeInteger(offsetMs)) throw new Error('sandbox clock offset must be integer milliseconds');
      clockOffsetMs = offsetMs;
    },
  };
  const appKey = options.appKey ?? 'onecard-sandbox';
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;
  const minTokenIntervalMs = options.minTokenIntervalMs ?? 120_000;
  const maxSkewMs = options.maxSkewMs ?? 360_000;
  const log = options.logger ?? ((): void => {});

  const appSecret = options.appSecret ?? randomBytes(24).toString('base64');
  const tripleDesKey = tripleDesKeyFromSecret(appSecret);
  const billKey = options.billKey === 'generate' ? randomBytes(8).toString('base64') : options.billKey;
  let billDesKey = tripleDesKey.subarray(0, 8);
  if (billKey !== undefined) {
    const decoded = decodeStrictBase64(billKey);
    if (decoded?.length !== 8) throw new Error('sandbox billKey must be base64 of 8 bytes');
    billDesKey = decoded;
  }
  const defaultErrorRequest = options.errorRequestField ?? 'absent';
  const billEncoding = options.billEncoding ?? 'utf8';
  if (!ERROR_REQUEST_FIELDS.includes(defaultErrorRequest)) throw new Error(`sandbox errorRequestField must be one of ${ERROR_REQUEST_FIELDS.join(', ')}`);
  let keys = await resolveKeys(options);

  const world = new SandboxWorld(options.accounts ?? DEMO_ACCOUNTS, appKey, now);
  const faults = new FaultQueue();
  const context: BusinessContext = {
    world,
    now,
    paidReplay: options.paidReplay ?? 'original',
    tokenTtlSeconds,
    minTokenIntervalMs,
  };

  const processCall = createCallProcessor({
    appKey,
    maxSkewMs,
    now,
    keys: () => keys,
    world,
    context,
    tripleDesKey,
    billDesKey,
    billEncoding,
  });
  const endpoint = createPlatformEndpoint({
    faults,
    world,
    now,
    log,
    processCall,
    tripleDesKey,
    platformPrivateKey: () => keys.platformPrivateKey,
    defaultErrorRequest,
  });
  let closing = false;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    if (controlEnabled && (path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`))) {
      return handleControl(request, response, path, controlDeps);
    }
    return endpoint.handle(request, response, path);
  }

  const server = createServer((request, response) => {
    if (closing) {
      request.socket.destroy();
      return;
    }
    handle(request, response).catch((error: unknown) => {
      log(`sandbox internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) sendText(response, 500, 'internal error');
      else response.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  const controlEnabled = options.control ?? true;
  const seed = (billDate: string, count: number, seedOptions?: SeedOptions): SeedResult =>
    seedDay(world, billDate, count, seedOptions);
  const state = world.view();
  const controlDeps: ControlDeps = { faults, state, clock, seedDay: seed, listenHost: host };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const secret: SynjonesSecretJson = {
    app_key: appKey,
    app_secret: appSecret,
    ...(keys.clientPrivatePem === undefined ? {} : { private_key: keys.clientPrivatePem }),
    platform_public_key: keys.platformPublicPem,
    ...(billKey === undefined ? {} : { bill_key: billKey }),
  };
  log(`sandbox platform listening on ${origin}${GATEWAY_PATH} with ${world.accounts.size} accounts`);

  return {
    url: `${origin}${GATEWAY_PATH}`,
    billUrl: `${origin}${BILL_PATH}`,
    controlUrl: `${origin}${CONTROL_PATH}`,
    clock,
    seedDay: seed,
    secret,
    faults,
    state,
    rotatePlatformKey(privateKeyPem: string): string {
      const platformPrivateKey = loadPrivateKeyMaterial(privateKeyPem);
      keys = { ...keys, platformPrivateKey, platformPublicPem: platformPublicKeyPem(platformPrivateKey) };
      return keys.platformPublicPem;
    },
    registerClientKey(publicKeyPem: string): void {
      keys = { ...keys, clientPublicKey: loadPublicKeyMaterial(publicKeyPem) };
    },
    async close(): Promise<void> {
      closing = true;
      endpoint.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
