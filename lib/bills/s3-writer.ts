// An S3 object written as it is produced: text buffered into parts of PART_BYTES, a multipart upload started
// with the first full part (one part in flight while the next fills), or a single PutObject when the whole
// object stayed under one part. Aborting drops the upload; the key keeps what it held.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchiveWriter } from './archive.js';

/** S3's smallest part but the last is 5 MiB; 8 MiB keeps a 1,000,000-row bill (~110 MB) at ~14 parts. */
export const PART_BYTES = 8 * 1024 * 1024;

export interface S3WriterOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  /** Wraps every call (throttling retries, error translation). */
  readonly call: <T>(action: string, send: () => Promise<T>) => Promise<T>;
  readonly partBytes?: number;
}

export function createS3Writer(options: S3WriterOptions): ArchiveWriter {
  const { client, bucket, key, call } = options;
  const partBytes = options.partBytes ?? PART_BYTES;
  let buffered: Buffer[] = [];
  let size = 0;
  let uploadId: string | undefined;
  const parts: { ETag: string; PartNumber: number }[] = [];
  let inFlight: Promise<void> | undefined;
  let failure: unknown;
  let nextPart = 1;

  const uploadPart = async (body: Buffer, partNumber: number): Promise<void> => {
    if (uploadId === undefined) {
      const created = await call('s3:PutObject', () =>
        client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: options.contentType })),
      );
      if (!created.UploadId) throw new Error(`S3 gave no upload id for ${key}`);
      uploadId = created.UploadId;
    }
    const id = uploadId;
    const answer = await call('s3:PutObject', () =>
      client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: partNumber, Body: body })),
    );
    parts.push({ ETag: answer.ETag ?? '', PartNumber: partNumber });
  };

  /** Sends what is buffered as the next part, after the one in flight. */
  const flushPart = async (): Promise<void> => {
    const body = Buffer.concat(buffered, size);
    buffered = [];
    size = 0;
    const partNumber = nextPart++;
    await inFlight;
    if (failure !== undefined) throw failure;
    inFlight = uploadPart(body, partNumber).catch((error: unknown) => {
      failure ??= error;
    });
  };

  return {
    async write(text) {
      if (failure !== undefined) throw failure;
      const bytes = Buffer.from(text, 'utf8');
      buffered.push(bytes);
      size += bytes.length;
      if (size >= partBytes) await flushPart();
    },
    async close() {
      await inFlight;
      if (failure !== undefined) throw failure;
      if (uploadId === undefined) {
        const body = Buffer.concat(buffered, size);
        buffered = [];
        await call('s3:PutObject', () => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: options.contentType })));
        return;
      }
      if (size > 0) {
        await flushPart();
        await inFlight;
        if (failure !== undefined) throw failure;
      }
      const id = uploadId;
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await call('s3:PutObject', () =>
        client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: parts } })),
      );
    },
    async abort() {
      buffered = [];
      await inFlight;
      if (uploadId === undefined) return;
      const id = uploadId;
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id })).catch(() => undefined);
    },
  };
}
