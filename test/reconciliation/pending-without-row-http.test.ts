// A PENDING order the platform never booked (its pay answer was unreadable), so the day's bill lacks it, over HTTP
// through the local server and the sandbox: a bill that is not final opens nothing and pay.queries nothing; the final
// bill opens one unresolved_pending (bill "(none)") that only its merchant's caller sees; a re-run finds it again
// without a second; once the settler has made it FAILED, the next run resolves it.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { manualClock } from '../support/sandbox.js';
import { callerRequest, useLocalHttp, type CallerAnswer } from '../support/local-http.js';

const CALLERS = {
  callers: [
    { name: 'canteen', routes: ['payments.create', 'payments.read', 'reconciliation.read', 'reconciliation.write'], mercacc: ['1001'] },
    { name: 'library', routes: ['payments.create', 'reconciliation.read', 'reconciliation.write'], mercacc: ['2001'] },
    { name: 'finance', routes: ['bills.read', 'reconciliation.read', 'reconciliation.write'], mercacc: '*' },
  ],
};

const china = (text: string): Date => new Date(`${text}+08:00`);
const DAY = '20260309';
const PAY = 'synjones.onecard.gdccard.pay';
const PAY_QUERY = 'synjones.onecard.pay.query';
const clock = manualClock(china('2026-03-09T12:00:00'));

type Answer = CallerAnswer;
const http = (method: string, path: string, caller: string, body?: unknown): Promise<Answer> => callerRequest(rig.server.url, method, path, caller, body);

const list = (caller: string, query = ''): Promise<Answer> => http('GET', `/v1/reconciliation/exceptions${query}`, caller);
const queries = (): number => rig.sandbox.state.calls.filter((call) => call.method === PAY_QUERY).length;

const rig = useLocalHttp({
  prefix: 'onecard-pending-without-row-',
  callers: CALLERS,
  dataDir: 'data',
  sandbox: { minTokenIntervalMs: 0, now: clock.now },
  server: { config: { ...loadConfig({}), platformTimeoutMs: 1_000 }, runtime: { now: clock.now, tokenOptions: { minIssueIntervalMs: 0 } } },
  async setup() {
    expect((await http('POST', '/v1/payments', 'canteen', { order_no: 'pr-ok', account: '32718', tranamt: '1.00', mercacc: '1001' })).status).toBe(200);
    // Not processed by the platform, and an answer the gateway cannot read: PENDING in the ledger, absent from the bill.
    rig.sandbox.faults.inject({ type: 'gbkText' }, { methods: [PAY] });
    const lost = await http('POST', '/v1/payments', 'canteen', { order_no: 'pr-lost', account: '32718', tranamt: '2.00', mercacc: '1001' });
    expect(lost).toMatchObject({ status: 202, body: { status: 'PENDING' } });
    expect(rig.sandbox.state.order('pr-lost')).toBeUndefined();
  },
});

describe('a PENDING order the final bill lacks, over HTTP', () => {
  it('a bill that is not final opens none and asks pay.query nothing; the final bill opens one, its merchant\'s only', async () => {
    const before = queries();
    clock.set(china('2026-03-09T18:00:00'));
    const early = await http('GET', `/v1/bills/${DAY}`, 'finance');
    expect(early.body).toMatchObject({ final: false });
    expect(await list('finance')).toEqual({ status: 200, body: { exceptions: [], next_cursor: null } });

    clock.set(china('2026-03-10T04:00:00'));
    const bill = await http('GET', `/v1/bills/${DAY}`, 'finance');
    expect(bill.body).toMatchObject({ final: true, reconciliation: { counts: { missing_local: 0, missing_remote: 0, mismatched: 0 } } });
    // Neither download made a pay.query of the order in flight (no row to settle it from).
    expect(queries()).toBe(before);
    const all = await list('finance');
    expect(all.body.exceptions).toEqual([
      {
        id: expect.stringMatching(/^20260309-[A-Za-z0-9_-]{22}$/),
        bill_date: DAY,
        order_no: 'pr-lost',
        kind: 'unresolved_pending',
        ledger: 'PENDING',
        bill: '(none)',
        first_seen: '2026-03-10T04:00:00.000+08:00',
        last_seen: '2026-03-10T04:00:00.000+08:00',
        status: 'open',
      },
    ]);
    expect((await list('canteen')).body.exceptions.map((e: any) => e.order_no)).toEqual(['pr-lost']);
    expect((await list('library')).body.exceptions).toEqual([]);
    const id = all.body.exceptions[0].id as string;
    expect((await http('POST', `/v1/reconciliation/exceptions/${id}/acknowledge`, 'library', { note: 'not mine' })).status).toBe(404);
  });

  it('a re-run finds it again without a second; once the settler has made it FAILED, the next run resolves it', async () => {
    clock.set(china('2026-03-10T09:00:00'));
    await rig.server.invoke('down-bill', { kind: 'daily-bill', bill_date: DAY });
    const [again, ...more] = (await list('finance')).body.exceptions;
    expect(more).toEqual([]);
    expect(again).toMatchObject({ order_no: 'pr-lost', first_seen: '2026-03-10T04:00:00.000+08:00', last_seen: '2026-03-10T09:00:00.000+08:00' });

    const acknowledged = await http('POST', `/v1/reconciliation/exceptions/${again.id}/acknowledge`, 'canteen', { note: 'till asked' });
    expect(acknowledged).toMatchObject({ status: 200, body: { status: 'acknowledged' } });

    // pay.query: the platform has no such order, so the settler makes it FAILED.
    clock.set(china('2026-03-10T09:30:00'));
    await rig.server.invoke('pay-query', { kind: 'settle-pending' });
    expect((await http('GET', '/v1/payments/pr-lost', 'canteen')).body).toMatchObject({ status: 'FAILED' });

    clock.set(china('2026-03-10T10:00:00'));
    await rig.server.invoke('down-bill', { kind: 'daily-bill', bill_date: DAY });
    expect((await list('finance')).body.exceptions).toEqual([]);
    expect((await list('finance', '?status=acknowledged')).body.exceptions).toEqual([]);
    const resolved = (await list('canteen', '?status=resolved')).body.exceptions;
    expect(resolved).toEqual([
      expect.objectContaining({ id: again.id, order_no: 'pr-lost', status: 'resolved', note: 'till asked', resolved_at: '2026-03-10T10:00:00.000+08:00' }),
    ]);
  });
});
