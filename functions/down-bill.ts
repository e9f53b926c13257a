// GET /v1/bills/{bill_date} (a page of the day's bill with its reconciliation), …/merchants, …/report.csv, the
// reconciliation exceptions (list, acknowledge), and the daily schedule ({"kind":"daily-bill"}) that downloads
// yesterday's (China date) bill afresh, reconciles it, settles the PENDING orders it proves and publishes
// ReconciliationMismatches, and OpenReconciliationExceptions also when it fails ("bill_date" re-runs another day).
// A caller with a list of merchant accounts sees only theirs.
import { S3Client } from '@aws-sdk/client-s3';
import { apiAndScheduled } from '../lib/adapter/dispatch.js';
import { httpHandler } from '../lib/adapter/http-handler.js';
import { scheduledHandler } from '../lib/adapter/scheduled-handler.js';
import { BillParamsSchema } from '../lib/api/schemas.js';
import { callerScope } from '../lib/callers/access.js';
import { createDirectoryArchive, createS3Archive, localBillDir } from '../lib/bills/archive.js';
import type { BillHooks } from '../lib/bills/service-types.js';
import type { GatewayConfig } from '../lib/config.js';
import { getLogger } from '../lib/observability/logger.js';
import { publishServiceMetric } from '../lib/observability/metrics.js';
import { ConfigurationError, ValidationError } from '../lib/errors.js';
import { billJson, merchantsJson, reportCsvResult } from '../lib/presenters/bill.js';
import { getBillService } from '../lib/bill-runtime.js';
import { getReconciliationService } from '../lib/reconciliation-runtime.js';
import { CUSTOM_METRICS } from '../lib/observability/names.js';
import { exceptionJson, exceptionListJson } from '../lib/presenters/exception.js';
import { createEventBridgeSink } from '../lib/events/eventbridge-sink.js';
import { useEventBus } from '../lib/runtime.js';
import { timeLeft } from '../lib/adapter/time-left.js';
import { describeError } from '../lib/adapter/describe-error.js';

// Settles orders (reconciled ones here): their Order Settled events go to the stack's bus.
useEventBus(createEventBridgeSink);

/** The EventBridge Scheduler payload; `bill_date` (yyyyMMdd) only for a manual re-run of another day. */
export interface DailyBillEvent {
  readonly kind: 'daily-bill';
  readonly bill_date?: string;
}

/** S3 when deployed (BILL_BUCKET; throttling retried by the SDK's adaptive mode and the archive); a local data directory otherwise. */
const archiveFor = (config: GatewayConfig) => {
  if (config.billBucket) {
    const client = new S3Client({ ...(config.region ? { region: config.region } : {}), retryMode: 'adaptive', maxAttempts: 5 });
    return createS3Archive({ client, bucket: config.billBucket });
  }
  if (config.dataDir) return createDirectoryArchive(localBillDir(config.dataDir));
  throw new ConfigurationError('bills need BILL_BUCKET (deployed) or ONECARD_DATA_DIR (local)');
};

/** Metrics and the archive-failure log line of every bill call. */
const hooks: BillHooks = {
  publishMetric: publishServiceMetric,
  onArchiveFailure: (error, { billDate, billType }) =>
    getLogger().error('bill download not stored in the archive: answered without it', {
      bill_date: billDate,
      bill_type: billType,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    }),
};

const api = httpHandler({
  name: 'down-bill',
  routes: {
    'GET /v1/bills/{bill_date}': async ({ params, query, caller }, context) => {
      const bills = await getBillService(archiveFor);
      const page = await bills.getBill({
        ...hooks,
        ...timeLeft(context, 'route'),
        billDate: params.bill_date,
        scope: callerScope(caller),
        ...(query.bill_type ? { billType: query.bill_type } : {}),
        ...(query.crypt_type ? { cryptType: query.crypt_type } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return { statusCode: 200, body: billJson(page) };
    },
    'GET /v1/bills/{bill_date}/merchants': async ({ params, query, caller }, context) => {
      const bills = await getBillService(archiveFor);
      const view = await bills.getMerchants({
        ...hooks,
        ...timeLeft(context, 'route'),
        billDate: params.bill_date,
        scope: callerScope(caller),
        ...(query.bill_type ? { billType: query.bill_type } : {}),
        ...(query.crypt_type ? { cryptType: query.crypt_type } : {}),
      });
      return { statusCode: 200, body: merchantsJson(view) };
    },
    'GET /v1/bills/{bill_date}/report.csv': async ({ params, query, caller }, context) => {
      const bills = await getBillService(archiveFor);
      const answer = await bills.getReport({
        ...hooks,
        ...timeLeft(context, 'route'),
        billDate: params.bill_date,
        scope: callerScope(caller),
        ...(query.bill_type ? { billType: query.bill_type } : {}),
        ...(query.crypt_type ? { cryptType: query.crypt_type } : {}),
      });
      return reportCsvResult(answer, params.bill_date);
    },
    'GET /v1/reconciliation/exceptions': async ({ query, caller }) => {
      const exceptions = await getReconciliationService();
      const list = await exceptions.list({
        scope: callerScope(caller),
        ...(query.status ? { status: query.status } : {}),
        ...(query.bill_date ? { billDate: query.bill_date } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return { statusCode: 200, body: exceptionListJson(list) };
    },
    'POST /v1/reconciliation/exceptions/{id}/acknowledge': async ({ params, body, caller }) => {
      const exceptions = await getReconciliationService();
      const acknowledged = await exceptions.acknowledge({ scope: callerScope(caller), id: params.id, note: body.note });
      return { statusCode: 200, body: exceptionJson(acknowledged) };
    },
  },
});

/** The gauge of open exceptions, once this run has opened and resolved its day's (alarmed in infra/constructs/alarms.ts). */
async function publishOpenExceptions(): Promise<void> {
  publishServiceMetric(CUSTOM_METRICS.openReconciliationExceptions, await (await getReconciliationService()).countOpen());
}

const daily = scheduledHandler({
  name: 'down-bill',
  handle: async (event: DailyBillEvent, context) => {
    let billDate: string | undefined;
    if (event.bill_date !== undefined) {
      const parsed = BillParamsSchema.safeParse({ bill_date: event.bill_date });
      if (!parsed.success) throw new ValidationError('bill_date of the scheduled run must be a date yyyyMMdd', 'bill_date');
      billDate = parsed.data.bill_date;
    }
    const result = await getBillService(archiveFor)
      .then((bills) => bills.runDaily({ ...hooks, ...timeLeft(context, 'schedule'), ...(billDate ? { billDate } : {}) }))
      .catch(async (error: unknown) => {
        // Failed (the platform down, …): the exceptions still open are counted all the same, so the alarm sees them
        // stay open through an outage; a count that fails too is logged, and the run fails with its own error.
        await publishOpenExceptions().catch((countError: unknown) =>
          getLogger().error('OpenReconciliationExceptions not published after a failed daily run', { error: describeError(countError, false) }),
        );
        throw error;
      });
    await publishOpenExceptions();
    return result;
  },
  summarize: (result) => ({ ...result }),
});

export const handler = apiAndScheduled({ api, kind: 'daily-bill', scheduled: daily });
