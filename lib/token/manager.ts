// The access token every request uses: a memory hit when warm, else the shared table, and a
// renewal (one per fleet, lease-guarded, never closer than the 2-minute rule allows) when needed.
//
// Decisions (see also lib/token/store.ts):
// - Request path renews inside refreshMarginSeconds (5 min) of expiry; the scheduled renewIfDue()
//   inside min(proactiveMarginSeconds = 30 min, half the token's lifetime). With a 2 h token and the
//   renewal schedule (infra context tokenRenewalMinutes, default every 10 min), requests almost never
//   renew themselves. Each new token kills the old one at once, so a warm container still holding the
//   old one gets one 40017 after a renewal; the client absorbs it (invalidate → conditional no-op →
//   re-read → one retry).
// - Lease: the token call plus a margin (lib/timings.ts tokenLeaseMs, derived from the platform
//   timeout). Takeover after a crash needs the lease lapsed AND the spacing since fetched_at
//   elapsed, so even a takeover never breaks the 2-minute rule. The holder sends only while its call,
//   run to its timeout (tokenCallMs), still ends inside the lease; else a retryable 503, nothing sent.
//   fetched_at is stamped when the lease is taken with the latest moment the lease lets the call go out,
//   and moved to when it actually went out by the publish or the release: neither a lease write slow under
//   load nor a holder dying after its send may shorten the platform's 2 minutes.
// - Publishing: a publish that throws after a successful token call is retried with bounded backoff
//   (the platform already killed the old token); one refused by its condition (lease lost) is not.
// - Waiting: while another instance holds a live lease, serve a still-valid token if there is one,
//   else poll the table (50 ms doubling to 500 ms, jittered, never faster than 2x the read's own
//   latency) for at most maxWaitMs (10 s) of sleeping, then TokenUnavailableError. When the
//   spacing forbids a call and no valid token exists: TokenUnavailableError at once, with
//   retryAfterSeconds = time until the next allowed call (HTTP 503 + Retry-After). A token call
//   that fails (refused, busy, timed out…) is rethrown as is; retryAfterSeconds(error) then gives the
//   client the rest of the 2-minute window that call started.
import { createHash, randomUUID } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { GarbledResponseError } from '../protocol/errors.js';
import { TokenUnavailableError } from './errors.js';
import type { AccessTokenSource, IssuedToken, TokenCallOptions } from '../platform/types.js';
import type { PublishInput, TokenRecord, TokenStore } from './store.js';
import { DEFAULT_TIMINGS, TOKEN_MAX_WAIT_MS, TOKEN_SPACING_MS } from '../timings.js';

/** Request path: renew when the token has less than this left (default 5 min). */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 300;
/** Scheduled path: renew when less than this is left, capped at half the token's lifetime (default 30 min). */
export const DEFAULT_PROACTIVE_MARGIN_SECONDS = 1800;
/** The platform's rule: one token call per 2 minutes per app_key (lib/timings.ts). */
export const DEFAULT_MIN_ISSUE_INTERVAL_MS = TOKEN_SPACING_MS;
/** Renewal lease at the default platform timeout (lib/timings.ts tokenLeaseMs). */
export const DEFAULT_LEASE_MS = DEFAULT_TIMINGS.tokenLeaseMs;
/** How long a request waits (polling the table) for another instance's renewal (lib/timings.ts). */
export const DEFAULT_MAX_WAIT_MS = TOKEN_MAX_WAIT_MS;

/**
 * Publishing after a successful token call: the platform has already killed the old token, so a
 * throwing write (throttling, a network blip) is retried, 100 ms doubling, at most 5 attempts
 * (1.5 s of pauses, inside lib/timings.ts MARGIN_MS). A refused condition (lease lost) is not retried.
 */
const PUBLISH_ATTEMPTS = 5;
const PUBLISH_FIRST_PAUSE_MS = 100;

export interface TokenLogger {
  info(message: string, ...attributes: Array<Record<string, unknown>>): void;
  warn(message: string, ...attributes: Array<Record<string, unknown>>): void;
}

export interface TokenManagerOptions {
  readonly store: TokenStore;
  readonly appKey: string;
  /**
   * The platform's token call (PlatformClient.fetchAccessToken). Only the lease holder calls it, and
   * its beforeSend refuses the send once the call could no longer end inside the lease.
   */
  readonly fetchToken: (call: TokenCallOptions) => Promise<IssuedToken>;
  /** Epoch ms. */
  readonly now?: () => number;
  readonly refreshMarginSeconds?: number;
  readonly proactiveMarginSeconds?: number;
  readonly minIssueIntervalMs?: number;
  /** The renewal lease; the runtime passes lib/timings.ts tokenLeaseMs for its platform timeout. */
  readonly leaseMs?: number;
  /** The longest the token call may run once sent (lib/timings.ts tokenCallMs); at most leaseMs. */
  readonly tokenCallMs?: number;
  /** Upper bound on the time get() spends sleeping between table polls while another instance renews. */
  readonly maxWaitMs?: number;
  /** First and largest pause between polls (default 50 ms doubling to 500 ms, ±25% jitter). */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  /** Identifies this container in lease owners (default: a random id). */
  readonly instanceId?: string;
  readonly logger?: TokenLogger;
  /** Injectable for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RenewResult {
  /** True when this call made the token call and published its result. */
  readonly renewed: boolean;
  /** Expiry (epoch ms) of the token now current in the table. */
  readonly expiresAt: number;
}

export interface TokenManager extends AccessTokenSource {
  /** For the scheduled renewal: renews when within the proactive margin, else reports the expiry. */
  renewIfDue(): Promise<RenewResult>;
}

interface HeldToken {
  readonly token: string;
  readonly expiresAt: number;
}

interface Resolution extends HeldToken {
  readonly renewed: boolean;
}

/** A log-safe stand-in for a token: hash prefix and length, never the token itself. */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 8)}/len${token.length}`;
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { store, appKey, fetchToken, logger } = options;
  const now = options.now ?? Date.now;
  const refreshMarginMs = (options.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS) * 1000;
  const proactiveMarginMs = (options.proactiveMarginSeconds ?? DEFAULT_PROACTIVE_MARGIN_SECONDS) * 1000;
  const minIssueIntervalMs = options.minIssueIntervalMs ?? DEFAULT_MIN_ISSUE_INTERVAL_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const tokenCallMs = options.tokenCallMs ?? DEFAULT_TIMINGS.tokenCallMs;
  if (!(leaseMs >= tokenCallMs)) {
    throw new ConfigurationError('timing relation violated: leaseMs >= tokenCallMs (the lease must outlast its token call)', {
      relation: 'leaseMs >= tokenCallMs',
      leaseMs,
      tokenCallMs,
    });
  }
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const pollInitialMs = options.pollInitialMs ?? 50;
  const pollMaxMs = options.pollMaxMs ?? 500;
  const instanceId = options.instanceId ?? randomUUID();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** This container's copy; served without I/O while outside the refresh margin. */
  let memory: HeldToken | undefined;
  /** Tokens proven invalid here (40017) that the table may still hold if the conditional delete raced. */
  const knownInvalid = new Set<string>();
  /** One resolution in flight per container and margin: concurrent callers join it. */
  const inFlight = new Map<number, Promise<Resolution>>();
  let attemptCounter = 0;
  /** Errors of failed token calls → when the next call is allowed (their Retry-After, see retryAfterSeconds). */
  const nextCallAfterFailure = new WeakMap<object, number>();

  const rememberInvalid = (token: string): void => {
    knownInvalid.add(token);
    if (knownInvalid.size > 16) {
      const oldest = knownInvalid.values().next().value;
      if (oldest !== undefined) knownInvalid.delete(oldest);
    }
  };

  const validToken = (record: TokenRecord | undefined): HeldToken | undefined => {
    if (record?.token === undefined || record.expiresAt === undefined) return undefined;
    if (knownInvalid.has(record.token)) return undefined;
    return { token: record.token, expiresAt: record.expiresAt };
  };

  /** The margin of the scheduled renewal: the configured one, capped at half the token's lifetime. */
  const proactiveMarginFor = (record: TokenRecord | undefined): number => {
    const lifetime =
      record?.expiresAt !== undefined && record.issuedAt !== undefined ? record.expiresAt - record.issuedAt : undefined;
    const capped = lifetime === undefined ? proactiveMarginMs : Math.min(proactiveMarginMs, lifetime / 2);
    return Math.max(capped, refreshMarginMs);
  };

  const unavailable = (message: string, waitMs: number): TokenUnavailableError =>
    new TokenUnavailableError(message, Math.max(1, Math.ceil(waitMs / 1000)));

  /** store.publish, retried with bounded backoff while it throws; its last error when it never succeeds. */
  const publishWithRetry = async (input: PublishInput): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.publish(appKey, input);
      } catch (error) {
        logger?.warn('publishing the new access token failed', {
          appKey,
          token_fingerprint: tokenFingerprint(input.token),
          attempt,
          error: error instanceof Error ? error.name : 'unknown',
        });
        if (attempt >= PUBLISH_ATTEMPTS) throw error;
        await sleep(PUBLISH_FIRST_PAUSE_MS * 2 ** (attempt - 1));
      }
    }
  };

  /** Makes the token call under a lease already taken; publishes; returns what is now current. */
  const renewUnderLease = async (owner: string, leaseVersion: number, startedAt: number): Promise<HeldToken | undefined> => {
    const leaseUntil = startedAt + leaseMs;
    // The send goes out only if, run to its timeout, it still ends inside the lease: after that
    // another instance may hold the lease and make the fleet's token call.
    // When the call went out: the platform counts its 2 minutes from there, not from the lease write.
    let sentAt: number | undefined;
    const beforeSend = (): void => {
      const at = now();
      if (at + tokenCallMs > leaseUntil) {
        throw unavailable('the renewal lease ran out before the token call was sent; it was not sent', startedAt + minIssueIntervalMs - at);
      }
      sentAt = at;
    };
    let issued: IssuedToken;
    try {
      issued = await fetchToken({ beforeSend });
      if (typeof issued.accessToken !== 'string' || issued.accessToken === '') {
        throw new GarbledResponseError('the access token response has no access_token');
      }
      if (!Number.isFinite(issued.expiresInSeconds) || issued.expiresInSeconds <= 0) {
        throw new GarbledResponseError('the access token response has no usable expires_in');
      }
    } catch (error) {
      logger?.warn('token call failed; releasing the lease (the 2-minute spacing still counts it)', {
        appKey,
        error: error instanceof Error ? error.name : 'unknown',
      });
      await store.releaseLease(appKey, owner, sentAt).catch(() => undefined);
      // The call counts for the spacing whatever its answer: no token before the window ends.
      if (typeof error === 'object' && error !== null) nextCallAfterFailure.set(error, (sentAt ?? startedAt) + minIssueIntervalMs);
      throw error;
    }
    // Expiry counts from before the call: conservative by the call's duration.
    const held: HeldToken = { token: issued.accessToken, expiresAt: startedAt + issued.expiresInSeconds * 1000 };
    const published = await publishWithRetry({
      owner,
      version: leaseVersion,
      token: held.token,
      expiresAt: held.expiresAt,
      issuedAt: startedAt,
      ...(sentAt === undefined ? {} : { sentAt }),
    });
    if (!published) {
      // Our lease lapsed and another instance took over: its call kills this token. Re-read instead.
      logger?.warn('token renewed but not published (lease lost to another instance)', {
        appKey,
        token_fingerprint: tokenFingerprint(held.token),
      });
      return undefined;
    }
    logger?.info('access token renewed', {
      appKey,
      token_fingerprint: tokenFingerprint(held.token),
      expiresAt: new Date(held.expiresAt).toISOString(),
    });
    return held;
  };

  /**
   * Finds a token with more than `margin` left (table first), renewing when allowed; falls back to a
   * token that is merely still valid when renewal is someone else's job or not yet allowed.
   */
  const resolve = async (margin: (record: TokenRecord | undefined) => number): Promise<Resolution> => {
    let waitedMs = 0;
    let pauseMs = pollInitialMs;
    let lastReadMs = 0;
    const pause = async (): Promise<void> => {
      // Exponential backoff with jitter; never poll faster than twice the table's own latency, so
      // a slow (overloaded) table is not hammered harder by the instances waiting on it.
      const base = Math.min(Math.max(pauseMs, 2 * lastReadMs), pollMaxMs, maxWaitMs - waitedMs);
      const ms = base * (0.75 + Math.random() * 0.5);
      await sleep(ms);
      waitedMs += ms;
      pauseMs = Math.min(pauseMs * 2, pollMaxMs);
    };
    for (;;) {
      const readStart = performance.now();
      const record = await store.read(appKey);
      lastReadMs = performance.now() - readStart;
      const at = now();
      const current = validToken(record);
      if (current && current.expiresAt - margin(record) > at) {
        return { ...current, renewed: false };
      }
      const stillValid = current && current.expiresAt > at ? current : undefined;

      const leaseLive = record?.leaseUntil !== undefined && record.leaseUntil > at;
      if (leaseLive) {
        // Another instance is renewing: use the old token meanwhile, or wait for the new one.
        if (stillValid) return { ...stillValid, renewed: false };
        if (waitedMs >= maxWaitMs) {
          throw unavailable('the access token is being renewed by another instance', (record.leaseUntil ?? at) - at);
        }
        await pause();
        continue;
      }

      const nextCallAt = record?.fetchedAt === undefined ? at : record.fetchedAt + minIssueIntervalMs;
      if (at < nextCallAt) {
        if (stillValid) return { ...stillValid, renewed: false };
        throw unavailable(
          'no valid access token, and the platform allows the next token call only later',
          nextCallAt - at,
        );
      }

      attemptCounter += 1;
      const owner = `${instanceId}#${attemptCounter}`;
      const leaseVersion = record?.version ?? 0;
      const acquired = await store.acquireLease(appKey, {
        owner,
        now: at,
        leaseMs,
        minIssueIntervalMs,
        latestSendAt: at + leaseMs - tokenCallMs,
        expectedVersion: leaseVersion,
      });
      if (!acquired) {
        // Someone else moved first (took the lease or published): give it a moment, then re-read.
        if (waitedMs >= maxWaitMs) throw unavailable('the access token is being renewed by another instance', leaseMs);
        await pause();
        continue;
      }
      const renewed = await renewUnderLease(owner, leaseVersion, at);
      if (renewed) return { ...renewed, renewed: true };
    }
  };

  /** Joins the resolution in flight for this margin kind, or starts one. */
  const resolveOnce = (kind: number, margin: (record: TokenRecord | undefined) => number): Promise<Resolution> => {
    const existing = inFlight.get(kind);
    if (existing) return existing;
    const started = resolve(margin).finally(() => inFlight.delete(kind));
    inFlight.set(kind, started);
    return started;
  };

  const REQUEST_PATH = 0;
  const SCHEDULED_PATH = 1;

  return {
    async get() {
      const held = memory;
      if (held !== undefined && held.expiresAt - refreshMarginMs > now()) return held.token;
      let resolution: Resolution;
      try {
        resolution = await resolveOnce(REQUEST_PATH, () => refreshMarginMs);
      } catch (error) {
        // The table or the renewal failed while this container still holds a valid token: use it.
        if (held !== undefined && held.expiresAt > now() && !knownInvalid.has(held.token)) {
          logger?.warn('token refresh failed; serving the still-valid token from memory', {
            appKey,
            token_fingerprint: tokenFingerprint(held.token),
            error: error instanceof Error ? error.name : 'unknown',
          });
          return held.token;
        }
        throw error;
      }
      // A resolution that started before a concurrent invalidate() may carry the failed token.
      if (knownInvalid.has(resolution.token)) resolution = await resolveOnce(REQUEST_PATH, () => refreshMarginMs);
      // Cache only what the warm path may serve: a token outside the margin, not known to be bad.
      const cacheable = resolution.expiresAt - refreshMarginMs > now() && !knownInvalid.has(resolution.token);
      memory = cacheable ? resolution : undefined;
      return resolution.token;
    },

    async invalidate(failedToken) {
      rememberInvalid(failedToken);
      if (memory?.token === failedToken) memory = undefined;
      try {
        const removed = await store.invalidate(appKey, failedToken);
        logger?.info(removed ? 'access token invalidated' : 'invalidation skipped: the table holds another token', {
          appKey,
          token_fingerprint: tokenFingerprint(failedToken),
        });
      } catch (error) {
        // The local mark already keeps this instance off the token; the next renewal replaces it.
        logger?.warn('invalidating the access token in the table failed', {
          appKey,
          token_fingerprint: tokenFingerprint(failedToken),
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    },

    retryAfterSeconds(error) {
      const nextCallAt = typeof error === 'object' && error !== null ? nextCallAfterFailure.get(error) : undefined;
      return nextCallAt === undefined ? undefined : Math.max(1, Math.ceil((nextCallAt - now()) / 1000));
    },

    async renewIfDue() {
      const resolution = await resolveOnce(SCHEDULED_PATH, proactiveMarginFor);
      if (resolution.expiresAt - refreshMarginMs > now() && !knownInvalid.has(resolution.token)) memory = resolution;
      return { renewed: resolution.renewed, expiresAt: resolution.expiresAt };
    },
  };
}
