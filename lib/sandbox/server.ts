// The sandbox platform's HTTP server: strict system-level checks of every call (fields, app_key,
// timestamp skew, signature, method, token, decryption), business dispatch, signed envelopes, faults.
import { createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';
import { DEMO_ACCOUNTS } from './accounts.js';
import { parseRequestTimestamp } from './china-time.js';
import {
  downBill,
  issueAccessToken,
  pay,
  payQuery,
  queryCard,
  refund,
  type BusinessAnswer,
  type BusinessContext,
} from './business.js';
import { CONTROL_PATH, handleControl, type ControlDeps } from './control.js';
import { FaultQueue } from './faults.js';
import { seedDay } from './seed.js';
import { SandboxWorld } from './state.js';
import {
  ERROR_REQUEST_FIELDS,
  SANDBOX_METHODS,
  type ErrorRequestField,
  type Sandbox,
  type SandboxClock,
  type SandboxFault,
  type SeedOptions,
  type SeedResult,
  type SandboxOptions,
  type SynjonesSecretJson,
} from './types.js';
import {
  buildEnvelope,
  decodeStrictBase64,
  decryptTripleDes,
  encryptBillText,
  encryptTripleDes,
  loadPrivateKeyMaterial,
  loadPublicKeyMaterial,
  parseForm,
  rsaSha1Verify,
  signString,
  tripleDesKeyFromSecret,
} from './wire.js';

export const GATEWAY_PATH = '/onecard/uap/gateway.action';
export const BILL_PATH = '/onecard/uap/downbill.do';
const REQUIRED_FIELDS = ['method', 'timestamp', 'format', 'app_key', 'access_token', 'v', 'sign_method', 'request', 'sign'];
/** The spec's byte-length limits of the system fields (1.2.1); longer is an illegal message (40001). */
const SYSTEM_FIELD_MAX_BYTES: Readonly<Record<string, number>> = {
  method: 64,
  timestamp: 19,
  format: 16,
  app_key: 128,
  access_token: 128,
  v: 16,
  sign_method: 16,
};
const ZERO_TOKEN = '0'.repeat(128);
const MAX_BODY_BYTES = 1024 * 1024;

const ROOT_KEYS: Readonly<Record<string, string>> = {
  [SANDBOX_METHODS.accessToken]: 'authorize_access_token',
  [SANDBOX_METHODS.queryCard]: 'query_card',
  [SANDBOX_METHODS.pay]: 'gdccard_pay',
  [SANDBOX_METHODS.refund]: 'gdccard_refund',
  [SANDBOX_METHODS.payQuery]: 'pay_query',
  [SANDBOX_METHODS.downBill]: 'down_bill',
};

/** What processing a call produced, before faults shape the answer. */
type Outcome =
  | { readonly kind: 'system'; readonly errcode: string; readonly reason: string }
  | { readonly kind: 'business'; readonly rootKey: string; readonly answer: BusinessAnswer }
  | { readonly kind: 'bill'; readonly body: Buffer };

interface Keys {
  readonly platformPrivateKey: KeyObject;
  readonly platformPublicPem: string;
  readonly clientPublicKey: KeyObject;
  readonly clientPrivatePem?: string;
}

function generateRsa(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

async function resolveKeys(options: SandboxOptions): Promise<Keys> {
  const platform = options.platformPrivateKeyPem
    ? { privateKey: loadPrivateKeyMaterial(options.platformPrivateKeyPem) }
    : await generateRsa();
  const platformPublicPem = platformPublicKeyPem(platform.privateKey);
  if (options.clientPublicKeyPem) {
    return { platformPrivateKey: platform.privateKey, platformPublicPem, clientPublicKey: loadPublicKeyMaterial(options.clientPublicKeyPem) };
  }
  const client = await generateRsa();
  return {
    platformPrivateKey: platform.privateKey,
    platformPublicPem,
    clientPublicKey: client.publicKey,
    clientPrivatePem: client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function platformPublicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

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

  /** The system-level checks, then the method's business handler. */
  function processCall(path: string, fields: ReadonlyMap<string, string>, fault: SandboxFault | undefined): Outcome {
    const system = (errcode: string, reason: string): Outcome => ({ kind: 'system', errcode, reason });
    const missing = REQUIRED_FIELDS.filter((name) => !fields.get(name));
    if (missing.length > 0) return system('40001', `missing ${missing.join(',')}`);
    const field = (name: string): string => fields.get(name) ?? '';
    const tooLong = Object.entries(SYSTEM_FIELD_MAX_BYTES).filter(([name, max]) => Buffer.byteLength(field(name), 'utf8') > max);
    if (tooLong.length > 0) return system('40001', `too long: ${tooLong.map(([name]) => name).join(',')}`);
    if (field('format') !== 'json') return system('40015', 'format');
    if (field('v') !== '2.0') return system('40016', 'v');
    if (field('sign_method') !== 'rsa') return system('40003', 'sign_method');
    if (field('app_key') !== appKey) return system('40002', 'app_key');
    const sentAt = parseRequestTimestamp(field('timestamp'));
    if (!sentAt || Math.abs(now().getTime() - sentAt.getTime()) > maxSkewMs) return system('40018', 'timestamp');
    if (!rsaSha1Verify(signString(fields), field('sign'), keys.clientPublicKey)) return system('40004', 'sign');
    const method = field('method');
    const rootKey = ROOT_KEYS[method];
    const allowedHere = path === BILL_PATH ? method === SANDBOX_METHODS.downBill : method !== SANDBOX_METHODS.downBill;
    if (rootKey === undefined || !allowedHere) return system('40012', 'method');
    const accessToken = field('access_token');
    if (method === SANDBOX_METHODS.accessToken) {
      if (accessToken !== ZERO_TOKEN) return system('40017', 'token call needs 128 zeros');
    } else if (accessToken !== world.liveToken()?.value) {
      return system('40017', 'access_token');
    }
    const plain = decryptTripleDes(field('request'), tripleDesKey);
    if (!plain) return system('40001', 'request does not decrypt');
    // A wrong key still "decrypts" when the garbage happens to end in valid padding (about 1 in 256):
    // bytes that are not UTF-8 text did not decrypt either. Only text that is not JSON is a format error.
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      return system('40001', 'request does not decrypt to UTF-8 text');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return system('40015', 'request is not JSON');
    }
    const root = isObject(parsed) ? parsed[rootKey] : undefined;
    if (!isObject(root)) return system('40015', `request has no ${rootKey} object`);
    if (fault?.type === 'retcode') {
      return { kind: 'business', rootKey, answer: { retcode: fault.retcode, errmsg: fault.errmsg ?? `sandbox fault: retcode ${fault.retcode}` } };
    }

    switch (method) {
      case SANDBOX_METHODS.accessToken:
        return { kind: 'business', rootKey, answer: issueAccessToken(context) };
      case SANDBOX_METHODS.queryCard:
        return { kind: 'business', rootKey, answer: queryCard(context, root) };
      case SANDBOX_METHODS.pay:
        return { kind: 'business', rootKey, answer: pay(context, root) };
      case SANDBOX_METHODS.refund:
        return { kind: 'business', rootKey, answer: refund(context, root) };
      case SANDBOX_METHODS.payQuery:
        return { kind: 'business', rootKey, answer: payQuery(context, root) };
      default: {
        const bill = downBill(context, root);
        if (bill.kind === 'refused') return { kind: 'business', rootKey, answer: bill.answer };
        // The bill's text in the platform's encoding (UTF-8, or GBK like many deployed platforms), then as is or DES'd.
        const bytes = billEncoding === 'gbk' ? iconv.encode(bill.text, 'gbk') : Buffer.from(bill.text, 'utf8');
        const body = bill.cryptType === '0' ? bytes : Buffer.from(encryptBillText(bytes, billDesKey), 'ascii');
        return { kind: 'bill', body };
      }
    }
  }


  /** A signed envelope; an error one (errcode ≠ 0) carries `request` as the fault or the option says. */
  function envelope(
    errcode: string,
    requestValue: string | undefined,
    fault: SandboxFault | undefined,
    method: string,
  ): { readonly text: string; readonly errorRequestField?: ErrorRequestField } {
    const common = { corruptSignature: fault?.type === 'badSignature', plusAsSpace: fault?.type === 'plusAsSpace' };
    if (errcode === '0') return { text: buildEnvelope(errcode, requestValue, keys.platformPrivateKey, common) };
    const signing = faults.takeEmptyRequest(method);
    const reading: ErrorRequestField =
      signing === 'named' ? 'emptyNamed' : signing === 'omitted' ? 'emptyOmitted' : defaultErrorRequest;
    const emptyRequest = reading === 'emptyNamed' ? 'named' : reading === 'emptyOmitted' ? 'omitted' : undefined;
    const text = buildEnvelope(errcode, undefined, keys.platformPrivateKey, { ...common, ...(emptyRequest ? { emptyRequest } : {}) });
    return { text, errorRequestField: reading };
  }

  const pendingTimers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();
  let closing = false;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
    if (controlEnabled && (path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`))) {
      return handleControl(request, response, path, controlDeps);
    }
    if (path !== GATEWAY_PATH && path !== BILL_PATH) return sendText(response, 404, 'not found');
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return sendText(response, 405, 'method not allowed');
    }
    const body = await readBody(request);
    if (!body) return sendText(response, 413, 'request too large');

    const contentType = request.headers['content-type'] ?? '';
    const form = /^application\/x-www-form-urlencoded\b/i.test(contentType) ? parseForm(body) : undefined;
    const fields = form?.ok ? form.fields : new Map<string, string>();
    const method = fields.get('method') ?? '';
    const taken = faults.take(method);
    const fault = taken.fault;
    const at = now();
    let answered: { errcode: string; processed: boolean; retcode?: string; reason?: string };
    let errorRequestField: ErrorRequestField | undefined;
    const signed = (errcode: string, requestValue: string | undefined): Buffer => {
      const built = envelope(errcode, requestValue, fault, method);
      errorRequestField = built.errorRequestField;
      return Buffer.from(built.text);
    };
    let contentTypeOut = 'text/plain;charset=UTF-8';
    let payload: Buffer;
    if (fault?.type === 'busy') {
      payload = signed('-1', undefined);
      answered = { errcode: '-1', processed: false };
    } else if (fault?.type === 'systemError') {
      payload = signed(fault.errcode, undefined);
      answered = { errcode: fault.errcode, processed: false };
    } else if (fault?.type === 'gbkText') {
      payload = iconv.encode(fault.text ?? '签名错误', 'gbk');
      contentTypeOut = 'text/html;charset=GBK';
      answered = { errcode: 'TEXT', processed: false };
    } else {
      if (fault?.type === 'invalidateToken') world.token = undefined;
      const outcome: Outcome = !form?.ok
        ? { kind: 'system', errcode: '40001', reason: form ? form.reason : 'not a form body' }
        : processCall(path, fields, fault);
      if (outcome.kind === 'system') {
        payload = signed(outcome.errcode, undefined);
        answered = { errcode: outcome.errcode, processed: false, reason: outcome.reason };
      } else if (outcome.kind === 'business') {
        const requestValue =
          fault?.type === 'garbled'
            ? randomBytes(13).toString('base64') // 13 bytes: never whole 3DES blocks
            : encryptTripleDes(Buffer.from(JSON.stringify({ [outcome.rootKey]: outcome.answer }), 'utf8'), tripleDesKey);
        payload = signed('0', requestValue);
        answered = { errcode: '0', processed: fault?.type !== 'retcode', retcode: outcome.answer.retcode };
      } else {
        payload = fault?.type === 'garbled' ? Buffer.from(randomBytes(13).toString('base64'), 'ascii') : outcome.body;
        answered = { errcode: 'BILL', processed: true, retcode: '0' };
      }
    }
    if (fault?.type === 'dropAfterCommit') answered = { ...answered, errcode: 'DROPPED' };
    if (fault?.type === 'timeout') answered = { ...answered, errcode: 'UNANSWERED' };

    const faultType = fault?.type ?? (taken.latencyMs === undefined ? undefined : 'latency');
    world.calls.push({
      method,
      path,
      errcode: answered.errcode,
      ...(answered.retcode === undefined ? {} : { retcode: answered.retcode }),
      ...(faultType === undefined ? {} : { fault: faultType }),
      ...(taken.latencyMs === undefined ? {} : { latencyMs: taken.latencyMs }),
      ...(errorRequestField === undefined ? {} : { errorRequestField }),
      processed: answered.processed,
      at,
    });
    log(
      `sandbox ${path} method=${method || '-'} errcode=${answered.errcode} retcode=${answered.retcode ?? '-'}` +
        (answered.reason === undefined ? '' : ` reason="${answered.reason}"`) +
        (faultType === undefined ? '' : ` fault=${faultType}`) +
        (taken.latencyMs === undefined ? '' : ` latency=${taken.latencyMs}ms`),
    );

    if (fault?.type === 'dropAfterCommit') {
      request.socket.destroy();
      return;
    }
    if (fault?.type === 'timeout') {
      // Held open until the client gives up (or the sandbox closes); the answer never comes.
      held.add(response);
      response.once('close', () => held.delete(response));
      return;
    }
    const send = (): void => {
      if (response.destroyed || response.writableEnded) return;
      response.writeHead(200, { 'Content-Type': contentTypeOut, 'Content-Length': payload.length });
      response.end(payload);
    };
    if (taken.latencyMs !== undefined && taken.latencyMs > 0) {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        send();
      }, taken.latencyMs);
      pendingTimers.add(timer);
    } else {
      send();
    }
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
    async close(): Promise<void> {
      closing = true;
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      for (const response of held) response.destroy();
      held.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain;charset=UTF-8' });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
