// Starts the sandbox platform for a test file with cached test keys (fast), and exposes the
// client-side key objects; plus a manual clock and a raw `sandboxCall` for wire-level tests.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { startSandbox, type Sandbox, type SandboxOptions, type SynjonesSecretJson } from '../../lib/sandbox/index.js';
import { buildRequest, decodeEnvelope, type DecodedEnvelope } from '../../lib/protocol/envelope.js';
import { METHODS, type MethodKey } from '../../lib/protocol/methods.js';
import { testKeyPair } from './keys.js';

export interface TestSandboxOptions extends Omit<SandboxOptions, 'clientPublicKeyPem' | 'platformPrivateKeyPem'> {
  /** testKeyPair name of the client key (default 'sandbox-client'). */
  readonly clientKeyName?: string;
  /** testKeyPair name of the platform key (default 'sandbox-platform'). */
  readonly platformKeyName?: string;
}

export interface TestSandbox extends Sandbox {
  readonly secret: SynjonesSecretJson & { private_key: string; platform_public_key: string };
  readonly clientPrivateKey: KeyObject;
  /** The platform key at start (sandboxCall verifies with it; not updated by rotatePlatformKey). */
  readonly platformPublicKey: KeyObject;
  /** The 24-byte 3DES key (base64-decoded app_secret, 16 bytes expanded K1K2K1). */
  readonly tripleDesKey: Buffer;
  /** The bill's DES key: bill_key, else the first 8 bytes of the 3DES key. */
  readonly billDesKey: Buffer;
}

/** Starts a sandbox on a random loopback port; close it in afterAll. */
export async function startTestSandbox(options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const { clientKeyName = 'sandbox-client', platformKeyName = 'sandbox-platform', ...rest } = options;
  const client = testKeyPair(clientKeyName);
  const platform = testKeyPair(platformKeyName);
  const sandbox = await startSandbox({ ...rest, clientPublicKeyPem: client.publicPem, platformPrivateKeyPem: platform.privatePem });
  const raw = Buffer.from(sandbox.secret.app_secret, 'base64');
  const tripleDesKey = raw.length === 16 ? Buffer.concat([raw, raw.subarray(0, 8)]) : raw;
  const billDesKey = sandbox.secret.bill_key ? Buffer.from(sandbox.secret.bill_key, 'base64') : tripleDesKey.subarray(0, 8);
  return {
    url: sandbox.url,
    billUrl: sandbox.billUrl,
    controlUrl: sandbox.controlUrl,
    clock: sandbox.clock,
    seedDay: (billDate, count, seedOptions) => sandbox.seedDay(billDate, count, seedOptions),
    faults: sandbox.faults,
    state: sandbox.state,
    rotatePlatformKey: (privateKeyPem) => sandbox.rotatePlatformKey(privateKeyPem),
    registerClientKey: (publicKeyPem) => sandbox.registerClientKey(publicKeyPem),
    close: () => sandbox.close(),
    secret: {
      ...sandbox.secret,
      private_key: client.privatePem,
      platform_public_key: createPublicKey(platform.privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    },
    clientPrivateKey: client.privateKey,
    platformPublicKey: platform.publicKey,
    tripleDesKey,
    billDesKey,
  };
}

/** A clock tests move by hand; pass `clock.now` as options.now. */
export interface ManualClock {
  now(): Date;
  advance(ms: number): void;
  set(at: Date): void;
}

export function manualClock(start: Date = new Date()): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (at) => {
      current = at.getTime();
    },
  };
}

export interface RawCallResult {
  readonly status: number;
  readonly body: Buffer;
  /** The decoded envelope (signature verified), or undefined when the body is not one (bill, text). */
  readonly envelope?: DecodedEnvelope;
  /** The business root object, when the envelope carried one. */
  readonly root?: Record<string, unknown>;
}

export interface RawCallOptions {
  readonly accessToken?: string;
  readonly at?: Date;
  /** Change the built form fields before they are sent (values raw; `sign` is NOT recomputed). */
  readonly mutate?: (fields: Record<string, string>) => void;
  /** Send to the bill URL (default for downBill). */
  readonly billEndpoint?: boolean;
  readonly signal?: AbortSignal;
}

/** Builds one call with the real client codec and POSTs it; returns the raw answer. */
export async function sendSandboxRequest(
  sandbox: TestSandbox,
  method: MethodKey,
  body: object,
  options: RawCallOptions = {},
): Promise<{ status: number; body: Buffer }> {
  const spec = METHODS[method];
  const built = buildRequest({
    method: spec.name,
    rootKey: spec.rootKey,
    body,
    appKey: sandbox.secret.app_key,
    accessToken: options.accessToken ?? '0'.repeat(128),
    privateKey: sandbox.clientPrivateKey,
    tripleDesKey: sandbox.tripleDesKey,
    ...(options.at ? { at: options.at } : {}),
  });
  const fields = { ...built.fields };
  options.mutate?.(fields);
  const form = Object.entries(fields)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  const url = (options.billEndpoint ?? spec.billEndpoint) ? sandbox.billUrl : sandbox.url;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: form,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** Sends one call and decodes the answer (signature verified); bills and text come back raw. */
export async function sandboxCall(
  sandbox: TestSandbox,
  method: MethodKey,
  body: object,
  options: RawCallOptions = {},
): Promise<RawCallResult> {
  const { status, body: bytes } = await sendSandboxRequest(sandbox, method, body, options);
  if (!/(^|&)errcode=/.test(bytes.toString('utf8'))) return { status, body: bytes };
  const envelope = decodeEnvelope(bytes, {
    tripleDesKey: sandbox.tripleDesKey,
    platformPublicKey: sandbox.platformPublicKey,
    httpStatus: status,
  });
  const json = envelope.json as Record<string, unknown> | undefined;
  const root = json?.[METHODS[method].rootKey] as Record<string, unknown> | undefined;
  return { status, body: bytes, envelope, ...(root ? { root } : {}) };
}

/** Issues a token (token call) and returns it; throws if the sandbox refused. */
export async function issueSandboxToken(sandbox: TestSandbox, at?: Date): Promise<string> {
  const result = await sandboxCall(sandbox, 'accessToken', {}, at ? { at } : {});
  const token = result.root?.access_token;
  if (typeof token !== 'string') throw new Error(`sandbox refused the token call: ${JSON.stringify(result.root ?? result.envelope)}`);
  return token;
}
