// The DynamoDB tables' key schemas, in one place: the local stack and the tests create them
// from here (ensureTables), and infra/ declares the same keys for the deployed tables.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** Token table: one item per app_key (see lib/token). */
export const TOKEN_TABLE_KEY = { partitionKey: 'app_key' } as const;

/**
 * Ledger table: one item per order_no (payments and refunds alike, see lib/ledger).
 * - GSI `by_day`: every order by its China trade day, sorted by order_no, so the daily bill can be
 *   merge-joined against the ledger in one ordered pass (no scan, no full load in memory).
 * - GSI `pending`: sparse; only PENDING orders carry `pending`, sorted by created_at, so the
 *   settler and the "PENDING older than 15 minutes" alarm read just those.
 * - GSI `outbox`: sparse; only a settled order whose `Order Settled` event is not yet published carries
 *   `outbox`, sorted by updated_at, so the sweeper (the settlement schedule) reads just those (lib/events).
 */
export const LEDGER_TABLE_KEY = {
  partitionKey: 'order_no',
  byDayIndex: { name: 'by_day', partitionKey: 'trade_day', sortKey: 'order_no' },
  pendingIndex: { name: 'pending', partitionKey: 'pending', sortKey: 'created_at' },
  outboxIndex: { name: 'outbox', partitionKey: 'outbox', sortKey: 'updated_at' },
} as const;

/**
 * Reconciliation exceptions table: one item per difference, keyed by its deterministic id (lib/reconciliation).
 * Both indexes sort by `listed` (first_seen, then id), so lists come newest first_seen first with ScanIndexForward false:
 * - GSI `by_status`: every exception by its status (open, acknowledged, resolved): the list without bill_date and
 *   the OpenReconciliationExceptions count.
 * - GSI `by_day_status`: by "bill_date#status": the list of one day, and the day's non-resolved exceptions that a
 *   reconciliation of that day loads before it runs.
 */
export const EXCEPTIONS_TABLE_KEY = {
  partitionKey: 'id',
  byStatusIndex: { name: 'by_status', partitionKey: 'status', sortKey: 'listed' },
  byDayStatusIndex: { name: 'by_day_status', partitionKey: 'day_status', sortKey: 'listed' },
} as const;

export interface TableNames {
  readonly tokenTable: string;
  readonly ledgerTable: string;
  /** Created when named (the local stack names it; tests that need no exceptions leave it out). */
  readonly exceptionsTable?: string;
}

/** Creates the tables when absent (several local servers may share one database). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await ensureTable(client, names.tokenTable, () =>
    new CreateTableCommand({
      TableName: names.tokenTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: TOKEN_TABLE_KEY.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TOKEN_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
    }),
  );
  const { byDayIndex, pendingIndex, outboxIndex } = LEDGER_TABLE_KEY;
  await ensureTable(client, names.ledgerTable, () =>
    new CreateTableCommand({
      TableName: names.ledgerTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: LEDGER_TABLE_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: byDayIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: pendingIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: pendingIndex.sortKey, AttributeType: 'S' },
        { AttributeName: outboxIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: outboxIndex.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: LEDGER_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [byDayIndex, pendingIndex, outboxIndex].map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
  if (names.exceptionsTable !== undefined) await ensureExceptionsTable(client, names.exceptionsTable);
}

async function ensureExceptionsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { byStatusIndex, byDayStatusIndex } = EXCEPTIONS_TABLE_KEY;
  await ensureTable(client, tableName, () =>
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: EXCEPTIONS_TABLE_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: byStatusIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: byDayStatusIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: byStatusIndex.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: EXCEPTIONS_TABLE_KEY.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [byStatusIndex, byDayStatusIndex].map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
}

async function ensureTable(client: DynamoDBClient, tableName: string, create: () => CreateTableCommand): Promise<void> {
  try {
    await client.send(create());
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite (like DynamoDB) creates asynchronously: wait until ACTIVE.
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
