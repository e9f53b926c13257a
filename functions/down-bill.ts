// GET /v1/bills/{bill_date} → synjones.onecard.down.bill with reconciliation, and the daily
// schedule ({"kind":"daily-bill"}) that reconciles and archives yesterday's (China date) bill, settles
// the PENDING orders it proves and publishes ReconciliationMismatches ("bill_date" re-runs another day).
import { S3Client } from '@aws-sdk/client-s3';
import { apiAndScheduled } from '../lib/adapter/dispatch.js';
import { httpHandler } from '../lib/adapter/http-handler.js';
import { scheduledHandler } from '../lib/adapter/scheduled-handler.js';
import { BillParamsSchema } from '../lib/api/schemas.js';
import { createDirectoryArchive, createS3Archive, localBillDir } from '../lib/bills/archive.js';
import type { GatewayConfig } from '../lib/config.js';
import { publishServiceMetric } from '../lib/observability/metrics.js';
import { ConfigurationError, ValidationError } from '../lib/errors.js';
import { billJson } from '../lib/presenters/bill.js';
import { getBillService } from '../lib/runtime.js';

/** The EventBridge Scheduler payload; `bill_date` (yyyyMMdd) only for a manual re-run of another day. */
export interface DailyBillEvent {
  readonly kind: 'daily-bill';
  readonly bill_date?: string;
}

/** S3 when deployed (BILL_BUCKET); a local data directory otherwise, never a guessed temp directory. */
const archiveFor = (config: GatewayConfig) => {
  if (config.billBucket) {
    return createS3Archive({ client: new S3Client(config.region ? { region: config.region } : {}), bucket: config.billBucket });
  }
  if (config.dataDir) return createDirectoryArchive(localBillDir(config.dataDir));
  throw new ConfigurationError('bills need BILL_BUCKET (deployed) or ONECARD_DATA_DIR (local)');
};

const api = httpHandler({
  name: 'down-bill',
  routes: {
    'GET /v1/bills/{bill_date}': async ({ params, query }) => {
      const bills = await getBillService(archiveFor);
      const report = await bills.getBill({
        billDate: params.bill_date,
        ...(query.bill_type ? { billType: query.bill_type } : {}),
        ...(query.crypt_type ? { cryptType: query.crypt_type } : {}),
      });
      return { statusCode: 200, body: billJson(report) };
    },
  },
});

const daily = scheduledHandler({
  name: 'down-bill',
  handle: async (event: DailyBillEvent) => {
    let billDate: string | undefined;
    if (event.bill_date !== undefined) {
      const parsed = BillParamsSchema.safeParse({ bill_date: event.bill_date });
      if (!parsed.success) throw new ValidationError('bill_date of the scheduled run must be a date yyyyMMdd', 'bill_date');
      billDate = parsed.data.bill_date;
    }
    const bills = await getBillService(archiveFor);
    return bills.runDaily({ ...(billDate ? { billDate } : {}), publishMetric: publishServiceMetric });
  },
  summarize: (result) => ({ ...result }),
});

export const handler = apiAndScheduled({ api, kind: 'daily-bill', scheduled: daily });
