// The campaign's HTTP client: one request to one instance as a caller, timed, and every answer kept
// in a tally (route, status, code, latency, instance), from which the figures and the 5xx line are made.

export type RouteName = 'payments.create' | 'refunds.create' | 'payments.read' | 'payments.query' | 'cards.query' | 'bills.read' | 'exceptions.read' | 'other';

export interface Answer {
  readonly status: number;
  /** The JSON body (undefined when empty or not JSON). */
  readonly body: any;
  readonly code?: string;
  readonly retryAfterSeconds?: number;
  readonly ms: number;
}

export interface Sample {
  readonly route: RouteName;
  readonly instance: number;
  readonly status: number;
  readonly code?: string;
  readonly ms: number;
  /** performance.now() when the request was sent. */
  readonly startedAt: number;
  readonly phase: string;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** A JSON value (serialized here), or the exact text or bytes to send. */
  readonly json?: unknown;
  readonly text?: string;
  readonly bytes?: Buffer;
  /** The x-onecard-caller header; null sends none. */
  readonly caller: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Every answer of the run, and the transport failures (a request that got no HTTP answer at all). */
export class Tally {
  readonly samples: Sample[] = [];
  readonly transportFailures: string[] = [];
  phase = 'setup';

  /** Sends one request to `baseUrl`; never throws for an HTTP answer, records a transport failure otherwise. */
  async send(baseUrl: string, instance: number, request: RawRequest, timeoutMs = 90_000): Promise<Answer | undefined> {
    const headers: Record<string, string> = { ...request.headers };
    if (request.caller !== null) headers['x-onecard-caller'] = request.caller;
    let body: string | Buffer | undefined;
    if (request.json !== undefined) body = JSON.stringify(request.json);
    else if (request.text !== undefined) body = request.text;
    else if (request.bytes !== undefined) body = request.bytes;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const startedAt = performance.now();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetch(`${baseUrl}${request.path}`, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      this.transportFailures.push(`${request.method} ${request.path.slice(0, 80)}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const ms = performance.now() - startedAt;
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const code = typeof parsed?.error?.code === 'string' ? (parsed.error.code as string) : undefined;
    this.samples.push({ route: routeOf(request.method, request.path), instance, status, ...(code ? { code } : {}), ms, startedAt, phase: this.phase });
    return {
      status,
      body: parsed,
      ...(code ? { code } : {}),
      ...(retryAfter !== null && /^\d+$/.test(retryAfter) ? { retryAfterSeconds: Number(retryAfter) } : {}),
      ms,
    };
  }
}

/** The route a request names, by the API's route names (API.md "Callers"). */
export function routeOf(method: string, path: string): RouteName {
  const bare = path.split('?')[0] ?? path;
  if (method === 'POST' && bare === '/v1/payments') return 'payments.create';
  if (method === 'POST' && bare === '/v1/refunds') return 'refunds.create';
  if (method === 'POST' && bare === '/v1/payments/query') return 'payments.query';
  if (method === 'POST' && bare === '/v1/cards/query') return 'cards.query';
  if (method === 'GET' && /^\/v1\/payments\/[^/]+$/.test(bare)) return 'payments.read';
  if (method === 'GET' && bare.startsWith('/v1/bills/')) return 'bills.read';
  if (bare.startsWith('/v1/reconciliation/exceptions')) return 'exceptions.read';
  return 'other';
}

/** The documented 5xx statuses (API.md "Conventions"): anything else at 500 or above is a defect. */
export const DOCUMENTED_5XX: ReadonlySet<number> = new Set([502, 503, 504]);

/** A percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
