// queryAll's paging: every page's items in order, the next page asked for with the last key; with prefetch the
// next Query is already sent while the caller works on the page before, and a failed prefetch surfaces in order.
import type { DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { queryAll } from '../../lib/dynamo/paging.js';

function pagedClient(pages: number, log: string[], failAt?: number): DynamoDBClient {
  return {
    async send(command: { input: QueryCommandInput }) {
      const at = Number(command.input.ExclusiveStartKey?.k?.N ?? '0');
      log.push(`send ${at}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (at === failAt) throw new Error(`page ${at} failed`);
      const Items = [{ v: { N: String(at * 10) } }, { v: { N: String(at * 10 + 1) } }];
      return at + 1 < pages ? { Items, LastEvaluatedKey: { k: { N: String(at + 1) } } } : { Items };
    },
  } as unknown as DynamoDBClient;
}

async function drain(items: AsyncIterable<Record<string, { N?: string }>>, log: string[]): Promise<string[]> {
  const values: string[] = [];
  for await (const item of items) {
    log.push(`item ${item.v!.N}`);
    values.push(item.v!.N!);
  }
  return values;
}

describe('queryAll', () => {
  it('reads every page in order, one Query after another by default', async () => {
    const log: string[] = [];
    expect(await drain(queryAll(pagedClient(3, log), { TableName: 't' }), log)).toEqual(['0', '1', '10', '11', '20', '21']);
    expect(log).toEqual(['send 0', 'item 0', 'item 1', 'send 1', 'item 10', 'item 11', 'send 2', 'item 20', 'item 21']);
  });

  it('with prefetch, asks for the next page before the caller has this one', async () => {
    const log: string[] = [];
    expect(await drain(queryAll(pagedClient(3, log), { TableName: 't' }, { prefetch: true }), log)).toEqual(['0', '1', '10', '11', '20', '21']);
    expect(log).toEqual(['send 0', 'send 1', 'item 0', 'item 1', 'send 2', 'item 10', 'item 11', 'item 20', 'item 21']);
    const failing: string[] = [];
    await expect(drain(queryAll(pagedClient(3, failing, 1), { TableName: 't' }, { prefetch: true }), failing)).rejects.toThrow('page 1 failed');
    expect(failing).toContain('item 1');
  });
});
