// An EventBridge stand-in over HTTP (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) for a deployed bundle
// in another process, reached through AWS_ENDPOINT_URL_EVENTBRIDGE: it records every entry and can refuse
// the next entries as the service does in a partial failure (FailedEntryCount, ErrorCode per entry).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PutEntry {
  readonly EventBusName?: string;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
}

export interface HttpEventBridge {
  /** For AWS_ENDPOINT_URL_EVENTBRIDGE. */
  readonly endpoint: string;
  /** Entries accepted so far, in order. */
  readonly accepted: readonly PutEntry[];
  /** Entries refused so far. */
  readonly refused: readonly PutEntry[];
  /** The next `entries` entries are refused (ErrorCode InternalException). */
  refuseNext(entries: number): void;
  close(): Promise<void>;
}

export async function startHttpEventBridge(): Promise<HttpEventBridge> {
  const accepted: PutEntry[] = [];
  const refused: PutEntry[] = [];
  let refuse = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents' || !/Credential=[^/]+\/[^/]+\/[^/]+\/events\//.test(String(request.headers.authorization))) {
        reply(400, { __type: 'UnknownOperationException', Message: 'only SigV4-signed PutEvents' });
        return;
      }
      const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEntry[] };
      const answers = Entries.map((entry) => {
        if (refuse > 0) {
          refuse--;
          refused.push(entry);
          return { ErrorCode: 'InternalException', ErrorMessage: 'refused by the test' };
        }
        accepted.push(entry);
        return { EventId: randomUUID() };
      });
      reply(200, { FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length, Entries: answers });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    refused,
    refuseNext: (entries) => {
      refuse = entries;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
