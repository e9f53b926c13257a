// API.md "Bills", Finality, with an injected clock shared by the gateway and the sandbox: a past day
// is downloaded afresh on every request until BILL_FINAL_AFTER (03:00 China) of the next day, then
// served from the archive; the daily run and a manual re-run always download afresh, so a row booked
// late is picked up and replaces the stored bill and report (the earlier raw bill kept beside it).
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/down-bill.js';
import { handler as payHandler } from '../../functions/pay.js';
import { loadConfig } from '../../lib/config.js';
import { finalFrom, isFinalDownload } from '../../lib/bills/finality.js';
import { manualClock, sandboxCall } from '../support/sandbox.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from '../functions/harness.js';

/** A China wall-clock time as an instant. */
const china = (text: string): Date => new Date(`${text}+08:00`);
const clock = manualClock(china('2026-03-09T12:00:00'));
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ sandbox: { now: clock.now }, runtime: { now: clock.now } });
});
afterAll(() => harness.close());

const bill = async (billDate: string, path = '') => {
  const resource = `/v1/bills/{bill_date}${path}`;
  const result = (await handler(
    apiEvent({ method: 'GET', resource, path: `/v1/bills/${billDate}${path}`, pathParameters: { bill_date: billDate } }),
    lambdaContext(),
  )) as { statusCode: number; body: string; headers?: Record<string, string> };
  return result;
};
const downloads = (): number => harness.sandbox.state.calls.filter((call) => call.method === 'synjones.onecard.down.bill').length;

const pay = async (orderNo: string, tranamt: string) => {
  const paid = await payHandler(
    apiEvent({ resource: '/v1/payments', body: { order_no: orderNo, account: '32718', tranamt, mercacc: '1001' } }),
    lambdaContext(),
  );
  expect(paid.statusCode).toBe(200);
};

/** A payment booked on the platform (not through the gateway) with the platform's clock at `at`. */
const bookLate = async (orderNo: string, at: Date) => {
  harness.sandbox.clock.setOffsetMs(at.getTime() - clock.now().getTime());
  try {
    const token = harness.sandbox.state.currentToken?.value;
    expect(token).toBeTruthy();
    const answer = await sandboxCall(
      harness.sandbox,
      'pay',
      { account: '32718', tranamt: '0.50', acctype: '###', mercacc: '1001', order_no: orderNo, remark: '', attach: '' },
      { accessToken: token!, at: harness.sandbox.clock.now() },
    );
    expect(answer.root?.retcode).toBe('0');
  } finally {
    harness.sandbox.clock.setOffsetMs(0);
  }
};

describe('finality', () => {
  it('BILL_FINAL_AFTER is validated at load, default 03:00', () => {
    expect(loadConfig({}).billFinalAfterMinutes).toBe(180);
    expect(loadConfig({ BILL_FINAL_AFTER: '05:30' }).billFinalAfterMinutes).toBe(330);
    for (const bad of ['3:00', '24:00', '03:60', 'noon']) expect(() => loadConfig({ BILL_FINAL_AFTER: bad }), bad).toThrow(/BILL_FINAL_AFTER/);
    expect(finalFrom('20260228', 180).toISOString()).toBe('2026-02-28T19:00:00.000Z'); // 03:00 China on 1 March
    expect(isFinalDownload('20260309', china('2026-03-10T02:59:59.999'), 180)).toBe(false);
    expect(isFinalDownload('20260309', china('2026-03-10T03:00:00'), 180)).toBe(true);
  });

  it('before 03:00 of the next day every request downloads afresh; from 03:00 the stored download is served', async () => {
    clock.set(china('2026-03-09T12:00:00'));
    await pay('fin-a', '3.30');

    clock.set(china('2026-03-10T00:00:30'));
    const calls = downloads();
    const first = json(await bill('20260309'));
    expect(first).toMatchObject({ bill_date: '20260309', final: false, count: 1, fetched_at: '2026-03-10T00:00:30.000+08:00' });
    expect(downloads()).toBe(calls + 1);

    // Booked after the first fetch, still on the 9th (China): the platform's late row.
    await bookLate('fin-late', china('2026-03-09T23:59:50'));

    clock.set(china('2026-03-10T02:59:59'));
    const again = json(await bill('20260309'));
    expect(again).toMatchObject({ final: false, count: 2, fetched_at: '2026-03-10T02:59:59.000+08:00' });
    expect(again.rows.map((row: { order_no: string }) => row.order_no).sort()).toEqual(['fin-a', 'fin-late']);
    expect(again.reconciliation).toMatchObject({ matched: 1, missing_local: ['fin-late'] });
    expect(downloads()).toBe(calls + 2);
    json(await bill('20260309'));
    expect(downloads()).toBe(calls + 3);

    clock.set(china('2026-03-10T03:00:00'));
    const finalBill = json(await bill('20260309'));
    expect(finalBill).toMatchObject({ final: true, count: 2, fetched_at: '2026-03-10T03:00:00.000+08:00' });
    expect(downloads()).toBe(calls + 4);

    clock.set(china('2026-03-10T09:00:00'));
    expect(json(await bill('20260309'))).toEqual(finalBill);
    expect(json(await bill('20260309', '/merchants'))).toMatchObject({ bill_date: '20260309', final: true });
    expect(downloads()).toBe(calls + 4);
  });

  it('the daily run downloads a final day afresh: a late row replaces the stored bill and report', async () => {
    clock.set(china('2026-03-12T12:00:00'));
    await pay('fin-c', '2.00');
    clock.set(china('2026-03-13T03:00:00'));
    expect(json(await bill('20260312'))).toMatchObject({ final: true, count: 1 });

    await bookLate('fin-late-2', china('2026-03-12T23:59:59'));
    clock.set(china('2026-03-13T03:05:00'));
    const calls = downloads();
    // The stored download is final: a request does not see the late row…
    expect(json(await bill('20260312'))).toMatchObject({ final: true, count: 1 });
    expect(downloads()).toBe(calls);
    // …the daily run (yesterday, China date) does, and replaces what is stored.
    const run = await handler({ kind: 'daily-bill' }, lambdaContext());
    expect(run).toMatchObject({ billDate: '20260312', count: 2, matched: 1, missingLocal: 1, archived: true });
    expect(downloads()).toBe(calls + 1);
    const replaced = json(await bill('20260312'));
    expect(replaced).toMatchObject({ final: true, count: 2, fetched_at: '2026-03-13T03:05:00.000+08:00' });
    expect(replaced.reconciliation.missing_local).toEqual(['fin-late-2']);
    const csv = await bill('20260312', '/report.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('fin-late-2,01,missing_local,');
    expect(downloads()).toBe(calls + 1);
    // Locally the replaced raw bill and report are kept side by side.
    const raw = await readdir(`${harness.billDir}/raw/2026/03/12`);
    expect(raw).toHaveLength(2);
    expect(raw).toContain('ALL.txt');
    expect(raw.find((name) => name !== 'ALL.txt')).toMatch(/^ALL\..+\.txt$/);
    // Each download's report is its own, beside its pages (downloads/…/<id>/report.csv): both are kept.
    const reports = (await readdir(`${harness.billDir}/downloads/2026/03/12/ALL`, { recursive: true })).map(String);
    expect(reports.filter((name) => name.endsWith('/report.csv'))).toHaveLength(2);
    expect(await readdir(`${harness.billDir}/reports/2026/03/12`)).toContain('ALL.json'); // the current download's header

    // A manual re-run of another day downloads afresh too.
    const rerun = await handler({ kind: 'daily-bill', bill_date: '20260309' }, lambdaContext());
    expect(rerun).toMatchObject({ billDate: '20260309', count: 2 });
    expect(downloads()).toBe(calls + 2);
    expect(json(await bill('20260309')).fetched_at).toBe('2026-03-13T03:05:00.000+08:00');
  });
});
