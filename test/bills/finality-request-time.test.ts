// Finality is judged by when the bill was asked for, not when its answer arrived (API.md "Bills", Finality): a
// download requested just before BILL_FINAL_AFTER holds the platform's state of then, so a slow answer that comes
// after 03:00 is not final, and the next request downloads afresh. Injected clock shared by gateway and sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/down-bill.js';
import { handler as payHandler } from '../../functions/pay.js';
import { manualClock } from '../support/sandbox.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { json, startHarness, type Harness } from '../functions/harness.js';

const china = (text: string): Date => new Date(`${text}+08:00`);
const clock = manualClock(china('2026-04-09T12:00:00'));
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ sandbox: { now: clock.now }, runtime: { now: clock.now } });
});
afterAll(() => harness.close());

const bill = async (billDate: string) =>
  handler(
    apiEvent({ method: 'GET', resource: '/v1/bills/{bill_date}', path: `/v1/bills/${billDate}`, pathParameters: { bill_date: billDate } }),
    lambdaContext(),
  ) as Promise<{ statusCode: number; body: string }>;

describe('finality by request time', () => {
  it('a bill asked for at 02:59:59.900 whose answer arrives after 03:00 is not final; the next request downloads afresh', async () => {
    const paid = await payHandler(
      apiEvent({ resource: '/v1/payments', body: { order_no: 'frt-a', account: '32718', tranamt: '1.10', mercacc: '1001' } }),
      lambdaContext(),
    );
    expect(paid.statusCode).toBe(200);

    clock.set(china('2026-04-10T02:59:59.900'));
    const downloads = () => harness.sandbox.state.calls.filter((call) => call.method === 'synjones.onecard.down.bill').length;
    const before = downloads();
    // The platform answers the bill 300 ms late; meanwhile the clock passes 03:00.
    harness.sandbox.faults.inject({ type: 'latency', ms: 300 }, { methods: ['synjones.onecard.down.bill'] });
    const moved = setTimeout(() => clock.set(china('2026-04-10T03:00:00.200')), 100);
    const slow = json(await bill('20260409'));
    clearTimeout(moved);
    expect(clock.now().getTime()).toBe(china('2026-04-10T03:00:00.200').getTime());
    expect(downloads()).toBe(before + 1);
    expect(slow).toMatchObject({ final: false, count: 1 });
    expect(Date.parse(slow.fetched_at)).toBeLessThan(china('2026-04-10T03:00:00').getTime());

    // Not final, so not served from the archive: the next request downloads afresh, and that one is final.
    const next = json(await bill('20260409'));
    expect(downloads()).toBe(before + 2);
    expect(next).toMatchObject({ final: true, count: 1, fetched_at: '2026-04-10T03:00:00.200+08:00' });
  });
});
