// Issue 11 (hostile review): report.csv must be the report of the download the current header names. Two
// downloads of one day interleaved (one's report written, then the other run whole, then the first's header
// published) and a header publish that fails after its report was written, on a directory archive and on S3
// (s3rver, where report.csv is a 303 to a pre-signed URL): report.csv always answers the lines of the rows the
// pages hold, and a failed download leaves no report object behind.
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryArchive, createS3Archive, type BillArchive } from '../../lib/bills/archive.js';
import { currentKey, readCurrent, reportKeyOf } from '../../lib/bills/downloads.js';
import { dayReportKey, PROVISIONAL_REPORTS_PREFIX } from '../../lib/bills/keys.js';
import { createBillService } from '../../lib/bills/service.js';
import type { BillService } from '../../lib/bills/service-types.js';
import type { MerchantScope } from '../../lib/bills/scoped-views.js';
import type { PaymentService } from '../../lib/ledger/payments.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { LedgerStore } from '../../lib/ledger/store.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { formatBill } from '../../lib/protocol/bill.js';
import { startS3rver, type LocalS3 } from '../support/s3rver.js';

const DAY = '20261126';
const BUCKET = 'onecard-bills';
const scope = (...mercacc: string[]): MerchantScope => ({ all: false, mercacc: new Set(mercacc), includes: (m) => mercacc.includes(m) });

function row(orderNo: string, mercacc = '1001'): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:00+08:00', account: '32718', acctype: '###', mercacc, outId: `OUT-${orderNo}`, orderNo,
    tradeType: '01', orderStatus: '60', amountFen: 150, attach: '',
  };
}

function order(orderNo: string): LedgerRecord {
  const createdAt = '2026-11-26T09:00:00.000+08:00';
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '32718', acctype: '###', mercacc: '1001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt, updatedAt: createdAt, tradeDay: DAY, requestHash: 'h', version: 1, attempts: 1,
  } as LedgerRecord;
}

/** Download A: 3 rows, one of them matched by the ledger; download B: 5 other rows (the platform booked more). */
const ROWS_A = [row('A1'), row('A2', '2001'), row('M1')];
const ROWS_B = [row('B1'), row('B2'), row('B3', '2001'), row('B4'), row('M1')];
const bill = (rows: BillRow[]): Buffer => Buffer.from(formatBill(rows), 'utf8');

/** An archive whose publishing of the day's current header can be held or made to fail, one call at a time. */
function gated(inner: BillArchive) {
  let onPublish: ((body: string) => Promise<void>) | undefined;
  const archive: BillArchive = {
    ...inner,
    async putText(key, body, options) {
      const hook = onPublish;
      if (hook && key === currentKey(DAY, 'ALL')) {
        onPublish = undefined;
        await hook(body);
      }
      return inner.putText(key, body, options);
    },
  };
  return { archive, nextPublish: (hook: (body: string) => Promise<void>) => void (onPublish = hook) };
}

function service(archive: BillArchive, bodies: Buffer[], nowIso = '2026-11-28T04:00:00+08:00'): BillService {
  let downloads = 0;
  const platform = {
    async downloadBillStream(request: { billDate: string }) {
      if (request.billDate !== DAY) throw new Error(`only ${DAY} is asked for`);
      return { plain: chunksOf(bodies[Math.min(downloads++, bodies.length - 1)]!, 11) };
    },
  } as unknown as PlatformClient;
  const records = [order('M1')];
  const ledger = {
    async *listDayOrders(day: string) {
      yield* records.filter((r) => r.tradeDay === day);
    },
    async getMany(orderNos: readonly string[]) {
      return new Map(records.filter((r) => orderNos.includes(r.orderNo)).map((r) => [r.orderNo, r]));
    },
  } as unknown as LedgerStore;
  const payments = {} as PaymentService;
  // Downloaded after BILL_FINAL_AFTER of the next day: final, so the views are served from the stored download.
  return createBillService({ platform, ledger, payments, archive, defaultCryptType: '0', now: () => new Date(nowIso) });
}

/** The report's lines as [order_no, category], header line dropped. */
async function reportLines(bills: BillService, text: (answer: Awaited<ReturnType<BillService['getReport']>>) => Promise<string>, viewScope?: MerchantScope) {
  const body = await text(await bills.getReport({ billDate: DAY, ...(viewScope ? { scope: viewScope } : {}) }));
  return body
    .split('\r\n')
    .filter(Boolean)
    .slice(1)
    .map((line) => line.split(','))
    .map((fields) => [fields[0], fields[2]]);
}

/** What the stored pages of the current download hold, as report lines ([order_no, category]). */
async function pageLines(bills: BillService, viewScope?: MerchantScope) {
  const page = await bills.getBill({ billDate: DAY, limit: 100, ...(viewScope ? { scope: viewScope } : {}) });
  expect(page.nextCursor).toBeNull();
  return { page, lines: page.rows.map((r) => [r.orderNo, r.orderNo === 'M1' ? 'matched' : 'missing_local']) };
}

const rig = (
  name: string,
  open: () => Promise<{ archive: BillArchive; reports: () => Promise<string[]>; leftovers?: () => Promise<string[]> }>,
  text: (answer: Awaited<ReturnType<BillService['getReport']>>) => Promise<string>,
) =>
  describe(`report.csv per download (${name})`, () => {
    it('two downloads of one day interleaved: report.csv is the report of the download whose header is current', async () => {
      const { archive: inner, reports } = await open();
      const { archive, nextPublish } = gated(inner);
      const bills = service(archive, [bill(ROWS_A), bill(ROWS_B)]);
      let held!: () => void;
      const heldAt = new Promise<void>((resolve) => (held = resolve));
      let release!: () => void;
      // Download A has written its report and is about to publish its header: held until B is done.
      nextPublish(() => (held(), new Promise<void>((resolve) => (release = resolve))));
      const first = bills.runDaily({ billDate: DAY });
      await heldAt;
      const second = await bills.runDaily({ billDate: DAY });
      expect(second).toMatchObject({ count: 5, archived: true });
      release();
      expect(await first).toMatchObject({ count: 3, archived: true });

      const { page, lines } = await pageLines(bills);
      expect(page.count).toBe(3);
      expect(await reportLines(bills, text)).toEqual(lines);
      expect((await reportLines(bills, text)).length).toBe(page.rows.length);
      // The scoped copy is cut from the same download's report.
      const scoped = await pageLines(bills, scope('1001'));
      expect(scoped.lines.map(([orderNo]) => orderNo)).toEqual(['A1', 'M1']);
      expect(await reportLines(bills, text, scope('1001'))).toEqual(scoped.lines);
      expect(scoped.page.reconciliation.counts.missingLocal).toBe(1);
      // Both downloads keep their own report.
      expect(await reports()).toHaveLength(2);
    });

    it('a header publish that fails after the report was written: report.csv still answers the previous download, no report is left of the failed one', async () => {
      const { archive: inner, reports, leftovers } = await open();
      const { archive, nextPublish } = gated(inner);
      const bills = service(archive, [bill(ROWS_A), bill(ROWS_B)]);
      expect(await bills.runDaily({ billDate: DAY })).toMatchObject({ count: 3, archived: true });
      const before = await reports();
      expect(before).toHaveLength(1);
      nextPublish(async () => {
        throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
      });
      expect(await bills.runDaily({ billDate: DAY })).toMatchObject({ count: 5, archived: false });

      const { page, lines } = await pageLines(bills);
      expect(page.count).toBe(3);
      expect(await reportLines(bills, text)).toEqual(lines);
      expect(await reports()).toEqual(before);
      // Locally no temporary file either (S3: an aborted upload is S3's to drop, abortIncompleteMultipartUpload).
      if (leftovers) expect(await leftovers()).toEqual([]);
    });
  });

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

rig(
  'directory archive',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'bill-report-key-'));
    roots.push(root);
    const files = async () => (await readdir(root, { recursive: true })).map(String);
    return {
      archive: createDirectoryArchive(root),
      // Every stored report: a csv that is not a scoped copy.
      reports: async () => (await files()).filter((name) => name.endsWith('.csv') && !name.includes('scoped')).sort(),
      leftovers: async () => (await files()).filter((name) => name.endsWith('.tmp')),
    };
  },
  async (answer) => {
    if (answer.kind !== 'csv') throw new Error('a directory archive answers the text');
    return answer.body;
  },
);

let s3: LocalS3;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  client = s3.client();
});
afterAll(async () => {
  await s3?.stop();
});

rig(
  'S3, a 303 to the pre-signed report',
  async () => {
    // One bucket for both tests, one day: what the earlier test stored is cleared first.
    const keys = async () => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return (listed.Contents ?? []).map((object) => object.Key!);
    };
    const archive = createS3Archive({ client, bucket: BUCKET });
    for (const key of await keys()) await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    return { archive, reports: async () => (await keys()).filter((key) => key.endsWith('.csv') && !key.includes('scoped')).sort() };
  },
  async (answer) => {
    if (answer.kind !== 'redirect') throw new Error('S3 answers a pre-signed URL');
    expect(answer.url).toContain(`/${BUCKET}/`);
    const response = await fetch(answer.url);
    expect(response.status).toBe(200);
    return response.text();
  },
);

describe('report keys of stored headers', () => {
  it('a download that is not final keeps its report under the provisional prefix, and report.csv answers it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bill-report-key-'));
    roots.push(root);
    const archive = createDirectoryArchive(root);
    const bills = service(archive, [bill(ROWS_A)], '2026-11-27T01:00:00+08:00');
    const body = (await bills.getReport({ billDate: DAY })) as { kind: 'csv'; body: string };
    const header = (await readCurrent(archive, DAY, 'ALL'))!;
    expect(header.final).toBe(false);
    expect(header.report).toBe(`${PROVISIONAL_REPORTS_PREFIX}2026/11/26/ALL/${header.id}/report.csv`);
    expect(body.body.split('\r\n').filter(Boolean)).toHaveLength(1 + ROWS_A.length);
  });

  it('a header stored before reports were per download (no report field) is still served the day\'s report', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bill-report-key-'));
    roots.push(root);
    const archive = createDirectoryArchive(root);
    const bills = service(archive, [bill(ROWS_A)]);
    await bills.runDaily({ billDate: DAY });
    // Rewrite the stored header as the older code stored it: no `report`, its report at reports/…/ALL.csv.
    const { report, ...legacy } = (await readCurrent(archive, DAY, 'ALL'))!;
    const text = await archive.getText(report!);
    await archive.putText(dayReportKey(DAY, 'ALL'), `${text!}legacy-marker\r\n`, { contentType: 'text/csv' });
    await archive.putText(currentKey(DAY, 'ALL'), JSON.stringify(legacy), { contentType: 'application/json' });
    expect(reportKeyOf((await readCurrent(archive, DAY, 'ALL'))!)).toBe(dayReportKey(DAY, 'ALL'));
    const answer = (await bills.getReport({ billDate: DAY })) as { kind: 'csv'; body: string };
    expect(answer.body.endsWith('legacy-marker\r\n')).toBe(true);
    // A header whose `report` is not a key reads as absent (downloaded again), never as some other object.
    await archive.putText(currentKey(DAY, 'ALL'), JSON.stringify({ ...legacy, report: 7 }), { contentType: 'application/json' });
    expect(await readCurrent(archive, DAY, 'ALL')).toBeUndefined();
  });
});
