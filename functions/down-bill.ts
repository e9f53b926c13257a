// GET /v1/bills/{bill_date} → synjones.onecard.down.bill with reconciliation, and the daily
// schedule ({"kind":"daily-bill"}) that archives yesterday's (China date) bill.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDirectoryArchive, createS3Archive } from '../lib/bills/archive.js';
import type { GatewayConfig } from '../lib/config.js';
import { httpHandler, scheduledHandler } from '../lib/http/chain.js';
import { BillParamsSchema, BillQuerySchema } from '../lib/http/schemas.js';
import { getBillService } from '../lib/runtime.js';

const archiveFor = (config: GatewayConfig) =>
  config.billBucket
    ? createS3Archive({ client: new S3Client(config.region ? { region: config.region } : {}), bucket: config.billBucket })
    : createDirectoryArchive(config.billDir ?? join(tmpdir(), 'onecard-bills'));

const api = httpHandler({
  name: 'down-bill',
  params: BillParamsSchema,
  query: BillQuerySchema,
  handle: async ({ params, query }) => {
    const bills = await getBillService(archiveFor);
    const bill = await bills.getBill({
      billDate: params.bill_date,
      ...(query.bill_type ? { billType: query.bill_type } : {}),
      ...(query.crypt_type ? { cryptType: query.crypt_type } : {}),
    });
    return { statusCode: 200, body: bill };
  },
});

const daily = scheduledHandler({
  name: 'down-bill',
  handle: async () => (await getBillService(archiveFor)).runDaily(),
  summarize: (result) => ({ ...result }),
});

export const handler = async (event: APIGatewayProxyEvent | { kind: 'daily-bill' }, context: Context): Promise<unknown> =>
  'kind' in event && event.kind === 'daily-bill' ? daily(event, context) : api(event as APIGatewayProxyEvent, context);
