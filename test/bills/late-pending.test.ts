// A PENDING order created in the day's last 5 minutes that the bill lacks is a boundary order when the next day's
// bill holds it: a next_day line like a SUCCESS one, judged by that day's run, never kept as unresolved on this one
// (API.md "Bills", boundary orders); when the next day's bill lacks it too, it is a PENDING order without a row.
import { describe, expect, it } from 'vitest';
import { reconcileStream, type ReportEntry } from '../../lib/bills/reconcile.js';
import type { DayOrder } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';

const order = (orderNo: string, createdAt: string, status: DayOrder['status'] = 'PENDING'): DayOrder =>
  ({
    orderNo, type: 'PAYMENT', status, account: '1001', acctype: '###', mercacc: '9001', amountFen: 150, createdAt,
    ...(status === 'SUCCESS' ? { outId: `OUT-${orderNo}` } : {}),
  }) as DayOrder;
const row = (orderNo: string): BillRow => ({
  tradeTime: '2026-11-27T00:00:30+08:00', account: '1001', acctype: '###', mercacc: '9001', outId: `OUT-${orderNo}`,
  orderNo, tradeType: '01', orderStatus: '60', amountFen: 150, attach: '',
});

describe('late PENDING orders the bill lacks', () => {
  it('reads the next day\'s bill for them, and keeps apart only those it lacks too (and every early one)', async () => {
    const orders = [
      order('A-EARLY', '2026-11-26T12:00:00.000+08:00'),
      order('B-LATE-HELD', '2026-11-26T23:58:00.000+08:00'),
      order('C-LATE-LACKED', '2026-11-26T23:59:59.000+08:00'),
    ];
    let asked = 0;
    const result = await reconcileStream([], orders, {
      nextDayRows: async function* () {
        asked += 1;
        yield [row('B-LATE-HELD'), row('A-EARLY')];
      },
    });
    expect(asked).toBe(1);
    expect(result.pendingWithoutRow.map((o) => o.orderNo)).toEqual(['A-EARLY', 'C-LATE-LACKED']);
    // Not differences either way, and not settling work of this day: the one on the next day's bill is next_day.
    expect(result.counts).toMatchObject({ missingRemote: 0, mismatched: 0, nextDay: 1, unresolved: 0 });
    expect(result.nextDay).toEqual(['B-LATE-HELD']);
    expect(result.unresolved).toEqual([]);
    expect(result.settleable).toEqual([]);
  });

  it('one on the next day\'s bill is a next_day line of report.csv, as a SUCCESS one is', async () => {
    const entries: ReportEntry[] = [];
    const late = '2026-11-26T23:57:00.000+08:00';
    const result = await reconcileStream([], [order('LS', late, 'SUCCESS'), order('LT', late)], {
      sink: { write: (entry) => void entries.push(entry) },
      nextDayRows: async function* () {
        yield [row('LS'), row('LT')];
      },
    });
    expect(entries.map((e) => `${e.orderNo}:${e.category}:${e.ledger}`)).toEqual(['LS:next_day:SUCCESS', 'LT:next_day:PENDING']);
    expect(result.nextDay).toEqual(['LS', 'LT']);
    expect(result.pendingWithoutRow).toEqual([]);
  });

  it('without the next day\'s bill (none read), every PENDING order the bill lacks is kept apart', async () => {
    const result = await reconcileStream([], [order('B-LATE', '2026-11-26T23:58:00.000+08:00')]);
    expect(result.pendingWithoutRow.map((o) => o.orderNo)).toEqual(['B-LATE']);
  });
});
