// Writing many DynamoDB items without conditions: BatchWriteItem puts, 25 per call, unprocessed items
// retried with backoff. Only for items a caller has just read as absent (no condition can be attached).
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Item } from './conditional.js';

/** BatchWriteItem accepts at most this many requests per call. */
export const BATCH_WRITE_LIMIT = 25;
/** Rounds per chunk before giving up on items DynamoDB keeps leaving unprocessed. */
const BATCH_WRITE_ROUNDS = 10;

/**
 * Puts `items` into one table in calls of BATCH_WRITE_LIMIT (two items with one key in a call are refused by
 * DynamoDB: the caller passes distinct keys).
 * @throws Error when DynamoDB leaves items unprocessed for BATCH_WRITE_ROUNDS rounds.
 */
export async function batchPutAll(client: DynamoDBClient, tableName: string, items: readonly Item[]): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    let pending: WriteRequest[] = items.slice(start, start + BATCH_WRITE_LIMIT).map((item) => ({ PutRequest: { Item: item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= BATCH_WRITE_ROUNDS) throw new Error(`BatchWriteItem left ${pending.length} unprocessed`);
      if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
      const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = response.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
