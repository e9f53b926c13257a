// lib/dynamo: a failed condition answers with the stored item from the failed write (on dynalite, taught
// DynamoDB's ALL_OLD), the one fallback read when a failure carries none, and BatchGet's unprocessed keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { writeIf } from '../../lib/dynamo/conditional.js';
import { batchGetAll } from '../../lib/dynamo/paging.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { countDynamoCalls, type DynamoCallLog } from '../support/dynamo-calls.js';

let dynamo: TestDynamo;
let log: DynamoCallLog;
let table: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  log = countDynamoCalls(dynamo.client);
  table = dynamo.tables.ledgerTable;
});
afterAll(async () => dynamo.close());

describe('writeIf on dynalite', () => {
  it('writes when the condition holds and returns what ReturnValues asked for', async () => {
    const key = { order_no: { S: 'W1' } };
    const put = await writeIf(dynamo.client, {
      put: { TableName: table, Item: { ...key, n: { N: '1' } }, ConditionExpression: 'attribute_not_exists(order_no)' },
      key,
    });
    expect(put).toEqual({ written: true, attributes: undefined });
    const update = await writeIf(dynamo.client, {
      update: {
        TableName: table,
        Key: key,
        UpdateExpression: 'SET n = n + :one',
        ConditionExpression: 'n = :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      },
    });
    expect(update).toEqual({ written: true, attributes: { ...key, n: { N: '2' } } });
  });

  it('answers a failed condition with the stored item in the same call, no read', async () => {
    const key = { order_no: { S: 'W2' } };
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { ...key, n: { N: '7' } } }));
    const sent = await log.during(async () => {
      const result = await writeIf(dynamo.client, {
        put: { TableName: table, Item: { ...key, n: { N: '8' } }, ConditionExpression: 'attribute_not_exists(order_no)' },
        key,
      });
      expect(result).toEqual({ written: false, stored: { ...key, n: { N: '7' } } });
    });
    expect(sent).toEqual(['PutItemCommand']);
  });

  it('asks for nothing and reads nothing when the caller does not need the stored item', async () => {
    const key = { order_no: { S: 'W3' } };
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { ...key, secret: { S: 's' } } }));
    const sent = await log.during(async () => {
      const result = await writeIf(
        dynamo.client,
        { update: { TableName: table, Key: key, UpdateExpression: 'REMOVE secret', ConditionExpression: 'attribute_not_exists(secret)' } },
        { needStored: false },
      );
      expect(result).toEqual({ written: false, stored: undefined });
    });
    expect(sent).toEqual(['UpdateItemCommand']);
  });

  it('reports an absent item as absent (one fallback read, since DynamoDB then returns no Item either)', async () => {
    const result = await writeIf(dynamo.client, {
      update: { TableName: table, Key: { order_no: { S: 'W-absent' } }, UpdateExpression: 'SET n = :one', ConditionExpression: 'attribute_exists(order_no)', ExpressionAttributeValues: { ':one': { N: '1' } } },
    });
    expect(result).toEqual({ written: false, stored: undefined });
  });
});

describe('writeIf when a failure carries no item (an emulator that ignores ALL_OLD)', () => {
  const client = new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);
  const failure = (): ConditionalCheckFailedException =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  it('reads the item once, consistently, by the write key', async () => {
    mock.reset();
    mock.on(UpdateItemCommand).rejects(failure());
    mock.on(GetItemCommand).resolves({ Item: { order_no: { S: 'F1' }, n: { N: '3' } } });
    const result = await writeIf(client, {
      update: { TableName: 't', Key: { order_no: { S: 'F1' } }, UpdateExpression: 'SET n = :n', ConditionExpression: 'n = :n' },
    });
    expect(result).toEqual({ written: false, stored: { order_no: { S: 'F1' }, n: { N: '3' } } });
    expect(mock.commandCalls(UpdateItemCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    const reads = mock.commandCalls(GetItemCommand);
    expect(reads.map((call) => call.args[0].input)).toEqual([{ TableName: 't', Key: { order_no: { S: 'F1' } }, ConsistentRead: true }]);
  });

  it('reads nothing when the failure carries the item, and rethrows every other error', async () => {
    mock.reset();
    mock.on(PutItemCommand).rejectsOnce(
      new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: { order_no: { S: 'F2' } } }),
    );
    const result = await writeIf(client, {
      put: { TableName: 't', Item: { order_no: { S: 'F2' } }, ConditionExpression: 'attribute_not_exists(order_no)' },
      key: { order_no: { S: 'F2' } },
    });
    expect(result).toEqual({ written: false, stored: { order_no: { S: 'F2' } } });
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(0);

    mock.on(PutItemCommand).rejects(new Error('throttled'));
    await expect(
      writeIf(client, { put: { TableName: 't', Item: {}, ConditionExpression: 'x' }, key: {} }),
    ).rejects.toThrow('throttled');
  });
});

describe('batchGetAll', () => {
  it('retries unprocessed keys until every key is answered', async () => {
    const client = new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    const keys = [{ k: { S: 'a' } }, { k: { S: 'b' } }];
    mock
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { t: [keys[0]!] }, UnprocessedKeys: { t: { Keys: [keys[1]!] } } })
      .resolvesOnce({ Responses: { t: [keys[1]!] } });
    expect(await batchGetAll(client, 't', keys)).toEqual(keys);
    expect(mock.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems?.['t']?.Keys)).toEqual([keys, [keys[1]]]);
  });
});
