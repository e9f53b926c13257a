// How a signed form body reaches the platform: the Transport port, the default fetch-based one
// (undici keep-alive, per-call timeout), the streaming port with its body idle bound, and the mapping
// of network failures to DeliveryState.
import { GatewayError } from '../errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from './errors.js';
import type { UpstreamError } from '../protocol/errors.js';

export interface TransportRequest {
  readonly url: string;
  /** application/x-www-form-urlencoded; charset=UTF-8 */
  readonly body: string;
  readonly timeoutMs: number;
}

/** A streamed request: `idleTimeoutMs` bounds each wait for the next body chunk (lib/timings.ts billBodyIdleMs). */
export interface StreamingRequest extends TransportRequest {
  readonly idleTimeoutMs: number;
  /**
   * Milliseconds the whole body may still take, asked at each wait (a body that trickles in never trips the
   * idle bound); absent: no bound but the idle one.
   */
  readonly bodyTimeLeftMs?: () => number;
}

export interface TransportResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** Sends one POST; resolves with any HTTP status, rejects only on network failure or timeout. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** A response whose body is read as it arrives (the bill: hundreds of megabytes on a busy day). */
export interface StreamingResponse {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array>;
}

/** What a streaming transport opens once the headers are in: the status, the body as it arrives, how to give it up. */
export interface OpenedResponse {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** Gives the body up (aborts the connection); called when a wait for a chunk outlasts the idle bound. */
  cancel(reason: Error): void;
}

/** Sends one POST and resolves once the headers are in; `timeoutMs` bounds only the wait for them. */
export type ResponseOpener = (request: TransportRequest) => Promise<OpenedResponse>;

declare const IDLE_BOUNDED: unique symbol;

/**
 * Like Transport, but resolves once the headers are in (`timeoutMs` bounds the wait for them), and its body fails
 * as PlatformTimeoutError when a wait for the next chunk outlasts `idleTimeoutMs`. Made only by streamingTransport(),
 * which puts that bound on any opener, so no transport can leave it out: the brand keeps a bare function out.
 */
export type StreamingTransport = ((request: StreamingRequest) => Promise<StreamingResponse>) & { readonly [IDLE_BOUNDED]: true };

/** A streaming transport from an opener: each wait for a body chunk bounded by the request's idleTimeoutMs. */
export function streamingTransport(open: ResponseOpener): StreamingTransport {
  const transport = async (request: StreamingRequest): Promise<StreamingResponse> => {
    const { idleTimeoutMs } = request;
    if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 1) throw new RangeError(`idleTimeoutMs must be a positive integer: ${idleTimeoutMs}`);
    const opened = await open(request);
    return { status: opened.status, body: idleBounded(opened, idleTimeoutMs, request.bodyTimeLeftMs) };
  };
  return transport as StreamingTransport;
}

/**
 * The opened body, each wait for a chunk raced against `idleTimeoutMs` (the consumer's own time between chunks
 * does not count), and against `timeLeftMs()` when given (all of it counts). Either cancels the opener's body and
 * fails even if the opener's cancel does not end the wait; the error names the bound that tripped (the idle bound,
 * or how long the body had been arriving).
 */
async function* idleBounded(opened: OpenedResponse, idleTimeoutMs: number, timeLeftMs?: () => number): AsyncGenerator<Uint8Array> {
  const chunks = opened.body[Symbol.asyncIterator]();
  const started = Date.now();
  let finished = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const asked = timeLeftMs ? timeLeftMs() : Infinity;
      const left = Number.isNaN(asked) ? 0 : Math.max(0, Math.floor(asked)); // NaN: no time known to be left
      const idle = idleTimeoutMs <= left;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const message = idle ? `no body bytes in ${idleTimeoutMs} ms` : 'the body was not complete in the time it had';
          const error = Object.assign(new Error(message), { name: 'TimeoutError' });
          finished = true; // the body is given up: nothing more to return
          opened.cancel(error);
          reject(error);
        }, idle ? idleTimeoutMs : left);
      });
      const next = chunks.next();
      next.catch(() => undefined); // after a stall it rejects (cancelled) with nobody waiting
      let result: IteratorResult<Uint8Array>;
      try {
        result = await Promise.race([next, stalled]);
      } catch (error) {
        finished = true;
        throw classifyTransportError(error, idle ? idleTimeoutMs : Date.now() - started);
      } finally {
        clearTimeout(timer);
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    // The consumer stopped early: release the body as a for-await would.
    if (!finished) await chunks.return?.();
  }
}

/** Failures that happen before a byte of the request can have reached the platform. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
  'UND_ERR_INVALID_ARG',
]);
const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT']);

function errorCodes(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== 'object' || error === null || seen.has(error)) return [];
  seen.add(error);
  const codes: string[] = [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') codes.push(code);
  codes.push(...errorCodes(cause, seen));
  if (Array.isArray(errors)) for (const inner of errors) codes.push(...errorCodes(inner, seen));
  return codes;
}

function errorNames(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== 'object' || error === null || seen.has(error)) return [];
  seen.add(error);
  const { name, cause } = error as { name?: unknown; cause?: unknown };
  return [...(typeof name === 'string' ? [name] : []), ...errorNames(cause, seen)];
}

/**
 * Maps a transport failure to a typed upstream error: timeouts → PlatformTimeoutError (UNKNOWN);
 * refused / DNS / unreachable → PlatformUnreachableError (NOT_SENT); anything else, e.g. a reset or
 * a socket closed after sending → PlatformUnreachableError (UNKNOWN).
 */
export function classifyTransportError(error: unknown, timeoutMs: number): UpstreamError {
  if (error instanceof GatewayError && 'delivery' in error) return error as UpstreamError;
  const names = errorNames(error);
  const codes = errorCodes(error);
  if (codes.some((code) => CONNECT_TIMEOUT_CODES.has(code))) {
    return new PlatformTimeoutError(timeoutMs, 'NOT_SENT', { cause: error });
  }
  if (names.includes('TimeoutError') || names.includes('AbortError') || codes.includes('ABORT_ERR')) {
    return new PlatformTimeoutError(timeoutMs, 'UNKNOWN', { cause: error });
  }
  const notSent = codes.find((code) => NOT_SENT_CODES.has(code));
  if (notSent) {
    return new PlatformUnreachableError(`the one-card platform could not be reached (${notSent})`, 'NOT_SENT', { cause: error });
  }
  const detail = codes[0] ?? (error instanceof Error ? error.message : 'unknown error');
  return new PlatformUnreachableError(
    `the connection to the one-card platform failed after the request may have been sent (${detail})`,
    'UNKNOWN',
    { cause: error },
  );
}

/** The default streaming transport: global fetch, the body iterated as undici delivers it, under the idle bound. */
export function createFetchStreamingTransport(): StreamingTransport {
  return streamingTransport(async ({ url, body, timeoutMs }) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body,
        signal: controller.signal,
      });
      clearTimeout(timer);
      const stream = (response.body ?? []) as AsyncIterable<Uint8Array>;
      return { status: response.status, body: stream, cancel: (reason) => controller.abort(reason) };
    } catch (error) {
      clearTimeout(timer);
      throw classifyTransportError(error, timeoutMs);
    }
  });
}

/** The default transport: global fetch (undici, keep-alive) with AbortSignal.timeout. */
export function createFetchTransport(): Transport {
  return async ({ url, body, timeoutMs }) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
    } catch (error) {
      throw classifyTransportError(error, timeoutMs);
    }
  };
}
