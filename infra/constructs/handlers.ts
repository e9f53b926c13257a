// The six Lambda handlers as data: entry file, sizing (with the reason), and exactly which
// tables, index reads, bucket prefixes and secret each one may touch. GatewayFunctions turns it into IAM.
import { BILL_FUNCTION_TIMEOUT_SECONDS, MONEY_FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-timeouts.js';

export type HandlerName = 'access-token' | 'query-card' | 'pay' | 'refund' | 'pay-query' | 'down-bill';

export type TokenTableAccess = 'none' | 'read-write';
/** Item actions on the ledger table itself; Query is granted per index (ledgerIndexes), never on the table. */
export type LedgerAction = 'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem';
export type LedgerIndex = 'by_day' | 'pending' | 'outbox';
/** Item actions on the reconciliation exceptions table; Query only on its indexes (lib/tables.ts EXCEPTIONS_TABLE_KEY). */
export type ExceptionAction = 'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem';
/** Batch actions on the exceptions table, granted in a statement of their own (ExceptionBatches). */
export type ExceptionBatchAction = 'dynamodb:BatchGetItem' | 'dynamodb:BatchWriteItem';
export type ExceptionIndex = 'by_status' | 'by_day_status';

export interface HandlerSpec {
  readonly name: HandlerName;
  /** Construct id, also the stem of the function's log group name. */
  readonly id: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** One line: why this memory and timeout. */
  readonly sizingReason: string;
  /** NODE_OPTIONS of the function, when it needs a Node flag (with the reason beside it). */
  readonly nodeOptions?: string;
  readonly tokenTable: TokenTableAccess;
  readonly ledger: readonly LedgerAction[];
  readonly ledgerIndexes: readonly LedgerIndex[];
  /** The reconciliation exceptions it reads and writes (absent: none). */
  readonly exceptions?: {
    readonly actions: readonly ExceptionAction[];
    readonly batchActions?: readonly ExceptionBatchAction[];
    readonly indexes: readonly ExceptionIndex[];
  };
  /** Key prefixes of the bill bucket this function may write (PutObject). */
  readonly bucketPrefixes: readonly string[];
  /** Key prefixes of the bill bucket this function may read (GetObject): a subset of bucketPrefixes. */
  readonly bucketReads: readonly string[];
  /** Key patterns of the bill bucket this function may delete (DeleteObject; absent: none): within bucketPrefixes. */
  readonly bucketDeletes?: readonly string[];
  readonly readsSecret: boolean;
  /** Decides whether a bill download is final (lib/bills/finality.ts): gets BILL_FINAL_AFTER from the stack. */
  readonly decidesBillFinality?: boolean;
  /** Invoked by EventBridge Scheduler (asynchronously): gets Lambda async retries + the DLQ as failure destination. */
  readonly scheduled: boolean;
  /** Settles orders, so publishes their Order Settled events (events:PutEvents on the stack's bus only). */
  readonly publishesEvents: boolean;
}

/** lib/bills/keys.ts and lib/bills/downloads.ts: raw bills, the current headers, and each download (pages, report). */
export const BILL_PREFIXES = ['raw/', 'reports/', 'downloads/'] as const;

/** lib/token/store.ts reads and conditionally updates its one item per app_key; nothing else. */
export const TOKEN_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

// Sizing notes common to all: Lambda CPU scales with memory (1 vCPU at 1769 MB). Below 512 MB the
// SDK-dominated cold start (~0.15 s at full CPU) and RSA-SHA1 signing stretch noticeably; API
// Gateway gives up after 29 s, so API functions need no more than 30 s, and money calls must be
// allowed to outlive the 29 s so the ledger records the outcome (a killed run stays PENDING: safe).
export const HANDLERS: readonly HandlerSpec[] = [
  {
    name: 'access-token',
    id: 'AccessTokenFunction',
    description: 'Scheduled access_token renewal (synjones.authorize.access_token)',
    memoryMb: 256,
    timeoutSeconds: 60,
    sizingReason: 'one signed platform call (10 s client timeout) plus a DynamoDB lease; latency-insensitive, so the cheapest CPU that still signs in milliseconds',
    tokenTable: 'read-write',
    ledger: [],
    ledgerIndexes: [],
    bucketPrefixes: [],
    bucketReads: [],
    readsSecret: true,
    scheduled: true,
    publishesEvents: false,
  },
  {
    name: 'query-card',
    id: 'QueryCardFunction',
    description: 'POST /v1/cards/query (synjones.onecard.query.card)',
    memoryMb: 512,
    timeoutSeconds: 30,
    sizingReason: 'interactive read: enough CPU for a fast cold start; the 10 s platform call is sent again only after a REJECTED answer (40017 up to twice, 40004 once: lib/platform/client.ts), and API Gateway cuts at 29 s anyway',
    tokenTable: 'read-write',
    ledger: [],
    ledgerIndexes: [],
    bucketPrefixes: [],
    bucketReads: [],
    readsSecret: true,
    scheduled: false,
    publishesEvents: false,
  },
  {
    name: 'pay',
    id: 'PayFunction',
    description: 'POST /v1/payments (synjones.onecard.gdccard.pay)',
    memoryMb: 512,
    timeoutSeconds: MONEY_FUNCTION_TIMEOUT_SECONDS,
    sizingReason: 'money call: 10 s per platform send, sent again only after a REJECTED answer (40017 up to twice, 40004 once: lib/platform/client.ts), and one slow token read (lib/timings.ts callMs, 70 s at the default timeout), ledger writes before and after; outlives API Gateway\'s 29 s so the outcome is recorded (or the order withdrawn), and a run killed anyway stays PENDING for the settler',
    tokenTable: 'read-write',
    // createPending (conditional Put), settle / notePending (conditional Update), replays (Get),
    // withdraw (conditional Delete while PENDING with attempts 0: the platform never saw the call).
    ledger: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    ledgerIndexes: [],
    bucketPrefixes: [],
    bucketReads: [],
    readsSecret: true,
    scheduled: false,
    publishesEvents: true,
  },
  {
    name: 'refund',
    id: 'RefundFunction',
    description: 'POST /v1/refunds (synjones.onecard.gdccard.refund)',
    memoryMb: 512,
    timeoutSeconds: MONEY_FUNCTION_TIMEOUT_SECONDS,
    sizingReason: 'same shape as pay (money call + ledger writes on the refund and its original payment)',
    tokenTable: 'read-write',
    // The refund and its original read in one BatchGetItem (lib/ledger/refunds.ts), createPending of the refund,
    // reserve/complete/release on the original payment, settle, withdraw.
    ledger: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    ledgerIndexes: [],
    bucketPrefixes: [],
    bucketReads: [],
    readsSecret: true,
    scheduled: false,
    publishesEvents: true,
  },
  {
    name: 'pay-query',
    id: 'PayQueryFunction',
    description: 'GET /v1/payments/{order_no}, POST /v1/payments/query (synjones.onecard.pay.query), and the PENDING settlement run',
    memoryMb: 512,
    timeoutSeconds: 120,
    sizingReason: 'interactive: a ledger read, maybe one pay.query for up to 50 orders and a PENDING resolution write (API Gateway cuts at 29 s); the 5-minute settlement run gets 120 s for many batches of 50 and stops starting batches 30 s before the end, so it never overlaps the next run',
    tokenTable: 'read-write',
    // getOrder: get + settle a PENDING one; queryPayments: BatchGetItem of the answered orders + settle;
    // settlement run: Query pending, BatchGetItem (consistent re-read) + settle / notePending, refund
    // completion or release on the original payment (all UpdateItem); the events sweep: Query outbox,
    // BatchGetItem (consistent re-read), clearOutbox (UpdateItem).
    ledger: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    ledgerIndexes: ['pending', 'outbox'],
    bucketPrefixes: [],
    bucketReads: [],
    readsSecret: true,
    scheduled: true,
    publishesEvents: true,
  },
  {
    name: 'down-bill',
    id: 'DownBillFunction',
    description: 'GET /v1/bills/{bill_date} (paged), …/merchants, …/report.csv and the daily bill (synjones.onecard.down.bill)',
    memoryMb: 512,
    // lib/timings.ts bounds SYNJONES_TIMEOUT_MS by this very constant (MAX_PLATFORM_TIMEOUT_MS).
    timeoutSeconds: BILL_FUNCTION_TIMEOUT_SECONDS,
    sizingReason: 'a whole day\'s bill streamed: download, base64 + DES, text, parse, the merge and the report run over 64 KB chunks (lib/bills/pipeline.ts), and only the ledger\'s side of the day is held (typed arrays, one 80-byte record an order). npm run bench (test/bench/bills.bench.ts, 19:03 UTC 2026-12-04 on 2d3fe98, median of 3 runs, peak of all; children under the heap flags Lambda gives 512 MB), 1,000,000 rows, crypt 1: peak RSS +196 MB above a ~95 MB baseline as down-bill runs it (raw archive and row pages; the most, +209 MB in an earlier run), +183 MB for the pipeline alone, +192 MB for the ledger load alone, +62 MB for decrypt + parse, so ~305 MB at most: 512 MB leaves room for GC slack and two S3 multipart buffers (8 MiB parts). It was 2048 MB when the bill was held whole (923 MB). 5 min for the scheduled run (the API route is cut at 29 s anyway)',
    // Single DES-ECB runs natively (about 2.6× 3DES K|K|K) only with OpenSSL\'s legacy provider; without the
    // flag lib/protocol/crypto.ts falls back to 3DES by itself.
    nodeOptions: '--openssl-legacy-provider',
    tokenTable: 'read-write',
    // listDayOrders (Query by_day, projected), settleFromBill (BatchGetItem + settle).
    ledger: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    ledgerIndexes: ['by_day'],
    // lib/reconciliation/store.ts: get (acknowledge), conditional put (a new difference) and updates (last_seen,
    // reopen, resolve, acknowledge); Query by_day_status (a day's unresolved, a day's list) and by_status (list, count).
    // A final bill's differences in batches (lib/reconciliation/feed.ts): BatchGetItem reads which of 100 exist,
    // BatchWriteItem opens the absent ones 25 a call (no call per difference on a day with thousands).
    exceptions: {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      batchActions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
      indexes: ['by_status', 'by_day_status'],
    },
    bucketPrefixes: BILL_PREFIXES,
    // Read back: a stored download's header and pages (a final day, a cursor's page) and the report
    // (report.csv is a pre-signed GET of it, signed by this role); raw bills are write-only.
    bucketReads: ['reports/', 'downloads/'],
    // A download whose header could not be published removes its report (lib/bills/keys.ts downloadReportKey),
    // which no header names; versioned, so a delete only adds a marker (no DeleteObjectVersion).
    bucketDeletes: ['downloads/*/report.csv'],
    readsSecret: true,
    decidesBillFinality: true,
    scheduled: true,
    publishesEvents: true,
  },
];
