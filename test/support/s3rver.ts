// A real S3 API for tests: s3rver on 127.0.0.1 (random port) over a temporary directory, removed on stop,
// and an optional proxy in front of it that answers the first N requests with 503 SlowDown.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's built-in key pair (its only account). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  readonly endpoint: string;
  /** A client like the deployed one (default retries, checksums), pointed at this server. */
  client(options?: { readonly endpoint?: string; readonly credentials?: { accessKeyId: string; secretAccessKey: string } }): S3Client;
  stop(): Promise<void>;
}

export async function startS3rver(buckets: readonly string[]): Promise<LocalS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'onecard-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    client(options = {}) {
      const client = new S3Client({
        region: 'ap-east-1',
        endpoint: options.endpoint ?? endpoint,
        forcePathStyle: true,
        credentials: options.credentials ?? S3RVER_CREDENTIALS,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface SlowDownProxy {
  readonly endpoint: string;
  /** Requests seen, refused ones included. */
  readonly requests: () => number;
  /** Answer the next `count` requests with 503 SlowDown, then forward again. */
  throttleNext(count: number): void;
  stop(): Promise<void>;
}

const SLOW_DOWN_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Forwards to `target` unchanged (the Host header too, so SigV4 still verifies) unless told to throttle. */
export async function startSlowDownProxy(target: string): Promise<SlowDownProxy> {
  const upstream = new URL(target);
  let seen = 0;
  let toRefuse = 0;
  const server = http.createServer((request, response) => {
    seen += 1;
    if (toRefuse > 0) {
      toRefuse -= 1;
      request.resume();
      response.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN_BODY);
      return;
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => seen,
    throttleNext(count) {
      toRefuse = count;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
