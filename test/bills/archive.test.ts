// The bill archive: text objects by key, a replaced object kept side by side locally, concurrent
// writers of one key that never share a temporary file, S3 throttling retried; and the stored
// download header read back only in its current format.
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { createDirectoryArchive, createS3Archive, DIRECTORY_WRITE_BUFFER, rawKey } from '../../lib/bills/archive.js';
import { currentKey, DOWNLOAD_FORMAT, publishHeader, readCurrent, type DownloadHeader } from '../../lib/bills/downloads.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const tempRoot = async (): Promise<string> => {
  const root = await mkdtemp(join(tmpdir(), 'archive-'));
  dirs.push(root);
  return root;
};

const header: DownloadHeader = {
  format: DOWNLOAD_FORMAT,
  id: 'abc-1',
  billDate: '20260101',
  billType: 'ALL',
  count: 1,
  totalFen: 150,
  final: true,
  fetchedAt: '2026-01-02T08:00:00.000+08:00',
  summary: { payments: { count: 1, amountFen: 150 }, refunds: { count: 0, amountFen: 0 }, netFen: 150 },
  reconciliation: { matched: 1, settled: 0, missingLocal: [], missingRemote: [], mismatched: [], counts: { missingLocal: 0, missingRemote: 0, mismatched: 0 } },
  rows: 1,
  pageRows: 1000,
  merchants: [],
  cursorKey: 'k',
};

describe('directory archive', () => {
  it('round-trips a download header', async () => {
    const archive = createDirectoryArchive(await tempRoot());
    expect(await readCurrent(archive, '20260101', 'ALL')).toBeUndefined();
    await publishHeader(archive, header);
    expect(await readCurrent(archive, '20260101', 'ALL')).toEqual(header);
  });

  it('reads a header written in an earlier format as absent (downloaded again)', async () => {
    const root = await tempRoot();
    const path = join(root, currentKey('20260101', 'ALL'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ final: true, fetchedAt: header.fetchedAt, report: { bill_date: '20260101', total: '1.50' } }));
    expect(await readCurrent(createDirectoryArchive(root), '20260101', 'ALL')).toBeUndefined();
  });

  it('keeps the replaced raw bill beside the new one', async () => {
    const root = await tempRoot();
    const archive = createDirectoryArchive(root);
    const key = rawKey('20260101', 'ALL');
    await archive.putText(key, 'first', { contentType: 'text/plain', keepPrevious: true });
    await archive.putText(key, 'second', { contentType: 'text/plain', keepPrevious: true });
    expect(await archive.getText(key)).toBe('second');
    const names = await readdir(join(root, 'raw/2026/01/01'));
    expect(names).toHaveLength(2);
    const older = names.find((name) => name !== 'ALL.txt');
    expect(older).toMatch(/^ALL\..+\.txt$/);
    expect(await archive.getText(`raw/2026/01/01/${older}`)).toBe('first');
  });

  it('50 concurrent writers of one key all succeed and leave no temporary file', async () => {
    const root = await tempRoot();
    const archive = createDirectoryArchive(root);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) => archive.putText('reports/2026/01/01/ALL.csv', `v${index}`, { contentType: 'text/csv' })),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(await readdir(join(root, 'reports/2026/01/01'))).toEqual(['ALL.csv']);
  });
});

describe('directory archive writers', () => {
  it('an object appears under its key only when closed, the replaced one beside it; an aborted one leaves nothing', async () => {
    const root = await tempRoot();
    const archive = createDirectoryArchive(root);
    const key = rawKey('20260102', 'ALL');
    await archive.putText(key, 'old', { contentType: 'text/plain' });
    const writer = archive.openWriter(key, { contentType: 'text/plain', keepPrevious: true });
    for (let i = 0; i < 2000; i++) await writer.write(`line ${i} 张三\n`);
    expect(await archive.getText(key)).toBe('old');
    await writer.close();
    const text = await archive.getText(key);
    expect(text?.split('\n')).toHaveLength(2001);
    expect(text?.startsWith('line 0 张三\nline 1 张三\n')).toBe(true);
    expect(await readdir(join(root, 'raw/2026/01/02'))).toHaveLength(2);

    const dropped = archive.openWriter(key, { contentType: 'text/plain', keepPrevious: true });
    await dropped.write('never');
    await dropped.abort();
    expect(await archive.getText(key)).toBe(text);
    expect(await readdir(join(root, 'raw/2026/01/02'))).toHaveLength(2);

    let streamed = '';
    for await (const chunk of (await archive.getStream(key))!) streamed += Buffer.from(chunk).toString('latin1');
    expect(Buffer.from(streamed, 'latin1').toString('utf8')).toBe(text);
    expect(await archive.getStream('raw/2026/01/03/ALL.txt')).toBeUndefined();
  });
});

describe('directory archive writers, buffered', () => {
  it('takes pieces of 64 KB up to its buffer without waiting for the disk, then waits', async () => {
    const archive = createDirectoryArchive(await tempRoot());
    const writer = archive.openWriter(rawKey('20260104', 'ALL'), { contentType: 'text/plain' });
    await writer.write('opened\n');
    const piece = 'x'.repeat(1 << 16);
    // A write that must wait for the file's write callback loses the race with setImmediate.
    const waited = async (): Promise<boolean> =>
      Promise.race([writer.write(piece).then(() => false), new Promise<boolean>((resolve) => setImmediate(() => resolve(true)))]);
    const pieces = DIRECTORY_WRITE_BUFFER / piece.length - 1;
    const results: boolean[] = [];
    for (let i = 0; i < pieces; i++) results.push(await waited());
    expect(results).toEqual(Array.from({ length: pieces }, () => false));
    // Past the buffer, writes wait for the disk again (backpressure): at least one of the next few.
    const later: boolean[] = [];
    for (let i = 0; i < 4; i++) later.push(await waited());
    expect(later).toContain(true);
    await writer.close();
  });
});

describe('directory archive writers, aborted', () => {
  it('an abort right after the first write leaves no temporary file, though the file is opened asynchronously', async () => {
    const root = await tempRoot();
    const archive = createDirectoryArchive(root);
    // The open of a write stream is still pending when write() returns: an abort that does not wait for the
    // stream to close can remove the temporary before it exists. Many tries, so the race is met without load.
    for (let i = 0; i < 200; i++) {
      const writer = archive.openWriter(`raw/2026/01/04/K${i}.txt`, { contentType: 'text/plain', keepPrevious: true });
      await writer.write('never');
      await writer.abort();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(join(root, 'raw/2026/01/04'))).toEqual([]);
  });
});

describe('S3 archive', () => {
  const slowDown = (): Error => Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });

  it('retries a throttled write and read', async () => {
    let calls = 0;
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        calls++;
        if (calls <= 2) throw slowDown();
        if (command.constructor.name === 'GetObjectCommand') return { Body: { transformToString: async () => 'text' } };
        return {};
      },
    } as unknown as S3Client;
    const archive = createS3Archive({ client, bucket: 'b', backoffMs: () => 1 });
    await archive.putText('k', 'v', { contentType: 'text/plain' });
    expect(calls).toBe(3);
    calls = 0;
    expect(await archive.getText('k')).toBe('text');
    expect(calls).toBe(3);
  });

  it('gives up after its attempts, and does not retry other errors', async () => {
    let calls = 0;
    const throttled = createS3Archive({
      client: { send: async () => { calls++; throw slowDown(); } } as unknown as S3Client,
      bucket: 'b',
      throttleAttempts: 3,
      backoffMs: () => 1,
    });
    await expect(throttled.putText('k', 'v', { contentType: 'text/plain' })).rejects.toThrow('reduce your request rate');
    expect(calls).toBe(3);
    calls = 0;
    const denied = createS3Archive({
      client: { send: async () => { calls++; throw Object.assign(new Error('broken'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }); } } as unknown as S3Client,
      bucket: 'b',
      backoffMs: () => 1,
    });
    await expect(denied.putText('k', 'v', { contentType: 'text/plain' })).rejects.toThrow('broken');
    expect(calls).toBe(1);
  });

  it('pre-signs a GET of the stored report for 15 minutes', async () => {
    const { S3Client: RealClient } = await import('@aws-sdk/client-s3');
    const client = new RealClient({ region: 'ap-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const url = new URL(await createS3Archive({ client, bucket: 'bills-bucket' }).presignGet!('reports/2026/01/01/ALL.csv', 900));
    expect(url.hostname).toContain('bills-bucket');
    expect(url.pathname).toBe('/reports/2026/01/01/ALL.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    client.destroy();
  });
});
