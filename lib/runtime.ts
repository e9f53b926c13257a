// The composition root: builds, once per container, the DynamoDB client, the credentials source,
// the token manager, the platform client, the ledger and the use cases the handlers call.
// The local server runs each of its instances in its own scope (createRuntimeScope), so several
// in-process "Lambda instances" can share one database without sharing memory. Heavier pieces only some
// functions need are wired by those functions: the bill service (lib/bill-runtime.ts), the bus (useEventBus).
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getConfig, type GatewayConfig } from './config.js';
import { createPlatformClient, type Transport } from './platform/client.js';
import type { CredentialsSource, PlatformClient } from './platform/types.js';
import { ConfigurationError } from './errors.js';
import { createFileSource, createSecretsManagerSource } from './secrets/index.js';
import { createTokenManager, type TokenManager, type TokenManagerOptions } from './token/manager.js';
import { createDynamoTokenStore } from './token/store.js';
import { createLedgerStore, type LedgerStore } from './ledger/store.js';
import { createPaymentService, type PaymentService } from './ledger/payments.js';
import type { BillArchive } from './bills/archive.js';
import { getLogger } from './observability/logger.js';
import { publishServiceMetric } from './observability/metrics.js';
import { CUSTOM_METRICS } from './observability/names.js';
import type { MismatchReporter } from './ledger/settlement-terms.js';
import { deriveTimings, type Timings } from './timings.js';
import { loadCallers, type Callers } from './callers/registry.js';
import { join } from 'node:path';
import { createOutbox, publishingLedger, type Outbox } from './events/outbox.js';
import type { EventBridgeSinkOptions } from './events/eventbridge-sink.js';
import { createFileSink, DEFAULT_EVENTS_FILE_NAME } from './events/file-sink.js';
import type { EventSink } from './events/sink.js';

export interface Runtime {
  readonly config: GatewayConfig;
  readonly dynamo: DynamoDBClient;
  readonly credentials: CredentialsSource;
  readonly tokens: TokenManager;
  readonly platform: PlatformClient;
  /** The ledger whose settle publishes its event (the outbox's immediate path). */
  readonly ledger: LedgerStore;
  readonly payments: PaymentService;
  /** The Order Settled events' outbox (publish after a settle, sweep on the settlement schedule). */
  readonly outbox: Outbox;
  /** Where events go; undefined when neither a bus nor a file is configured (marks then wait for a sweep that has one). */
  readonly events: EventSink | undefined;
  /** Every duration that depends on config.platformTimeoutMs. */
  readonly timings: Timings;
  readonly now: () => Date;
  /** Logs a settlement source that described another order and counts it (CUSTOM_METRICS.settlementMismatches). */
  readonly reportMismatch: MismatchReporter;
}

/** What the local server (or a test) injects instead of reading the environment and AWS. */
export interface RuntimeOverrides {
  /** Merged over the environment's configuration. */
  readonly config?: Partial<GatewayConfig>;
  /** E.g. a static source holding the sandbox's secret. */
  readonly credentials?: CredentialsSource;
  readonly dynamo?: DynamoDBClient;
  readonly transport?: Transport;
  readonly archive?: BillArchive;
  readonly now?: () => Date;
  /** Token lease owner id (default random per runtime). */
  readonly instanceId?: string;
  /** Forwarded to the token manager (tests shorten the 2-minute spacing against a lenient sandbox). */
  readonly tokenOptions?: Pick<TokenManagerOptions, 'minIssueIntervalMs' | 'refreshMarginSeconds' | 'proactiveMarginSeconds' | 'leaseMs' | 'maxWaitMs'>;
  /** Forwarded to the payment service (tests shorten them). */
  readonly notFoundGraceMs?: number;
  readonly replayWaitMs?: number;
  /** The events sink instead of the configured one (null: none, events stay in the outbox). */
  readonly events?: EventSink | null;
}

/** Builds a runtime (no caching: see getRuntime / createRuntimeScope). */
export async function createRuntime(overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const config: GatewayConfig = { ...getConfig(), ...overrides.config };
  const now = overrides.now ?? (() => new Date());
  const logger = logAdapter();
  if (!config.apiUrl) throw new ConfigurationError('SYNJONES_API_URL is not set');
  const timings = deriveTimings({ platformTimeoutMs: config.platformTimeoutMs });

  const dynamo = overrides.dynamo ?? createDynamoClient(config);
  const credentials = overrides.credentials ?? createCredentialsSource(config, logger, () => now().getTime());
  const { appKey } = await credentials.get();

  let platform: PlatformClient | undefined;
  const tokens = createTokenManager({
    store: createDynamoTokenStore({ client: dynamo, tableName: config.tokenTable }),
    appKey,
    fetchToken: (call) => {
      if (!platform) throw new Error('platform client not ready');
      return platform.fetchAccessToken(call);
    },
    now: () => now().getTime(),
    leaseMs: timings.tokenLeaseMs,
    tokenCallMs: timings.tokenCallMs,
    ...(overrides.instanceId ? { instanceId: overrides.instanceId } : {}),
    ...overrides.tokenOptions,
    logger,
  });
  platform = createPlatformClient({
    apiUrl: config.apiUrl,
    ...(config.billUrl ? { billUrl: config.billUrl } : {}),
    credentials,
    tokens,
    timings,
    ...(overrides.transport ? { transport: overrides.transport } : {}),
    now,
  });
  const storedLedger = createLedgerStore({ client: dynamo, tableName: config.ledgerTable });
  const events = overrides.events !== undefined ? overrides.events ?? undefined : eventSink(config);
  const outbox = createOutbox({ ledger: storedLedger, sink: events, now, onFailure: reportPublishFailure });
  const ledger = publishingLedger(storedLedger, outbox);
  const reportMismatch = mismatchReporter();
  const payments = createPaymentService({
    ledger,
    platform,
    now,
    onMismatch: reportMismatch,
    notFoundGraceMs: timings.notFoundGraceMs,
    inFlightWindowMs: timings.inFlightWindowMs,
    ...(overrides.notFoundGraceMs !== undefined ? { notFoundGraceMs: overrides.notFoundGraceMs } : {}),
    ...(overrides.replayWaitMs !== undefined ? { replayWaitMs: overrides.replayWaitMs } : {}),
  });
  return { config, dynamo, credentials, tokens, platform, ledger, payments, outbox, events, timings, now, reportMismatch };
}

/** Builds the sink of the stack's bus (createEventBridgeSink). */
export type BusSinkFactory = (options: EventBridgeSinkOptions) => EventSink;

let busSinkFactory: BusSinkFactory | undefined;

/**
 * Called at module load by the functions that settle orders (HandlerSpec.publishesEvents), with
 * createEventBridgeSink: only their bundles then carry the EventBridge client. Elsewhere a configured bus
 * has no sink, so an event (none is made there) would wait in the outbox for the settlement sweep.
 */
export function useEventBus(factory: BusSinkFactory): void {
  busSinkFactory = factory;
}

/** Deployed the stack's bus (useEventBus); locally ONECARD_EVENTS_FILE, else events.jsonl in the data directory. */
export function eventSink(config: GatewayConfig): EventSink | undefined {
  if (config.eventBusName) return busSinkFactory?.({ busName: config.eventBusName, ...(config.region ? { region: config.region } : {}) });
  const file = config.eventsFile ?? (config.dataDir ? join(config.dataDir, DEFAULT_EVENTS_FILE_NAME) : undefined);
  return file ? createFileSink(file) : undefined;
}

/** An event that could not be published: one warning, EventPublishFailures += 1 per event (the sweeper retries). */
function reportPublishFailure({ orderNos, error }: { orderNos: readonly string[]; error?: unknown }): void {
  getLogger().warn('Order Settled event not published; the settlement schedule will retry', {
    order_nos: [...orderNos],
    ...(error instanceof Error ? { error: error.message } : {}),
  });
  publishServiceMetric(CUSTOM_METRICS.eventPublishFailures, orderNos.length);
}

/**
 * A settlement source that described another order: one warning with both values of every differing
 * term (the logger's redaction applies, as to every identifier) and SettlementMismatches += 1.
 */
function mismatchReporter(): MismatchReporter {
  return ({ orderNo, source, differences }) => {
    getLogger().warn('settlement source describes another order: nothing settled', {
      order_no: orderNo,
      source,
      differences: differences.map(({ field, ledger, source: given }) => ({ field, ledger, source: given })),
    });
    publishServiceMetric(CUSTOM_METRICS.settlementMismatches, 1);
  };
}


function createDynamoClient(config: GatewayConfig): DynamoDBClient {
  if (config.dynamoEndpoint) {
    return new DynamoDBClient({
      endpoint: config.dynamoEndpoint,
      region: config.region ?? 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }
  return new DynamoDBClient(config.region ? { region: config.region } : {});
}

/** The shared logger as the (message, attributes) shape lib/token and lib/secrets take. */
function logAdapter(): { info(message: string, attributes?: Record<string, unknown>): void; warn(message: string, attributes?: Record<string, unknown>): void } {
  const logger = getLogger();
  return {
    info: (message, attributes) => logger.info(message, { ...attributes }),
    warn: (message, attributes) => logger.warn(message, { ...attributes }),
  };
}

/** The secret's source; its cache ages and rate limits run on the runtime's clock. */
function createCredentialsSource(config: GatewayConfig, logger: ReturnType<typeof logAdapter>, now: () => number): CredentialsSource {
  if (config.secretId) {
    return createSecretsManagerSource({
      client: new SecretsManagerClient(config.region ? { region: config.region } : {}),
      secretId: config.secretId,
      requirePlatformKey: true,
      logger,
      now,
    });
  }
  if (config.secretFile) return createFileSource(config.secretFile, { requirePlatformKey: true, logger, now });
  throw new ConfigurationError('no secret configured: set SYNJONES_SECRET_ID (deployed) or SYNJONES_SECRET_FILE (local)');
}

/** One lazily built runtime plus what is built once on top of it (shared). */
export interface RuntimeScope {
  runtime(): Promise<Runtime>;
  /** The callers of this scope's configuration, read once (no I/O per request, no secret needed). */
  callers(): Callers;
  /**
   * What `build` makes from this scope's runtime, once per key (lib/bill-runtime.ts: the bill service);
   * a failed build is retried next time, dispose forgets them all.
   */
  shared<T>(key: symbol, build: (runtime: Runtime, overrides: RuntimeOverrides) => T | Promise<T>): Promise<T>;
  /** Runs `work` so that getRuntime() inside it (and in what it awaits) returns this scope's runtime. */
  run<T>(work: () => T): T;
  /** Destroys the clients this scope created. */
  dispose(): Promise<void>;
}

const scopes = new AsyncLocalStorage<RuntimeScope>();

export function createRuntimeScope(overrides: RuntimeOverrides = {}): RuntimeScope {
  let runtimePromise: Promise<Runtime> | undefined;
  const built = new Map<symbol, Promise<unknown>>();
  let callers: Callers | undefined;
  const scope: RuntimeScope = {
    callers() {
      callers ??= loadCallers({ ...getConfig(), ...overrides.config });
      return callers;
    },
    runtime() {
      runtimePromise ??= createRuntime(overrides).catch((error: unknown) => {
        runtimePromise = undefined; // a failed start (e.g. the secret unreadable) is retried next time
        throw error;
      });
      return runtimePromise;
    },
    shared<T>(key: symbol, build: (runtime: Runtime, overrides: RuntimeOverrides) => T | Promise<T>): Promise<T> {
      let promise = built.get(key) as Promise<T> | undefined;
      if (!promise) {
        promise = scope
          .runtime()
          .then((runtime) => build(runtime, overrides))
          .catch((error: unknown) => {
            built.delete(key);
            throw error;
          });
        built.set(key, promise);
      }
      return promise;
    },
    run(work) {
      return scopes.run(scope, work);
    },
    async dispose() {
      const pending = runtimePromise;
      runtimePromise = undefined;
      built.clear();
      if (!pending) return;
      const runtime = await pending.catch(() => undefined);
      if (runtime && !overrides.dynamo) runtime.dynamo.destroy();
    },
  };
  return scope;
}

let containerScope: RuntimeScope | undefined;

/** The scope serving this request: the local server instance's, else this container's. */
export function currentScope(): RuntimeScope {
  const scoped = scopes.getStore();
  if (scoped) return scoped;
  containerScope ??= createRuntimeScope();
  return containerScope;
}

/** The runtime of this container (or of the local server instance serving this request). */
export function getRuntime(): Promise<Runtime> {
  return currentScope().runtime();
}

/** The callers of this container (or of the local server instance serving this request). */
export function getCallers(): Callers {
  return currentScope().callers();
}

/** Replaces the container's runtime with one built from `overrides` (local runs, tests). */
export function setRuntimeForLocal(overrides: RuntimeOverrides): RuntimeScope {
  const previous = containerScope;
  containerScope = createRuntimeScope(overrides);
  void previous?.dispose();
  return containerScope;
}
