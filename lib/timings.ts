// Every duration that depends on the platform timeout, derived in one place from it and from the
// sends per client call, with their relations checked when derived. Nothing else writes these numbers.
//
// The model (T = platform timeout per send, S = sends per business call, lib/platform/sends.ts):
// - The token call sends once (TOKEN_CALL_SENDS) and lasts at most T. Its holder's lease covers that
//   send plus MARGIN_MS (DynamoDB round trips, the credentials read, signing, clock skew between
//   instances); the holder starts the send only while the whole send still fits inside its lease.
// - One token read (AccessTokenSource.get) lasts at most the bounded wait for another instance's
//   renewal (TOKEN_MAX_WAIT_MS), then a renewal of its own under a lease, plus MARGIN_MS.
// - One client call lasts at most S sends and one slow token read (after one renewal or one wait the
//   fleet's token is fresh; a later read in the same call is served from the table or refused at once).
// - Everything the ledger and the settler decide from "an order this young may still be in flight"
//   follows from that longest call.
// - A streamed bill body may go one T without a byte (a gap is a wait on the platform like its answer); a
//   stalled one then fails while down-bill's function still has the time to drop the pass's writers. One that
//   trickles in (every gap under T) is cut when its function has only BILL_BODY_RESERVE_MS left, for the same.
// - down-bill's worst case (downBillWorstCaseMs: a slow token read for each renewal the 2-minute rule allows
//   in its timeout, each of the BILL_DOWNLOADS_PER_RUN downloads a run may make with its S sends and a body
//   stalled one idle bound, then MARGIN_MS to drop the writers and answer) must end inside its Lambda timeout;
//   that bounds T from above (MAX_PLATFORM_TIMEOUT_MS, found from these same formulas, so the bound follows any
//   change to them). Its settlement starts a pay.query batch only while billSettleReserveMs is left (one whole
//   call, a slow token read included, and MARGIN_MS to store the download), so it adds no time.
import { ConfigurationError } from './errors.js';
import { BILL_FUNCTION_TIMEOUT_SECONDS } from './function-timeouts.js';
import { MAX_SENDS_PER_CALL, TOKEN_CALL_SENDS } from './platform/sends.js';

/** SYNJONES_TIMEOUT_MS when unset. */
export const DEFAULT_PLATFORM_TIMEOUT_MS = 10_000;
/** The smallest SYNJONES_TIMEOUT_MS the configuration accepts (the largest: MAX_PLATFORM_TIMEOUT_MS, derived below). */
export const MIN_PLATFORM_TIMEOUT_MS = 100;

/** The platform's rule: one token call per 2 minutes per app_key (a rule, not derived). */
export const TOKEN_SPACING_MS = 120_000;
/** How long a token read sleeps, polling the table, for another instance's renewal (a policy). */
export const TOKEN_MAX_WAIT_MS = 10_000;
/** Slack on top of the platform's share: DynamoDB round trips, credentials, signing, clock skew. */
export const MARGIN_MS = 5_000;
/**
 * A bill body still arriving when its function has this little left fails (lib/bills/download-pass.ts): the time
 * to drop the pass's writers and answer, as the worst case below ends with.
 */
export const BILL_BODY_RESERVE_MS = MARGIN_MS;
/** From this age a PENDING order counts as overdue (the PendingOlderThan15m gauge and alarm). */
export const OVERDUE_AFTER_MS = 15 * 60_000;
/**
 * down-bill's Lambda timeout: the constant infra/constructs/handlers.ts sets it from (lib/function-timeouts.ts).
 * It is also undici's default body timeout, which a stalled body hung until before the idle bound.
 */
export const BILL_FUNCTION_TIMEOUT_MS = BILL_FUNCTION_TIMEOUT_SECONDS * 1000;

export interface Timings {
  /** Per send (SYNJONES_TIMEOUT_MS). */
  readonly platformTimeoutMs: number;
  /** Sends of one business call at most. */
  readonly sendsPerCall: number;
  /** The longest the token call may run once sent: TOKEN_CALL_SENDS × T. */
  readonly tokenCallMs: number;
  /** The renewal lease: the token call plus MARGIN_MS. */
  readonly tokenLeaseMs: number;
  /** The longest one token read may take: the bounded wait, a renewal under a lease, MARGIN_MS. */
  readonly tokenReadMs: number;
  /** The longest one client call may take: S × T plus one slow token read. */
  readonly callMs: number;
  /** A PENDING order without an outcome this young may still be in its winner's call (replays wait). */
  readonly inFlightWindowMs: number;
  /** pay.query's 78 ("no such order") fails an order only once it is this old. */
  readonly notFoundGraceMs: number;
  /** The settler queries only orders at least this old. */
  readonly settleOlderThanMs: number;
  /**
   * The settler starts no batch with less than this left: the sends of one pay.query and its ledger
   * writes. A slow token read is not reserved for: the scheduled renewal keeps the token fresh, and a
   * run cut short only leaves its orders PENDING for the next run.
   */
  readonly settleReserveMs: number;
  /**
   * down-bill's settlement (lib/bills/download-pass.ts) starts no pay.query batch with less than this left: one
   * whole call (callMs, a slow token read included) and MARGIN_MS to store the download. Unlike the settler's run,
   * a down-bill run cut off mid-batch loses more than its orders' settling: the download it was about to store.
   */
  readonly billSettleReserveMs: number;
  /**
   * The longest a streamed bill body may go without a byte (each wait for the next chunk): one T. Every
   * streaming transport fails a longer wait as PlatformTimeoutError (lib/platform/transport.ts), so the bill
   * service drops its writers while the function still runs.
   */
  readonly billBodyIdleMs: number;
}

export interface TimingInputs {
  readonly platformTimeoutMs: number;
  /** Default MAX_SENDS_PER_CALL. */
  readonly sendsPerCall?: number;
}

/**
 * Derives every dependent duration, then checks their relations.
 * @throws ConfigurationError when the inputs are out of range or a relation does not hold.
 */
export function deriveTimings(inputs: TimingInputs): Timings {
  const { platformTimeoutMs: t, sendsPerCall: s } = { sendsPerCall: MAX_SENDS_PER_CALL, ...inputs };
  if (!Number.isSafeInteger(t) || t < 1 || t > MAX_PLATFORM_TIMEOUT_MS) {
    throw new ConfigurationError(`the platform timeout must be an integer from 1 to ${MAX_PLATFORM_TIMEOUT_MS} ms, not ${String(t)}: ${MAX_PLATFORM_TIMEOUT_REASON}`);
  }
  if (!Number.isSafeInteger(s) || s < 1) throw new ConfigurationError('the sends per call must be a positive integer');
  const timings = formulas(t, s);
  checkTimings(timings);
  return Object.freeze(timings);
}

/** The durations of a timeout and a number of sends, unchecked: deriveTimings and MAX_PLATFORM_TIMEOUT_MS read them. */
function formulas(t: number, s: number): Timings {
  const tokenCallMs = TOKEN_CALL_SENDS * t;
  const tokenLeaseMs = tokenCallMs + MARGIN_MS;
  const tokenReadMs = TOKEN_MAX_WAIT_MS + tokenLeaseMs + MARGIN_MS;
  const callMs = s * t + tokenReadMs;
  return {
    platformTimeoutMs: t,
    sendsPerCall: s,
    tokenCallMs,
    tokenLeaseMs,
    tokenReadMs,
    callMs,
    inFlightWindowMs: callMs,
    // The platform may still act on the last send after the client gave up on it: one more T.
    notFoundGraceMs: callMs + t + MARGIN_MS,
    settleOlderThanMs: callMs,
    settleReserveMs: s * t + MARGIN_MS,
    billSettleReserveMs: callMs + MARGIN_MS,
    billBodyIdleMs: t,
  };
}

/**
 * Downloads one down-bill run may make (lib/bills/download-pass.ts): the day's bill, and the next day's bill so far
 * when a late order is missing from it (boundary orders), each read a second time from the start when it turns out
 * to be GBK (BillEncodingRestart).
 */
export const BILL_DOWNLOADS_PER_RUN = 4;

/**
 * Slow token reads one down-bill run may meet: one per renewal the platform's rule (one token call per
 * TOKEN_SPACING_MS) lets the fleet make while the function runs. Another instance's renewal invalidates the token
 * the run holds, and its next call waits for the new one (a slow read, tokenReadMs).
 */
export const TOKEN_READS_PER_RUN = Math.ceil(BILL_FUNCTION_TIMEOUT_MS / TOKEN_SPACING_MS);

/**
 * The longest a down-bill run can take on the platform's account before it answers: TOKEN_READS_PER_RUN slow token
 * reads, every download of the run with its S sends and its body stalled for one idle bound, then MARGIN_MS to drop
 * the pass's writers (S3 multipart aborts, a temporary file) and end. It must stay below BILL_FUNCTION_TIMEOUT_MS.
 */
export function downBillWorstCaseMs(timings: Pick<Timings, 'tokenReadMs' | 'sendsPerCall' | 'platformTimeoutMs' | 'billBodyIdleMs'>): number {
  const download = timings.sendsPerCall * timings.platformTimeoutMs + timings.billBodyIdleMs;
  return TOKEN_READS_PER_RUN * timings.tokenReadMs + BILL_DOWNLOADS_PER_RUN * download + MARGIN_MS;
}

/**
 * The largest T whose down-bill worst case, at the client's MAX_SENDS_PER_CALL, ends before BILL_FUNCTION_TIMEOUT_MS,
 * read from the formulas themselves (they are linear in T: a fixed part and a part per ms of T).
 */
function largestFittingPlatformTimeout(): number {
  const worst = (t: number): number => downBillWorstCaseMs(formulas(t, MAX_SENDS_PER_CALL));
  return Math.floor((BILL_FUNCTION_TIMEOUT_MS - 1 - worst(0)) / (worst(1) - worst(0)));
}

/**
 * The largest SYNJONES_TIMEOUT_MS the configuration accepts and deriveTimings derives from: 10217 ms with down-bill's
 * 300 s (23 × T + 65 s < 300 s: three slow token reads, four downloads of four sends each). Above it a run whose
 * calls all meet their worst could outlast the function.
 */
export const MAX_PLATFORM_TIMEOUT_MS = largestFittingPlatformTimeout();

/** Why MAX_PLATFORM_TIMEOUT_MS is what it is, as the configuration's errors say it. */
export const MAX_PLATFORM_TIMEOUT_REASON = `the largest whose down-bill worst case fits its ${BILL_FUNCTION_TIMEOUT_SECONDS} s timeout (lib/timings.ts)`;

/** One relation the timings must satisfy, named as the configuration error says it. */
interface Relation {
  readonly name: string;
  readonly holds: (timings: Timings) => boolean;
}

const RELATIONS: readonly Relation[] = [
  { name: 'tokenCallMs >= TOKEN_CALL_SENDS x platformTimeoutMs', holds: (x) => x.tokenCallMs >= TOKEN_CALL_SENDS * x.platformTimeoutMs },
  { name: 'tokenLeaseMs >= tokenCallMs + MARGIN_MS', holds: (x) => x.tokenLeaseMs >= x.tokenCallMs + MARGIN_MS },
  // A crashed holder then delays the next renewal by no more than the spacing already does.
  { name: 'tokenLeaseMs <= TOKEN_SPACING_MS', holds: (x) => x.tokenLeaseMs <= TOKEN_SPACING_MS },
  { name: 'tokenReadMs >= TOKEN_MAX_WAIT_MS + tokenLeaseMs', holds: (x) => x.tokenReadMs >= TOKEN_MAX_WAIT_MS + x.tokenLeaseMs },
  { name: 'callMs >= sendsPerCall x platformTimeoutMs + tokenReadMs', holds: (x) => x.callMs >= x.sendsPerCall * x.platformTimeoutMs + x.tokenReadMs },
  { name: 'inFlightWindowMs >= callMs', holds: (x) => x.inFlightWindowMs >= x.callMs },
  { name: 'notFoundGraceMs > callMs + platformTimeoutMs', holds: (x) => x.notFoundGraceMs > x.callMs + x.platformTimeoutMs },
  // An order the platform does not know is failed before it counts as overdue.
  { name: 'notFoundGraceMs < OVERDUE_AFTER_MS', holds: (x) => x.notFoundGraceMs < OVERDUE_AFTER_MS },
  { name: 'settleOlderThanMs >= inFlightWindowMs', holds: (x) => x.settleOlderThanMs >= x.inFlightWindowMs },
  { name: 'settleReserveMs > sendsPerCall x platformTimeoutMs', holds: (x) => x.settleReserveMs > x.sendsPerCall * x.platformTimeoutMs },
  // The last batch down-bill starts ends, at its longest, with MARGIN_MS left to store the download.
  { name: 'billSettleReserveMs >= callMs + MARGIN_MS', holds: (x) => x.billSettleReserveMs >= x.callMs + MARGIN_MS },
  // A gap in the body is a wait on the platform like the wait for its answer: a shorter bound would fail a
  // platform slow enough to be answering the other calls.
  { name: 'billBodyIdleMs >= platformTimeoutMs', holds: (x) => x.billBodyIdleMs >= x.platformTimeoutMs },
  // The stalled body must fail, and the pass drop its writers (S3 multipart aborts, a temporary file: round trips
  // like MARGIN_MS's), before down-bill's function is killed and before undici's own body timeout fires instead.
  { name: 'billBodyIdleMs + MARGIN_MS < BILL_FUNCTION_TIMEOUT_MS', holds: (x) => x.billBodyIdleMs + MARGIN_MS < BILL_FUNCTION_TIMEOUT_MS },
];

/**
 * Checks every relation between the timings.
 * @throws ConfigurationError naming the first relation that does not hold.
 */
export function checkTimings(timings: Timings): void {
  for (const relation of RELATIONS) {
    if (!relation.holds(timings)) {
      throw new ConfigurationError(`timing relation violated: ${relation.name} (${describe(timings)})`, {
        relation: relation.name,
        timings: { ...timings },
      });
    }
  }
}

function describe(timings: Timings): string {
  return Object.entries(timings)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(', ');
}

/** The timings of the default platform timeout; checked when this module loads. */
export const DEFAULT_TIMINGS: Timings = deriveTimings({ platformTimeoutMs: DEFAULT_PLATFORM_TIMEOUT_MS });
