// Where downloaded bills are kept: the raw text and the reconciled report of each day and type.
// Two implementations: S3 (deployed, BILL_BUCKET) and a local directory (npm start, tests).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError } from '../errors.js';
import type { BillReport } from './report.js';

/** A day's stored bill: the reconciled report plus whether the day was over when it was fetched. */
export interface StoredBillReport {
  readonly final: boolean;
  readonly fetchedAt: string;
  readonly report: BillReport;
}

/**
 * The format of the stored report documents. Reports written before it (the API JSON, no `format`)
 * read as absent, so such a day is fetched again once and rewritten in this format.
 */
const REPORT_FORMAT = 2;

function encodeReport(report: StoredBillReport): { format: number } & StoredBillReport {
  return { format: REPORT_FORMAT, ...report };
}

function decodeReport(text: string): StoredBillReport | undefined {
  const parsed = JSON.parse(text) as Partial<{ format: number } & StoredBillReport>;
  if (parsed.format !== REPORT_FORMAT || parsed.report === undefined) return undefined;
  return { final: parsed.final === true, fetchedAt: String(parsed.fetchedAt), report: parsed.report };
}

export interface BillArchive {
  getReport(billDate: string, billType: string): Promise<StoredBillReport | undefined>;
  put(billDate: string, billType: string, rawText: string, report: StoredBillReport): Promise<void>;
}

/** raw/yyyy/MM/dd/<type>.txt */
export function rawKey(billDate: string, billType: string): string {
  return `raw/${datePath(billDate)}/${billType}.txt`;
}

/** reports/yyyy/MM/dd/<type>.json */
export function reportKey(billDate: string, billType: string): string {
  return `reports/${datePath(billDate)}/${billType}.json`;
}

function datePath(billDate: string): string {
  if (!/^[0-9]{8}$/.test(billDate)) throw new Error(`bill date must be yyyyMMdd: ${billDate}`);
  return `${billDate.slice(0, 4)}/${billDate.slice(4, 6)}/${billDate.slice(6, 8)}`;
}

/**
 * Bills in an S3 bucket (server-side encryption is the bucket's default). Throttling (SlowDown) is the
 * SDK's to retry; a missing bucket or a refused request is a ConfigurationError naming bucket and key.
 */
export function createS3Archive(options: { readonly client: S3Client; readonly bucket: string }): BillArchive {
  const { client, bucket } = options;
  const put = async (key: string, body: string, contentType: string): Promise<void> => {
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw s3ConfigurationError(error, bucket, key, 's3:PutObject') ?? error;
    }
  };
  return {
    async getReport(billDate, billType) {
      const key = reportKey(billDate, billType);
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const text = await output.Body?.transformToString('utf-8');
        return text === undefined ? undefined : decodeReport(text);
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string } | undefined)?.name === 'NoSuchKey') return undefined;
        throw s3ConfigurationError(error, bucket, key, 's3:GetObject') ?? error;
      }
    },
    async put(billDate, billType, rawText, report) {
      await put(rawKey(billDate, billType), rawText, 'text/plain; charset=utf-8');
      await put(reportKey(billDate, billType), JSON.stringify(encodeReport(report)), 'application/json');
    },
  };
}

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

/** Where the bills live inside a local data directory (ONECARD_DATA_DIR): `<dataDir>/bills/{raw,reports}/…`. */
export function localBillDir(dataDir: string): string {
  return join(dataDir, 'bills');
}

/** Bills under a local directory, same key layout as S3 (files written atomically). */
export function createDirectoryArchive(root: string): BillArchive {
  const write = async (key: string, content: string): Promise<void> => {
    const path = join(root, key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, content, 'utf8');
    await rename(temporary, path);
  };
  return {
    async getReport(billDate, billType) {
      try {
        return decodeReport(await readFile(join(root, reportKey(billDate, billType)), 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(billDate, billType, rawText, report) {
      await write(rawKey(billDate, billType), rawText);
      await write(reportKey(billDate, billType), JSON.stringify(encodeReport(report), null, 2));
    },
  };
}
