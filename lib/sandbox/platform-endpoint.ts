// The platform's HTTP endpoint (gateway.action and downbill.do): reads the form, takes the call's faults,
// has the call processed, answers with a signed envelope (or as the fault says) and logs the call.
import { randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import iconv from 'iconv-lite';
import type { CallProcessor, Outcome } from './calls.js';
import type { FaultQueue } from './faults.js';
import type { SandboxWorld } from './state.js';
import type { ErrorRequestField, SandboxFault } from './types.js';
import { buildEnvelope, encryptTripleDes, parseForm } from './wire.js';

export const GATEWAY_PATH = '/onecard/uap/gateway.action';
export const BILL_PATH = '/onecard/uap/downbill.do';
const MAX_BODY_BYTES = 1024 * 1024;

export interface PlatformEndpointDeps {
  readonly faults: FaultQueue;
  readonly world: SandboxWorld;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  readonly processCall: CallProcessor;
  readonly tripleDesKey: Buffer;
  /** The key answers are signed with now (it may be rotated). */
  readonly platformPrivateKey: () => KeyObject;
  /** How an error envelope carries `request` when no fault says otherwise. */
  readonly defaultErrorRequest: ErrorRequestField;
}

export interface PlatformEndpoint {
  /** Answers one request to `path` (not a control path). */
  handle(request: IncomingMessage, response: ServerResponse, path: string): Promise<void>;
  /** Drops delayed answers and held-open (timed-out) responses. */
  close(): void;
}

export function createPlatformEndpoint(deps: PlatformEndpointDeps): PlatformEndpoint {
  const { faults, world, now, log, processCall, tripleDesKey, defaultErrorRequest } = deps;

  /** A signed envelope; an error one (errcode ≠ 0) carries `request` as the fault or the option says. */
  function envelope(
    errcode: string,
    requestValue: string | undefined,
    fault: SandboxFault | undefined,
    method: string,
  ): { readonly text: string; readonly errorRequestField?: ErrorRequestField } {
    const common = { corruptSignature: fault?.type === 'badSignature', plusAsSpace: fault?.type === 'plusAsSpace' };
    if (errcode === '0') return { text: buildEnvelope(errcode, requestValue, deps.platformPrivateKey(), common) };
    const signing = faults.takeEmptyRequest(method);
    const reading: ErrorRequestField =
      signing === 'named' ? 'emptyNamed' : signing === 'omitted' ? 'emptyOmitted' : defaultErrorRequest;
    const emptyRequest = reading === 'emptyNamed' ? 'named' : reading === 'emptyOmitted' ? 'omitted' : undefined;
    const text = buildEnvelope(errcode, undefined, deps.platformPrivateKey(), { ...common, ...(emptyRequest ? { emptyRequest } : {}) });
    return { text, errorRequestField: reading };
  }

  const pendingTimers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();

  /** Sends `payload` `bytes` at a time every `everyMs` ms, held like a stalled answer until it ends or closes. */
  const trickle = (response: ServerResponse, payload: Buffer, bytes: number, everyMs: number): void => {
    held.add(response);
    let at = 0;
    const timer = setInterval(() => {
      if (response.destroyed || response.writableEnded) return stop();
      const end = Math.min(payload.length, at + bytes);
      response.write(payload.subarray(at, end));
      at = end;
      if (at === payload.length) {
        response.end();
        stop();
      }
    }, everyMs);
    const stop = (): void => {
      clearInterval(timer);
      pendingTimers.delete(timer);
      held.delete(response);
    };
    pendingTimers.add(timer);
    response.once('close', stop);
  };

  async function handle(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
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
    let answered: { errcode: string; processed: boolean; retcode?: string; reason?: string; orderNo?: string };
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
        answered = {
          errcode: '0',
          processed: fault?.type !== 'retcode',
          retcode: outcome.answer.retcode,
          ...(outcome.orderNo === undefined ? {} : { orderNo: outcome.orderNo }),
        };
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
      ...(answered.orderNo === undefined ? {} : { orderNo: answered.orderNo }),
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
      if (fault?.type === 'stallBody') {
        // The rest never comes: held open like `timeout` until the client gives up.
        response.write(payload.subarray(0, fault.afterBytes));
        held.add(response);
        response.once('close', () => held.delete(response));
        return;
      }
      if (fault?.type === 'trickleBody') {
        trickle(response, payload, fault.bytes, fault.everyMs);
        return;
      }
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

  return {
    handle,
    close(): void {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      for (const response of held) response.destroy();
      held.clear();
    },
  };
}

export function sendText(response: ServerResponse, status: number, text: string): void {
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
