// The sandbox's fault-control routes (JSON over HTTP on its own port, loopback only): queue, list
// and clear faults; read accounts and balances; seed a day; move the clock; read the call log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOKEN_TOO_FREQUENT } from './business.js';
import { chinaIso } from './china-time.js';
import type { FaultQueue } from './faults.js';
import { fenToYuan } from './money.js';
import { parseFault, FaultInputError } from './control-input.js';
import {
  SANDBOX_METHODS,
  type SandboxAccountView,
  type SandboxCall,
  type SandboxClock,
  type SandboxState,
  type SeedOptions,
  type SeedResult,
} from './types.js';

export const CONTROL_PATH = '/control';
const MAX_CONTROL_BODY_BYTES = 64 * 1024;
const MAX_OFFSET_MS = 10 * 366 * 24 * 60 * 60 * 1000;

export interface ControlDeps {
  readonly faults: FaultQueue;
  readonly state: SandboxState;
  readonly clock: SandboxClock;
  seedDay(billDate: string, count: number, options?: SeedOptions): SeedResult;
  /** The address the sandbox listens on; control answers only when it is loopback. */
  readonly listenHost: string;
}

type Json = Record<string, unknown>;

class ControlError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms, and `localhost`. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Answers one control request; every answer is JSON. */
export async function handleControl(request: IncomingMessage, response: ServerResponse, path: string, deps: ControlDeps): Promise<void> {
  try {
    if (!isLoopback(deps.listenHost) || !isLoopback(request.socket.remoteAddress)) {
      throw new ControlError(403, 'FORBIDDEN', `control routes answer only on loopback (the sandbox listens on ${deps.listenHost})`);
    }
    const { status, body } = await route(request, path, deps);
    sendJson(response, status, body);
  } catch (error) {
    if (error instanceof ControlError) {
      sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      return;
    }
    if (error instanceof FaultInputError) {
      sendJson(response, 400, { error: { code: 'BAD_REQUEST', message: error.message } });
      return;
    }
    throw error;
  }
}

async function route(request: IncomingMessage, path: string, deps: ControlDeps): Promise<{ status: number; body: Json }> {
  const method = request.method ?? 'GET';
  const sub = path.slice(CONTROL_PATH.length).replace(/\/+$/, '');
  const allow = (...methods: string[]): void => {
    if (!methods.includes(method)) throw new ControlError(405, 'METHOD_NOT_ALLOWED', `${method} ${path}: use ${methods.join(' or ')}`);
  };
  if (sub === '') {
    allow('GET');
    return { status: 200, body: index(deps) };
  }
  if (sub === '/faults') {
    allow('GET', 'POST', 'DELETE');
    if (method === 'GET') return { status: 200, body: { faults: queued(deps) } };
    if (method === 'DELETE') {
      const cleared = deps.faults.pending.length;
      deps.faults.clear();
      return { status: 200, body: { cleared, faults: [] } };
    }
    const input = await readJson(request);
    const { fault, times, methods } = parseFault(input);
    deps.faults.inject(fault, { times, ...(methods ? { methods } : {}) });
    return { status: 201, body: { queued: { ...fault, remaining: times, ...(methods ? { methods } : {}) }, faults: queued(deps) } };
  }
  if (sub === '/accounts') {
    allow('GET');
    return { status: 200, body: { accounts: deps.state.accounts.map(accountJson) } };
  }
  const account = /^\/accounts\/([^/]+)$/.exec(sub);
  if (account) {
    allow('GET');
    const number = decodeURIComponent(account[1] ?? '');
    const view = deps.state.account(number);
    if (!view) throw new ControlError(404, 'NOT_FOUND', `the sandbox has no account ${JSON.stringify(number.slice(0, 20))}`);
    return { status: 200, body: accountJson(view) };
  }
  const day = /^\/days\/([^/]+)\/orders$/.exec(sub);
  if (day) {
    allow('POST');
    const input = await readJson(request);
    const unknown = Object.keys(input).filter((name) => name !== 'count' && name !== 'seed');
    if (unknown.length > 0) throw new ControlError(400, 'BAD_REQUEST', `unknown field(s): ${unknown.join(', ')} (expected count, seed)`);
    if (input.count === undefined) throw new ControlError(400, 'BAD_REQUEST', 'count is required (how many orders to generate)');
    try {
      const result = deps.seedDay(decodeURIComponent(day[1] ?? ''), input.count as number, input.seed === undefined ? {} : { seed: input.seed as number });
      return {
        status: 201,
        body: {
          bill_date: result.billDate,
          created: result.created,
          payments: result.payments,
          refunds: result.refunds,
          failed: result.failed,
          orders_that_day: result.ordersThatDay,
        },
      };
    } catch (error) {
      throw new ControlError(400, 'BAD_REQUEST', error instanceof Error ? error.message : String(error));
    }
  }
  if (sub === '/clock') {
    allow('GET', 'PUT');
    if (method === 'PUT') setClock(await readJson(request), deps.clock);
    return { status: 200, body: clockJson(deps.clock) };
  }
  if (sub === '/calls') {
    allow('GET', 'DELETE');
    if (method === 'DELETE') deps.state.clearCalls();
    const all = deps.state.calls;
    const calls = all.slice(-100).map((call) => ({ ...call, at: chinaIso(call.at) }));
    // Counts cover every call since the last clear, not only the 100 listed (e.g. a storm's one token call).
    const byMethod: Record<string, number> = {};
    for (const call of all) byMethod[call.method] = (byMethod[call.method] ?? 0) + 1;
    return { status: 200, body: { total: all.length, by_method: byMethod, calls, tokens: tokenCalls(all) } };
  }
  throw new ControlError(404, 'NOT_FOUND', `no control route ${path} (GET ${CONTROL_PATH} lists them)`);
}

function index(deps: ControlDeps): Json {
  return {
    routes: [
      'GET    /control/faults                      what is queued',
      'POST   /control/faults                      {"type":"busy","times":2,"method":"pay"}',
      'DELETE /control/faults                      clear the queue',
      'GET    /control/accounts                    accounts and balances',
      'GET    /control/accounts/{account}          one account',
      'POST   /control/days/{yyyyMMdd}/orders      {"count":1000,"seed":1}',
      'GET    /control/clock                       the platform clock',
      'PUT    /control/clock                       {"offset_ms":-400000} or {"now":"2026-12-01T23:59:50+08:00"}',
      'GET    /control/calls                       the last 100 platform calls, counts by method, every token call (DELETE clears)',
    ],
    fault_types: [
      'busy',
      'latency {ms}',
      'timeout',
      'dropAfterCommit',
      'badSignature',
      'gbkText {text?}',
      'plusAsSpace',
      'invalidateToken',
      'retcode {retcode, errmsg?}',
      'systemError {errcode}',
      'garbled',
      'emptyRequest {signing: omitted|named}',
    ],
    methods: Object.entries(SANDBOX_METHODS).map(([short, name]) => `${short} = ${name}`),
    queued: deps.faults.pending.length,
    clock: clockJson(deps.clock),
  };
}

/** Every token call since the last clear of the call log: the 2-minute rule is checked on this. */
function tokenCalls(all: readonly SandboxCall[]): Json {
  const calls = all.filter((call) => call.method === SANDBOX_METHODS.accessToken);
  let closest: number | null = null;
  for (let i = 1; i < calls.length; i++) {
    const gap = (calls[i] as SandboxCall).at.getTime() - (calls[i - 1] as SandboxCall).at.getTime();
    closest = closest === null ? gap : Math.min(closest, gap);
  }
  return {
    total: calls.length,
    issued: calls.filter((call) => call.errcode === '0' && call.retcode === '0').length,
    refused_too_frequent: calls.filter((call) => call.retcode === TOKEN_TOO_FREQUENT).length,
    closest_gap_ms: closest,
    calls: calls.map((call) => ({ at: chinaIso(call.at), errcode: call.errcode, ...(call.retcode === undefined ? {} : { retcode: call.retcode }) })),
  };
}

function queued(deps: ControlDeps): Json[] {
  return deps.faults.pending.map((entry) => ({
    ...entry.fault,
    remaining: Number.isFinite(entry.remaining) ? entry.remaining : 'always',
    ...(entry.methods ? { methods: entry.methods } : {}),
  }));
}

function accountJson(view: SandboxAccountView): Json {
  return {
    account: view.account,
    name: view.name,
    ...(view.sno === undefined ? {} : { sno: view.sno }),
    ...(view.phone === undefined ? {} : { phone: view.phone }),
    balance_fen: view.balanceFen,
    balance: fenToYuan(view.balanceFen),
    e_accounts: Object.entries(view.eAccounts).map(([acctype, fen]) => ({ acctype, balance_fen: fen, balance: fenToYuan(fen) })),
    lost: view.lost,
    frozen: view.frozen,
  };
}

function clockJson(clock: SandboxClock): Json {
  const now = clock.now();
  return { offset_ms: clock.offsetMs, now: chinaIso(now), now_utc: now.toISOString() };
}

function setClock(input: Json, clock: SandboxClock): void {
  const unknown = Object.keys(input).filter((name) => name !== 'offset_ms' && name !== 'now');
  if (unknown.length > 0) throw new ControlError(400, 'BAD_REQUEST', `unknown field(s): ${unknown.join(', ')} (expected offset_ms or now)`);
  if ((input.offset_ms === undefined) === (input.now === undefined)) {
    throw new ControlError(400, 'BAD_REQUEST', 'give exactly one of offset_ms (integer milliseconds) or now (an ISO 8601 time with offset)');
  }
  let offset: number;
  if (input.offset_ms !== undefined) {
    if (!Number.isSafeInteger(input.offset_ms)) throw new ControlError(400, 'BAD_REQUEST', 'offset_ms must be an integer number of milliseconds');
    offset = input.offset_ms as number;
  } else {
    const text = input.now;
    const at = typeof text === 'string' && /(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(at)) throw new ControlError(400, 'BAD_REQUEST', 'now must be an ISO 8601 time with a zone, e.g. 2026-12-01T23:59:50+08:00');
    offset = at - (clock.now().getTime() - clock.offsetMs);
  }
  if (Math.abs(offset) > MAX_OFFSET_MS) throw new ControlError(400, 'BAD_REQUEST', 'the clock offset must be within ten years');
  clock.setOffsetMs(offset);
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ControlError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with content-type: application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONTROL_BODY_BYTES) throw new ControlError(413, 'TOO_LARGE', `the body is over ${MAX_CONTROL_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ControlError(400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ControlError(400, 'BAD_REQUEST', 'the body must be a JSON object');
  }
  return parsed as Json;
}

function sendJson(response: ServerResponse, status: number, body: Json): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
