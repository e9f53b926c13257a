// Where downloaded bills are kept, as named text objects: S3 when deployed (BILL_BUCKET, versioned),
// a local directory otherwise (npm start, tests), where a replaced object is kept side by side.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConfigurationError } from '../errors.js';
import { createS3Writer } from './s3-writer.js';

/**
 * What a local writer takes before its write() waits for the disk. Node's default (16 KB) is less than one of the
 * pipeline's 64 KB report pieces, so every piece waited for its file write (~0.3 s of a million-row pass spent
 * waiting); like the S3 writer, which fills a part while the one before uploads, it goes on while the disk catches up.
 */
export const DIRECTORY_WRITE_BUFFER = 1 << 20;

export interface PutOptions {
  readonly contentType: string;
  /** Locally, keep what the key held before beside it (`<name>.<stamp>.<ext>`); S3 versioning does this deployed. */
  readonly keepPrevious?: boolean;
}

/** An object written as it is produced (the raw bill, the report): visible under its key only once closed. */
export interface ArchiveWriter {
  /** Appends text (UTF-8); await it: it resolves when the writer can take more. */
  write(text: string): Promise<void>;
  /** Makes the object whole under its key (with PutOptions.keepPrevious as putText). */
  close(): Promise<void>;
  /** Drops what was written; the key keeps what it held. */
  abort(): Promise<void>;
}

export interface BillArchive {
  getText(key: string): Promise<string | undefined>;
  putText(key: string, body: string, options: PutOptions): Promise<void>;
  /** The object's bytes as they are read (the stored report is served and filtered from this); undefined when absent. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** A writer of one object, for text too large to hold whole. */
  openWriter(key: string, options: PutOptions): ArchiveWriter;
  /**
   * Deletes an object (a report written for a download whose header could not be published). S3: a delete
   * marker, the version then expires as noncurrent. Absent in archives that cannot delete (test doubles).
   */
  readonly remove?: (key: string) => Promise<void>;
  /** Deployed: a pre-signed GET URL of the object valid `seconds`. Absent locally (the caller serves the body). */
  readonly presignGet?: (key: string, seconds: number) => Promise<string>;
}

export { datePath, dayReportKey, downloadReportKey, rawKey, reportKey } from './keys.js';

export interface S3ArchiveOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Attempts of one call on S3 throttling (SlowDown, 503), on top of the SDK's own retries; default 4. */
  readonly throttleAttempts?: number;
  /** Wait before the n-th retry (n from 1); default 200 ms × 2^(n-1) with jitter. */
  readonly backoffMs?: (attempt: number) => number;
}

/** S3 says "slow down": SlowDown, a throttling error, or a 503. */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } } | undefined;
  return (
    e?.name === 'SlowDown' ||
    e?.name === 'ThrottlingException' ||
    e?.name === 'Throttling' ||
    e?.name === 'RequestLimitExceeded' ||
    e?.$retryable?.throttling === true ||
    e?.$metadata?.httpStatusCode === 503
  );
}

/**
 * Bills in an S3 bucket (server-side encryption is the bucket's default). Throttling (SlowDown) is
 * retried by the SDK and then here; a missing bucket or a refused request is a ConfigurationError
 * naming bucket, key and action.
 */
export function createS3Archive(options: S3ArchiveOptions): BillArchive {
  const { client, bucket } = options;
  const attempts = Math.max(1, options.throttleAttempts ?? 4);
  const backoff = options.backoffMs ?? ((attempt: number) => 200 * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
  const withRetry = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts || !isThrottling(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  };
  return {
    async getText(key) {
      try {
        return await withRetry(async () => {
          const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return (await output.Body?.transformToString('utf-8')) ?? '';
        });
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string } | undefined)?.name === 'NoSuchKey') return undefined;
        throw s3ConfigurationError(error, bucket, key, 's3:GetObject') ?? error;
      }
    },
    async putText(key, body, putOptions) {
      try {
        await withRetry(() =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: putOptions.contentType })),
        );
      } catch (error) {
        throw s3ConfigurationError(error, bucket, key, 's3:PutObject') ?? error;
      }
    },
    async getStream(key) {
      try {
        const output = await withRetry(() => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
        return (output.Body as AsyncIterable<Uint8Array> | undefined) ?? emptyStream();
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string } | undefined)?.name === 'NoSuchKey') return undefined;
        throw s3ConfigurationError(error, bucket, key, 's3:GetObject') ?? error;
      }
    },
    openWriter(key, putOptions) {
      return createS3Writer({
        client,
        bucket,
        key,
        contentType: putOptions.contentType,
        call: async (action, send) => {
          try {
            return await withRetry(send);
          } catch (error) {
            throw s3ConfigurationError(error, bucket, key, action) ?? error;
          }
        },
      });
    },
    async remove(key) {
      try {
        await withRetry(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      } catch (error) {
        throw s3ConfigurationError(error, bucket, key, 's3:DeleteObject') ?? error;
      }
    },
    presignGet: (key, seconds) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds }),
  };
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {}

/** A missing bucket or a 403 (denied, unknown key, bad signature) as a ConfigurationError; anything else undefined. */
function s3ConfigurationError(error: unknown, bucket: string, key: string, action: string): ConfigurationError | undefined {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (name === 'NoSuchBucket') {
    return new ConfigurationError(`bill bucket ${bucket} does not exist (BILL_BUCKET)`, { bucket, key }, { cause: error });
  }
  if ($metadata?.httpStatusCode === 403 || name === 'AccessDenied') {
    return new ConfigurationError(
      `bill bucket ${bucket} refused ${action} on ${key} (${name ?? 'HTTP 403'}): check the function's role and credentials`,
      { bucket, key },
      { cause: error },
    );
  }
  return undefined;
}

/** Where the bills live inside a local data directory (ONECARD_DATA_DIR): `<dataDir>/bills/…`. */
export function localBillDir(dataDir: string): string {
  return join(dataDir, 'bills');
}

/** `raw/…/ALL.txt` → `raw/…/ALL.<stamp>.txt`. */
function besidePath(path: string, stamp: string): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}.${stamp}${path.slice(dot)}` : `${path}.${stamp}`;
}

/**
 * Bills under a local directory, same key layout as S3. Each write goes to its own temporary file
 * (a random name: concurrent writers of one key never share one) and is renamed into place.
 */
export function createDirectoryArchive(root: string): BillArchive {
  /** Moves a finished temporary file into place, keeping what the key held beside it when asked. */
  const publish = async (temporary: string, path: string, putOptions: PutOptions): Promise<void> => {
    if (putOptions.keepPrevious) {
      const previous = await stat(path).catch(() => undefined);
      if (previous) {
        const stamp = `${previous.mtime.toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
        await rename(path, besidePath(path, stamp)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error; // a concurrent writer moved it first
        });
      }
    }
    await rename(temporary, path);
  };
  return {
    async getText(key) {
      try {
        return await readFile(join(root, key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async putText(key, body, putOptions) {
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${randomUUID()}.tmp`;
      await writeFile(temporary, body, 'utf8');
      await publish(temporary, path, putOptions);
    },
    async getStream(key) {
      const path = join(root, key);
      const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      return found ? (createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Uint8Array>) : undefined;
    },
    async remove(key) {
      await rm(join(root, key), { force: true });
    },
    openWriter(key, putOptions) {
      const path = join(root, key);
      const temporary = `${path}.${randomUUID()}.tmp`;
      let out: ReturnType<typeof createWriteStream> | undefined;
      let failure: Error | undefined;
      let aborted = false;
      // One opening for every caller: a write still creating the directory when abort comes must not open the
      // temporary file after abort removed it (it would be left behind).
      let opening: Promise<ReturnType<typeof createWriteStream>> | undefined;
      const opened = (): Promise<ReturnType<typeof createWriteStream>> =>
        (opening ??= (async () => {
          await mkdir(dirname(path), { recursive: true });
          if (aborted) throw new Error(`archive writer of ${key} was aborted`);
          out = createWriteStream(temporary, { highWaterMark: DIRECTORY_WRITE_BUFFER });
          out.on('error', (error) => {
            failure ??= error;
          });
          return out;
        })());
      return {
        async write(text) {
          const stream = await opened();
          if (failure) throw failure;
          // once() rejects on 'error' and leaves no listener behind.
          if (!stream.write(text, 'utf8')) await once(stream, 'drain');
          if (failure) throw failure;
        },
        async close() {
          const stream = await opened();
          await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
          if (failure) throw failure;
          await publish(temporary, path, putOptions);
        },
        async abort() {
          aborted = true;
          await opening?.catch(() => undefined);
          const stream = out;
          if (stream && !stream.closed) {
            // The file is created when the stream opens: removed only once the stream is closed.
            const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
            stream.destroy();
            await closed;
          }
          await rm(temporary, { force: true });
        },
      };
    },
  };
}
