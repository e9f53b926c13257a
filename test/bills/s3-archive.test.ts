// createS3Archive against a real S3 API (s3rver, started here): objects round trip, raw bills from either
// platform encoding, missing keys, re-runs, a missing bucket and a refused request, throttling retried,
// and the pre-signed GET of a stored report (what report.csv redirects to) answering the report.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Archive, rawKey, reportKey } from '../../lib/bills/archive.js';
import { ConfigurationError } from '../../lib/errors.js';
import { decodeBillText } from '../../lib/protocol/bill.js';
import { rejection } from '../support/rejection.js';
import { startS3rver, startSlowDownProxy, type LocalS3, type SlowDownProxy } from '../support/s3rver.js';

const BUCKET = 'onecard-bills';
const BILL_TEXT = '#交易时间,账号,账户类型,商户号,一卡通业务流水号,第三方系统订单号,交易类型,交易状态,总金额,附加数据\n20260301101500,32718,1,M001,S1,ORD-1,消费,成功,1.00,张三\n#总行数,总金额\n1,1.00\n';

const REPORT_CSV = 'order_no,trade_type,category,field,ledger,bill,account,mercacc,tranamt,out_id,trade_time\r\nORD-1,01,matched,,,,32718,M001,1.00,S1,2026-03-01T10:15:00+08:00\r\n';
const CSV = { contentType: 'text/csv; charset=utf-8' };
const TEXT = { contentType: 'text/plain; charset=utf-8', keepPrevious: true };

describe('createS3Archive against s3rver', () => {
  let s3: LocalS3;
  let client: S3Client;
  let proxy: SlowDownProxy;

  const getText = async (key: string): Promise<{ bytes: Buffer; contentType: string | undefined }> => {
    const output = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return { bytes: Buffer.from(await output.Body!.transformToByteArray()), contentType: output.ContentType };
  };

  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    client = s3.client();
    proxy = await startSlowDownProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
  });

  it('stores a report and reads it back as it was, Chinese text included', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    const key = reportKey('20260301', 'ALL');
    await archive.putText(key, `${REPORT_CSV}张三`, CSV);
    expect(await archive.getText(key)).toBe(`${REPORT_CSV}张三`);
    const stored = await getText(key);
    expect(stored.contentType).toBe('text/csv; charset=utf-8');
    expect(stored.bytes.toString('utf8')).toBe(`${REPORT_CSV}张三`);
  });

  it('keeps a raw bill from either platform encoding (UTF-8 or GBK) as the same UTF-8 text', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    const fromUtf8 = decodeBillText(Buffer.from(BILL_TEXT, 'utf8'));
    const fromGbk = decodeBillText(iconv.encode(BILL_TEXT, 'gbk'));
    expect(iconv.encode(BILL_TEXT, 'gbk').equals(Buffer.from(BILL_TEXT, 'utf8'))).toBe(false);
    await archive.putText(rawKey('20260302', 'ALL'), fromUtf8, TEXT);
    await archive.putText(rawKey('20260303', 'ALL'), fromGbk, TEXT);
    for (const day of ['20260302', '20260303']) {
      const raw = await getText(rawKey(day, 'ALL'));
      expect(raw.contentType).toBe('text/plain; charset=utf-8');
      expect(raw.bytes.toString('utf8')).toBe(BILL_TEXT);
    }
  });

  it('answers undefined for a day or type never stored', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    expect(await archive.getText(reportKey('20250101', 'ALL'))).toBeUndefined();
    await archive.putText(reportKey('20260304', 'ALL'), REPORT_CSV, CSV);
    expect(await archive.getText(reportKey('20260304', 'PAY'))).toBeUndefined();
  });

  it('a re-run only overwrites the same keys (the versioned bucket keeps the old ones) and the newest wins', async () => {
    // s3rver 3.7 answers NotImplemented to bucket versioning, so what is proven here is the archive's part:
    // PutObject on the same keys, never a delete, copy or another key; the deployed bucket is versioned (stack test).
    const counted = s3.client();
    const calls: string[] = [];
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        const { Key } = args.input as { Key?: string };
        calls.push(`${context.commandName} ${Key ?? ''}`);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const archive = createS3Archive({ client: counted, bucket: BUCKET });
    const rawAt = rawKey('20260305', 'ALL');
    const reportAt = reportKey('20260305', 'ALL');
    await archive.putText(rawAt, BILL_TEXT, TEXT);
    await archive.putText(reportAt, REPORT_CSV, { ...CSV, keepPrevious: true });
    await archive.putText(rawAt, `${BILL_TEXT}\n`, TEXT);
    await archive.putText(reportAt, `${REPORT_CSV}x`, { ...CSV, keepPrevious: true });
    expect(await archive.getText(reportAt)).toBe(`${REPORT_CSV}x`);
    const raw = `PutObjectCommand ${rawAt}`;
    const stored = `PutObjectCommand ${reportAt}`;
    expect(calls).toEqual([raw, stored, raw, stored, `GetObjectCommand ${reportAt}`]);
    expect((await getText(rawAt)).bytes.toString('utf8')).toBe(`${BILL_TEXT}\n`);
  });

  it('a missing bucket is a ConfigurationError naming it, for reads and writes', async () => {
    const archive = createS3Archive({ client, bucket: 'no-such-bucket' });
    for (const attempt of [() => archive.getText(reportKey('20260301', 'ALL')), () => archive.putText(rawKey('20260301', 'ALL'), BILL_TEXT, TEXT)]) {
      const error = await rejection(attempt());
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).message).toMatch(/bill bucket no-such-bucket does not exist/);
      expect((error as ConfigurationError).cause).toMatchObject({ name: 'NoSuchBucket' });
    }
  });

  it('a refused request (403: S3 does not know the access key) is a ConfigurationError naming bucket, key and action', async () => {
    // s3rver checks the access key but not V4 signatures, so an unknown key is its real 403.
    const archive = createS3Archive({ client: s3.client({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' } }), bucket: BUCKET });
    const read = await rejection(archive.getText(reportKey('20260301', 'ALL')));
    expect(read).toBeInstanceOf(ConfigurationError);
    expect((read as ConfigurationError).message).toBe(
      "bill bucket onecard-bills refused s3:GetObject on reports/2026/03/01/ALL.csv (InvalidAccessKeyId): check the function's role and credentials",
    );
    expect((read as ConfigurationError).cause).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const write = await rejection(archive.putText(rawKey('20260301', 'ALL'), BILL_TEXT, TEXT));
    expect(write).toBeInstanceOf(ConfigurationError);
    expect((write as ConfigurationError).message).toMatch(/refused s3:PutObject on raw\/2026\/03\/01\/ALL\.txt \(InvalidAccessKeyId\)/);
  });

  it('retries SlowDown (503) with the client defaults the functions use, and then succeeds', async () => {
    const archive = createS3Archive({ client: s3.client({ endpoint: proxy.endpoint }), bucket: BUCKET });
    const before = proxy.requests();
    proxy.throttleNext(2);
    await archive.putText(rawKey('20260306', 'ALL'), BILL_TEXT, TEXT);
    await archive.putText(reportKey('20260306', 'ALL'), REPORT_CSV, CSV);
    // Two refused, then the raw bill and the report.
    expect(proxy.requests() - before).toBe(4);
    proxy.throttleNext(1);
    expect(await archive.getText(reportKey('20260306', 'ALL'))).toBe(REPORT_CSV);
    expect(proxy.requests() - before).toBe(6);
  });

  it('pre-signs a GET of the stored report that answers it for 15 minutes', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    const key = reportKey('20260308', 'ALL');
    await archive.putText(key, REPORT_CSV, CSV);
    const url = await archive.presignGet!(key, 900);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('900');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(REPORT_CSV);
  });

  it('streams a large object in multipart parts, a small one in one PutObject, and an aborted one leaves the key as it was', async () => {
    const counted = s3.client();
    const calls: string[] = [];
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countWriterCalls' },
    );
    const archive = createS3Archive({ client: counted, bucket: BUCKET });
    const key = rawKey('20260310', 'ALL');
    const line = `${'账'.repeat(300)}\n`; // 901 bytes
    const lines = Math.ceil((17 * 1024 * 1024) / Buffer.byteLength(line));
    const writer = archive.openWriter(key, TEXT);
    for (let i = 0; i < lines; i += 100) await writer.write(line.repeat(Math.min(100, lines - i)));
    await writer.close();
    expect(calls.filter((c) => c === 'UploadPartCommand')).toHaveLength(3); // 8 + 8 + the last 1 MiB
    expect(calls.filter((c) => c === 'CreateMultipartUploadCommand' || c === 'CompleteMultipartUploadCommand')).toHaveLength(2);
    const stored = await getText(key);
    expect(stored.contentType).toBe('text/plain; charset=utf-8');
    expect(stored.bytes.length).toBe(lines * Buffer.byteLength(line));
    expect(stored.bytes.toString('utf8', 0, Buffer.byteLength(line) * 2)).toBe(line + line);

    calls.length = 0;
    const small = archive.openWriter(reportKey('20260310', 'ALL'), CSV);
    await small.write(REPORT_CSV);
    await small.write('张三');
    await small.close();
    expect(calls).toEqual(['PutObjectCommand']);
    let streamed = '';
    for await (const chunk of (await archive.getStream(reportKey('20260310', 'ALL')))!) streamed += Buffer.from(chunk).toString('utf8');
    expect(streamed).toBe(`${REPORT_CSV}张三`);
    expect(await archive.getStream(reportKey('20250101', 'ALL'))).toBeUndefined();

    const dropped = archive.openWriter(key, TEXT);
    await dropped.write(line.repeat(10_000)); // 9 MB: a part went up
    await dropped.abort();
    expect(calls).toContain('AbortMultipartUploadCommand');
    expect((await getText(key)).bytes.length).toBe(lines * Buffer.byteLength(line));
  }, 60_000);
});
