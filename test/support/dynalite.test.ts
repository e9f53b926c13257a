// Proves the shared dynalite helper gives a working database with the project's tables.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type TestDynamo } from './dynalite.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

it('creates the token and ledger tables', async () => {
  const { TableNames } = await dynamo.client.send(new ListTablesCommand({}));
  expect(TableNames).toEqual(expect.arrayContaining([dynamo.tables.tokenTable, dynamo.tables.ledgerTable]));
});
