// Where downloaded bills are kept: the raw text and the reconciled report of each day and type.
// Two implementations: S3 (deployed, BILL_BUCKET) and a local directory (npm start, tests).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** A day's stored bill: the API.md bills JSON plus whether the day was over when it was fetched. */
export interface StoredBillReport {
  readonly final: boolean;
  readonly fetchedAt: string;
  readonly report: unknown;
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

/** Bills in an S3 bucket (server-side encryption is the bucket's default). */
export function createS3Archive(options: { readonly client: S3Client; readonly bucket: string }): BillArchive {
  const { client, bucket } = options;
  return {
    async getReport(billDate, billType) {
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey(billDate, billType) }));
        const text = await output.Body?.transformToString('utf-8');
        return text === undefined ? undefined : (JSON.parse(text) as StoredBillReport);
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string } | undefined)?.name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async put(billDate, billType, rawText, report) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: rawKey(billDate, billType),
          Body: rawText,
          ContentType: 'text/plain; charset=utf-8',
        }),
      );
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: reportKey(billDate, billType),
          Body: JSON.stringify(report),
          ContentType: 'application/json',
        }),
      );
    },
  };
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
        return JSON.parse(await readFile(join(root, reportKey(billDate, billType)), 'utf8')) as StoredBillReport;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(billDate, billType, rawText, report) {
      await write(rawKey(billDate, billType), rawText);
      await write(reportKey(billDate, billType), JSON.stringify(report, null, 2));
    },
  };
}
