// The local DynamoDB: an embedded dynalite (in memory) on a loopback port, or an endpoint given
// by DYNAMODB_ENDPOINT shared by several local servers; tables are created only when absent.
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ensureTables, type TableNames } from '../tables.js';
import { returnItemOnConditionFailure } from './dynalite-fidelity.js';

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** True when this process started the database (and stops it on close). */
  readonly embedded: boolean;
  close(): Promise<void>;
}

export async function startLocalDynamo(options: { endpoint?: string; tables: TableNames }): Promise<LocalDynamo> {
  let endpoint = options.endpoint;
  let stop: () => Promise<void> = async () => {};
  if (!endpoint) {
    returnItemOnConditionFailure();
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTables(client, options.tables);
  } catch (error) {
    client.destroy();
    await stop();
    throw error;
  }
  return {
    endpoint,
    client,
    embedded: options.endpoint === undefined,
    close: async () => {
      client.destroy();
      await stop();
    },
  };
}
