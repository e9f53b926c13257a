// Reading many DynamoDB items: every page of a Query, and BatchGetItem over any number of keys
// (100 per call, unprocessed keys retried with backoff).
import {
  BatchGetItemCommand,
  QueryCommand,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Item } from './conditional.js';

/** BatchGetItem accepts at most this many keys per call. */
export const BATCH_GET_LIMIT = 100;
/** Rounds per chunk of keys before giving up on keys DynamoDB keeps leaving unprocessed. */
const BATCH_GET_ROUNDS = 10;

/**
 * Every item of a Query, page after page (the input's Limit is the page size). With `prefetch` the next page is
 * asked for as soon as a page arrives, so its round trip overlaps the caller's work on this one (one page more
 * in memory; a caller that stops early has sent one Query for nothing).
 */
export async function* queryAll(
  client: DynamoDBClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  options: { readonly prefetch?: boolean } = {},
): AsyncIterable<Item> {
  for await (const page of queryPages(client, input, options)) yield* page;
}

/** queryAll a page at a time (one await per page, not per item). */
export async function* queryPages(
  client: DynamoDBClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  options: { readonly prefetch?: boolean } = {},
): AsyncIterable<Item[]> {
  const ask = (startKey: Item | undefined) => client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
  let next = ask(undefined);
  for (;;) {
    const page = await next;
    const startKey = page.LastEvaluatedKey;
    if (startKey && options.prefetch) {
      next = ask(startKey);
      next.catch(() => undefined); // surfaced when awaited above
    }
    yield page.Items ?? [];
    if (!startKey) return;
    if (!options.prefetch) next = ask(startKey);
  }
}

/**
 * Strongly consistent reads of `keys` from one table, in calls of BATCH_GET_LIMIT; absent items are
 * simply not returned.
 * @throws Error when DynamoDB leaves keys unprocessed for BATCH_GET_ROUNDS rounds.
 */
export async function batchGetAll(client: DynamoDBClient, tableName: string, keys: readonly Item[]): Promise<Item[]> {
  const found: Item[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Item[] = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let round = 0; pending.length > 0; round++) {
      if (round >= BATCH_GET_ROUNDS) throw new Error(`BatchGetItem on ${tableName} left ${pending.length} keys unprocessed`);
      if (round > 0) await sleep(Math.min(1000, 20 * 2 ** round));
      const response = await client.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...(response.Responses?.[tableName] ?? []));
      pending = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
