// The gateway's configuration: read from the environment once, validated, and handed down as a
// typed object. Nothing else in lib/ reads process.env.
import { BILL_FINAL_AFTER_FORMAT, DEFAULT_BILL_FINAL_AFTER, parseFinalAfter } from './bill-final-after.js';
import { ConfigurationError } from './errors.js';
import * as z from './protocol/zod.js';
import { DEFAULT_PLATFORM_TIMEOUT_MS, MAX_PLATFORM_TIMEOUT_MS, MAX_PLATFORM_TIMEOUT_REASON, MIN_PLATFORM_TIMEOUT_MS } from './timings.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './observability/names.js';

const optionalText = () =>
  z.optional(
    z.pipe(
      z.string().check(z.trim()),
      z.transform((value: string) => (value === '' ? undefined : value)),
    ),
  );

const optionalUrl = () => z.pipe(optionalText(), z.optional(z.url({ protocol: /^https?$/ })));

/** optionalText, then a further schema for the value when present. */
const optionalTextAs = <T extends z.ZodMiniType<unknown, string>>(schema: T) => z.pipe(optionalText(), z.optional(schema));

/** Built on first use (getConfig, at a function's first request), not at module load. */
const EnvironmentSchema = z.lazy(() =>
  z.object({
    SYNJONES_API_URL: optionalUrl(),
    SYNJONES_BILL_URL: optionalUrl(),
    SYNJONES_SECRET_ID: optionalText(),
    SYNJONES_SECRET_FILE: optionalText(),
    SYNJONES_TIMEOUT_MS: optionalTextAs(z.coerce.number<string>().check(z.int(), z.minimum(MIN_PLATFORM_TIMEOUT_MS), z.maximum(MAX_PLATFORM_TIMEOUT_MS))),
    BILL_CRYPT_TYPE: optionalTextAs(z.enum(['0', '1'])),
    BILL_FINAL_AFTER: optionalTextAs(
      z.pipe(
        z.string().check(z.refine((text) => parseFinalAfter(text) !== undefined, { error: `must be ${BILL_FINAL_AFTER_FORMAT}` })),
        // The refine admitted only times parseFinalAfter reads.
        z.transform((text: string) => parseFinalAfter(text) as number),
      ),
    ),
    TOKEN_TABLE: optionalText(),
    LEDGER_TABLE: optionalText(),
    EXCEPTIONS_TABLE: optionalText(),
    BILL_BUCKET: optionalText(),
    ONECARD_DATA_DIR: optionalText(),
    ONECARD_CALLERS_FILE: optionalText(),
    ONECARD_CALLERS: optionalText(),
    ONECARD_EVENTS_FILE: optionalText(),
    ONECARD_EVENT_BUS_NAME: optionalText(),
    POWERTOOLS_SERVICE_NAME: optionalText(),
    POWERTOOLS_METRICS_NAMESPACE: optionalText(),
    LOG_LEVEL: optionalTextAs(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'debug', 'info', 'warn', 'error', 'silent'])),
    DYNAMODB_ENDPOINT: optionalUrl(),
    AWS_REGION: optionalText(),
    AWS_LAMBDA_FUNCTION_NAME: optionalText(),
    PORT: optionalTextAs(z.coerce.number<string>().check(z.int(), z.minimum(0), z.maximum(65_535))),
    ONECARD_INSTANCES: optionalTextAs(z.coerce.number<string>().check(z.int(), z.minimum(1), z.maximum(MAX_LOCAL_INSTANCES))),
  }),
);

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface GatewayConfig {
  /** The platform's API endpoint; locally, absent means "start the sandbox". */
  readonly apiUrl?: string;
  /** The bill endpoint; absent means API origin + /onecard/uap/downbill.do. */
  readonly billUrl?: string;
  /** Secrets Manager secret id (deployed). */
  readonly secretId?: string;
  /** Path of a secret JSON file (local). */
  readonly secretFile?: string;
  /** Per send; every duration that depends on it comes from lib/timings.ts (deriveTimings). */
  readonly platformTimeoutMs: number;
  /** Default crypt_type of bill downloads. */
  readonly billCryptType: '0' | '1';
  /** BILL_FINAL_AFTER as minutes after China midnight of the day after a bill's day (default 03:00 = 180; lib/bill-final-after.ts). */
  readonly billFinalAfterMinutes: number;
  readonly tokenTable: string;
  readonly ledgerTable: string;
  /** Reconciliation exceptions (lib/reconciliation). */
  readonly exceptionsTable: string;
  /** S3 bucket of the bill archive (deployed). */
  readonly billBucket?: string;
  /** Local state directory (bills, reports) when there is no bucket; `npm start` defaults to .local/data. */
  readonly dataDir?: string;
  /** The callers list file (local, ONECARD_CALLERS_FILE); see lib/callers. */
  readonly callersFile?: string;
  /** The callers list's JSON text (deployed, ONECARD_CALLERS: set by the stack on each function). */
  readonly callersJson?: string;
  /** Local: the JSON-lines file events are appended to (ONECARD_EVENTS_FILE; default events.jsonl in dataDir). */
  readonly eventsFile?: string;
  /** Deployed: the EventBridge bus events are put on (ONECARD_EVENT_BUS_NAME, set by the stack). */
  readonly eventBusName?: string;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: LogLevelName;
  /** A DynamoDB endpoint other than AWS's (local). */
  readonly dynamoEndpoint?: string;
  readonly region?: string;
  /** True inside AWS Lambda: metrics are flushed, platform_public_key is required. */
  readonly onLambda: boolean;
  /** Local server port. */
  readonly port: number;
  /** `npm start`'s gateway processes (ONECARD_INSTANCES, or --instances); absent = 1, one process. */
  readonly instances?: number;
}

/** The most gateway processes `npm start -- --instances N` starts on one machine. */
export const MAX_LOCAL_INSTANCES = 16;

export const DEFAULT_TOKEN_TABLE = 'onecard-tokens';
export const DEFAULT_LEDGER_TABLE = 'onecard-ledger';
export const DEFAULT_EXCEPTIONS_TABLE = 'onecard-reconciliation-exceptions';

/**
 * Parses an environment (process.env by default); errors name the variable, never its value, except a
 * SYNJONES_TIMEOUT_MS out of range (a number, no secret): its value and the allowed range, with why.
 * @throws ConfigurationError naming every invalid variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '?')))];
    // Named here, SYNJONES_TIMEOUT_MS is either no integer or one out of range.
    const timeout = Number(env.SYNJONES_TIMEOUT_MS);
    const range = names.includes('SYNJONES_TIMEOUT_MS') && Number.isSafeInteger(timeout)
      ? `; SYNJONES_TIMEOUT_MS=${timeout} is out of range: allowed ${MIN_PLATFORM_TIMEOUT_MS} to ${MAX_PLATFORM_TIMEOUT_MS} ms, the maximum ${MAX_PLATFORM_TIMEOUT_REASON}`
      : '';
    throw new ConfigurationError(`invalid environment variable(s): ${names.join(', ')}${range}`);
  }
  const e = parsed.data;
  return {
    apiUrl: e.SYNJONES_API_URL,
    billUrl: e.SYNJONES_BILL_URL,
    secretId: e.SYNJONES_SECRET_ID,
    secretFile: e.SYNJONES_SECRET_FILE,
    platformTimeoutMs: e.SYNJONES_TIMEOUT_MS ?? DEFAULT_PLATFORM_TIMEOUT_MS,
    billCryptType: e.BILL_CRYPT_TYPE ?? '1',
    billFinalAfterMinutes: e.BILL_FINAL_AFTER ?? (parseFinalAfter(DEFAULT_BILL_FINAL_AFTER) as number),
    tokenTable: e.TOKEN_TABLE ?? DEFAULT_TOKEN_TABLE,
    ledgerTable: e.LEDGER_TABLE ?? DEFAULT_LEDGER_TABLE,
    exceptionsTable: e.EXCEPTIONS_TABLE ?? DEFAULT_EXCEPTIONS_TABLE,
    billBucket: e.BILL_BUCKET,
    dataDir: e.ONECARD_DATA_DIR,
    callersFile: e.ONECARD_CALLERS_FILE,
    callersJson: e.ONECARD_CALLERS,
    eventsFile: e.ONECARD_EVENTS_FILE,
    eventBusName: e.ONECARD_EVENT_BUS_NAME,
    serviceName: e.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
    metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    logLevel: (e.LOG_LEVEL?.toUpperCase() as LogLevelName | undefined) ?? 'INFO',
    dynamoEndpoint: e.DYNAMODB_ENDPOINT,
    region: e.AWS_REGION,
    onLambda: e.AWS_LAMBDA_FUNCTION_NAME !== undefined,
    port: e.PORT ?? 3000,
    ...(e.ONECARD_INSTANCES === undefined ? {} : { instances: e.ONECARD_INSTANCES }),
  };
}

let cached: GatewayConfig | undefined;

/** The process's configuration, read once. */
export function getConfig(): GatewayConfig {
  cached ??= loadConfig();
  return cached;
}
