// createS3Archive against a real S3 API (s3rver, started here): reports round trip, raw bills from either
// platform encoding, missing keys, re-runs, a missing bucket and a refused request, throttling retried.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Archive, rawKey, reportKey, type StoredBillReport } from '../../lib/bills/archive.js';
import { ConfigurationError } from '../../lib/errors.js';
import { decodeBillText } from '../../lib/protocol/bill.js';
import { rejection } from '../support/rejection.js';
import { startS3rver, startSlowDownProxy, type LocalS3, type SlowDownProxy } from '../support/s3rver.js';

const BUCKET = 'onecard-bills';
const BILL_TEXT = '#交易时间,账号,账户类型,商户号,一卡通业务流水号,第三方系统订单号,交易类型,交易状态,总金额,附加数据\n20260301101500,32718,1,M001,S1,ORD-1,消费,成功,1.00,张三\n#总行数,总金额\n1,1.00\n';

/** A stored report in the archive's typed format; `attach` carries a marker so versions can be told apart. */
const report = (final: boolean, note: string): StoredBillReport => ({
  final,
  fetchedAt: '2026-03-02T03:30:00+08:00',
  report: {
    billDate: '20260301',
    billType: 'ALL',
    count: 1,
    totalFen: 100,
    rows: [
      {
        tradeTime: '2026-03-01T10:15:00+08:00',
        account: '32718',
        acctype: '1',
        mercacc: 'M001',
        outId: 'S1',
        orderNo: 'ORD-1',
        tradeType: '消费',
        orderStatus: '成功',
        amountFen: 100,
        attach: `张三 ${note}`,
      },
    ],
    reconciliation: { matched: 1, missingLocal: [], missingRemote: [], mismatched: [] },
  },
});

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
    await archive.put('20260301', 'ALL', BILL_TEXT, report(true, 'first'));
    expect(await archive.getReport('20260301', 'ALL')).toEqual(report(true, 'first'));
    const stored = await getText(reportKey('20260301', 'ALL'));
    expect(stored.contentType).toBe('application/json');
    expect(JSON.parse(stored.bytes.toString('utf8'))).toMatchObject(report(true, 'first'));
  });

  it('keeps a raw bill from either platform encoding (UTF-8 or GBK) as the same UTF-8 text', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    const fromUtf8 = decodeBillText(Buffer.from(BILL_TEXT, 'utf8'));
    const fromGbk = decodeBillText(iconv.encode(BILL_TEXT, 'gbk'));
    expect(iconv.encode(BILL_TEXT, 'gbk').equals(Buffer.from(BILL_TEXT, 'utf8'))).toBe(false);
    await archive.put('20260302', 'ALL', fromUtf8, report(true, 'utf8'));
    await archive.put('20260303', 'ALL', fromGbk, report(true, 'gbk'));
    for (const day of ['20260302', '20260303']) {
      const raw = await getText(rawKey(day, 'ALL'));
      expect(raw.contentType).toBe('text/plain; charset=utf-8');
      expect(raw.bytes.toString('utf8')).toBe(BILL_TEXT);
    }
  });

  it('answers undefined for a day or type never stored', async () => {
    const archive = createS3Archive({ client, bucket: BUCKET });
    expect(await archive.getReport('20250101', 'ALL')).toBeUndefined();
    await archive.put('20260304', 'ALL', BILL_TEXT, report(false, 'in progress'));
    expect(await archive.getReport('20260304', 'PAY')).toBeUndefined();
  });

  it('a re-run only overwrites the same two keys (the versioned bucket keeps the old ones) and the newest report wins', async () => {
    // s3rver 3.7 answers NotImplemented to bucket versioning, so what is proven here is the archive's part:
    // PutObject on the same keys, never a delete or another key; the deployed bucket is versioned (stack test).
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
    await archive.put('20260305', 'ALL', BILL_TEXT, report(false, 'during the day'));
    await archive.put('20260305', 'ALL', `${BILL_TEXT}\n`, report(true, 'after the day'));
    expect(await archive.getReport('20260305', 'ALL')).toEqual(report(true, 'after the day'));
    const raw = `PutObjectCommand ${rawKey('20260305', 'ALL')}`;
    const stored = `PutObjectCommand ${reportKey('20260305', 'ALL')}`;
    expect(calls).toEqual([raw, stored, raw, stored, `GetObjectCommand ${reportKey('20260305', 'ALL')}`]);
    expect((await getText(rawKey('20260305', 'ALL'))).bytes.toString('utf8')).toBe(`${BILL_TEXT}\n`);
  });

  it('a missing bucket is a ConfigurationError naming it, for reads and writes', async () => {
    const archive = createS3Archive({ client, bucket: 'no-such-bucket' });
    for (const attempt of [() => archive.getReport('20260301', 'ALL'), () => archive.put('20260301', 'ALL', BILL_TEXT, report(true, 'x'))]) {
      const error = await rejection(attempt());
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).message).toMatch(/bill bucket no-such-bucket does not exist/);
      expect((error as ConfigurationError).cause).toMatchObject({ name: 'NoSuchBucket' });
    }
  });

  it('a refused request (403: S3 does not know the access key) is a ConfigurationError naming bucket, key and action', async () => {
    // s3rver checks the access key but not V4 signatures, so an unknown key is its real 403.
    const archive = createS3Archive({ client: s3.client({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' } }), bucket: BUCKET });
    const read = await rejection(archive.getReport('20260301', 'ALL'));
    expect(read).toBeInstanceOf(ConfigurationError);
    expect((read as ConfigurationError).message).toBe(
      "bill bucket onecard-bills refused s3:GetObject on reports/2026/03/01/ALL.json (InvalidAccessKeyId): check the function's role and credentials",
    );
    expect((read as ConfigurationError).cause).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const write = await rejection(archive.put('20260301', 'ALL', BILL_TEXT, report(true, 'x')));
    expect(write).toBeInstanceOf(ConfigurationError);
    expect((write as ConfigurationError).message).toMatch(/refused s3:PutObject on raw\/2026\/03\/01\/ALL\.txt \(InvalidAccessKeyId\)/);
  });

  it('retries SlowDown (503) with the client defaults the functions use, and then succeeds', async () => {
    const archive = createS3Archive({ client: s3.client({ endpoint: proxy.endpoint }), bucket: BUCKET });
    const before = proxy.requests();
    proxy.throttleNext(2);
    await archive.put('20260306', 'ALL', BILL_TEXT, report(true, 'throttled'));
    // Two refused, then the raw bill and the report.
    expect(proxy.requests() - before).toBe(4);
    proxy.throttleNext(1);
    expect(await archive.getReport('20260306', 'ALL')).toEqual(report(true, 'throttled'));
    expect(proxy.requests() - before).toBe(6);
  });
});
