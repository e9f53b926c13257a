// Starts a real DynamoDB implementation (dynalite, in memory) on a random loopback port for a
// test file, with the project's tables created from lib/tables.ts; a failed condition returns the
// stored item when asked (ReturnValuesOnConditionCheckFailure), as DynamoDB does (lib/local/dynalite-fidelity.ts).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ensureTables, type TableNames } from '../../lib/tables.js';
import { returnItemOnConditionFailure } from '../../lib/local/dynalite-fidelity.js';

export interface TestDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tables: TableNames & { readonly exceptionsTable: string };
  /** A fresh client to the same database (as a second Lambda instance would have). */
  newClient(): DynamoDBClient;
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startDynalite(): Promise<TestDynamo> {
  returnItemOnConditionFailure();
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  tableCounter += 1;
  const tables = { tokenTable: `tokens-${tableCounter}`, ledgerTable: `ledger-${tableCounter}`, exceptionsTable: `exceptions-${tableCounter}` };
  await ensureTables(client, tables);
  return {
    endpoint,
    client,
    tables,
    newClient,
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
