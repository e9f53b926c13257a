// The exceptions store's reads and writes of many items (lib/reconciliation/store.ts delegates to these): a day's
// unresolved items page by page, which of a batch of ids exist, and the opening of a batch just read as absent.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { batchPutAll } from '../dynamo/batch-write.js';
import { batchGetAll, queryAll } from '../dynamo/paging.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { EXCEPTIONS_TABLE_KEY } from '../tables.js';
import { exceptionId, ExceptionStatus, type Difference } from './exceptions.js';
import { dayStatusKey, exceptionItem, type Item } from './items.js';

/** What a batch read tells of a stored exception. */
export interface ExceptionState {
  readonly status: ExceptionStatus;
  readonly lastSeen: string;
}

export interface Table {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const { partitionKey, byStatusIndex, byDayStatusIndex } = EXCEPTIONS_TABLE_KEY;

/** The day's open, then acknowledged items from by_day_status, a page at a time. */
export async function* unresolvedItems({ client, tableName }: Table, billDate: string): AsyncIterable<Item> {
  for (const status of [ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED]) {
    yield* queryAll(client, {
      TableName: tableName,
      IndexName: byDayStatusIndex.name,
      KeyConditionExpression: '#day_status = :day_status',
      ExpressionAttributeNames: { '#day_status': byDayStatusIndex.partitionKey },
      ExpressionAttributeValues: { ':day_status': { S: dayStatusKey(billDate, status) } },
    });
  }
}

/** The stored state of these ids (strongly consistent BatchGetItem, 100 per call); absent ids are not in the map. */
export async function readStates({ client, tableName }: Table, ids: readonly string[]): Promise<Map<string, ExceptionState>> {
  const found = new Map<string, ExceptionState>();
  for (const item of await batchGetAll(client, tableName, ids.map((id) => ({ [partitionKey]: { S: id } })))) {
    const id = item[partitionKey]?.S;
    const status = item[byStatusIndex.partitionKey]?.S as ExceptionStatus | undefined;
    if (id !== undefined && status !== undefined) found.set(id, { status, lastSeen: item.last_seen?.S ?? '' });
  }
  return found;
}

/** Opens these differences (first_seen = last_seen = at) with BatchWriteItem, 25 per call, no condition. */
export async function putOpened({ client, tableName }: Table, differences: readonly Difference[], at: Date): Promise<void> {
  const when = toChinaIso(at);
  await batchPutAll(
    client,
    tableName,
    differences.map((difference) =>
      exceptionItem({ ...difference, id: exceptionId(difference), firstSeen: when, lastSeen: when, status: ExceptionStatus.OPEN }),
    ),
  );
}
