// How a signed form body reaches the platform: the Transport port, the default fetch-based one
// (undici keep-alive, per-call timeout) and the mapping of network failures to DeliveryState.
import { GatewayError } from '../errors.js';
import { PlatformTimeoutError, PlatformUnreachableError } from './errors.js';
import type { UpstreamError } from '../protocol/errors.js';

export interface TransportRequest {
  readonly url: string;
  /** application/x-www-form-urlencoded; charset=UTF-8 */
  readonly body: string;
  readonly timeoutMs: number;
  /** Streaming only: the longest gap between two body chunks (lib/timings.ts Timings.billBodyIdleMs); absent, unbounded. */
  readonly idleTimeoutMs?: number;
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

/** Like Transport, but resolves once the headers are in; `timeoutMs` then bounds only the wait for them. */
export type StreamingTransport = (request: TransportRequest) => Promise<StreamingResponse>;

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

/**
 * The default streaming transport: global fetch, the body iterated as undici delivers it. The timeout covers
 * the answer's start; `idleTimeoutMs` each wait for the next chunk (a stalled body fails as PlatformTimeoutError).
 */
export function createFetchStreamingTransport(): StreamingTransport {
  return async ({ url, body, timeoutMs, idleTimeoutMs }) => {
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
      const stream = response.body;
      async function* chunks(): AsyncGenerator<Uint8Array> {
        if (!stream) return;
        let idle: ReturnType<typeof setTimeout> | undefined;
        // Armed only while waiting on the network: the consumer's own time between chunks does not count.
        const arm = (): void => {
          if (idleTimeoutMs === undefined) return;
          idle = setTimeout(() => controller.abort(Object.assign(new Error(`no body bytes in ${idleTimeoutMs} ms`), { name: 'TimeoutError' })), idleTimeoutMs);
        };
        try {
          arm();
          for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
            clearTimeout(idle);
            yield chunk;
            arm();
          }
        } catch (error) {
          throw classifyTransportError(error, idleTimeoutMs ?? timeoutMs);
        } finally {
          clearTimeout(idle);
        }
      }
      return { status: response.status, body: chunks() };
    } catch (error) {
      clearTimeout(timer);
      throw classifyTransportError(error, timeoutMs);
    }
  };
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
