// The streaming reconciliation's own rules (API.md "Bills"): report lines per row and per difference, a row
// without an order that moved no money, capped lists with complete counts, boundary orders on both days, and
// settlement only on equal terms; rows may come one by one or in batches.
import { describe, expect, it } from 'vitest';
import { reconcileStream, reportCsvLine, REPORT_CSV_HEADER, type ReportEntry } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';

function order(orderNo: string, overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    orderNo, type: 'PAYMENT', status: 'SUCCESS', account: '1001', acctype: '###', mercacc: '9001', amountFen: 150,
    outId: `OUT-${orderNo}`, createdAt: '2026-11-26T10:00:00.000+08:00', updatedAt: '2026-11-26T10:00:00.000+08:00',
    tradeDay: '20261126', requestHash: 'h', version: 1, attempts: 1, ...overrides,
  } as LedgerRecord;
}

function row(orderNo: string, overrides: Partial<BillRow> = {}): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:01+08:00', account: '1001', acctype: '###', mercacc: '9001', outId: `OUT-${orderNo}`,
    orderNo, tradeType: '01', orderStatus: '60', amountFen: 150, attach: '', ...overrides,
  };
}

async function* batches<T>(items: readonly T[], size = 2): AsyncGenerator<readonly T[]> {
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}

const collect = (): { lines: ReportEntry[]; write(entry: ReportEntry): void } => {
  const lines: ReportEntry[] = [];
  return { lines, write: (entry) => void lines.push(entry) };
};

describe('reconcileStream', () => {
  it('writes one report line per matched row and per difference, and one per order the bill lacks', async () => {
    const sink = collect();
    const result = await reconcileStream(
      batches([row('A'), row('B', { account: '2', amountFen: 151 }), row('C'), row('Z', { orderStatus: '60' })]),
      [order('A'), order('B'), order('C', { status: 'PENDING', outId: undefined }), order('D')],
      { sink },
    );
    expect(result).toMatchObject({ matched: 1, settled: 1, rows: 4, orders: 4, missingLocal: ['Z'], missingRemote: ['D'] });
    expect(result.counts).toEqual({ missingLocal: 1, missingRemote: 1, mismatched: 2, nextDay: 0, unresolved: 0 });
    expect(result.settleable).toEqual([{ orderNo: 'C', outId: 'OUT-C' }]);
    expect(sink.lines.map((l) => `${l.orderNo}:${l.category}:${l.field}`)).toEqual([
      'A:matched:', 'B:mismatched:account', 'B:mismatched:tranamt', 'C:settled:status', 'Z:missing_local:', 'D:missing_remote:',
    ]);
    const d = sink.lines.at(-1)!;
    expect(reportCsvLine(d)).toBe('D,01,missing_remote,,SUCCESS,(none),1001,9001,1.50,OUT-D,2026-11-26T10:00:00+08:00');
    expect(REPORT_CSV_HEADER.split(',')).toHaveLength(reportCsvLine(d).split(',').length);
  });

  it('a row without an order that moved no money is no difference; a PENDING order on other terms is not settled', async () => {
    const result = await reconcileStream([row('N', { orderStatus: '77' }), row('P', { mercacc: '7' })], [order('P', { status: 'PENDING', outId: undefined })]);
    expect(result.counts.missingLocal).toBe(0);
    expect(result.settleable).toEqual([]);
    expect(result.unresolved).toEqual([{ orderNo: 'P', billStatus: '60' }]);
    expect(result.mismatched).toEqual([{ orderNo: 'P', field: 'mercacc', ledger: '9001', bill: '7' }]);
  });

  it('caps each list at listCap while the counts stay complete', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(`M${String(i).padStart(3, '0')}`));
    const result = await reconcileStream(batches(rows, 7), [], { listCap: 5 });
    expect(result.missingLocal).toHaveLength(5);
    expect(result.counts.missingLocal).toBe(30);
  });

  it('boundary orders: next_day on their own day when the next bill holds them, matched on the next day', async () => {
    const late = order('L', { createdAt: '2026-11-26T23:57:10.000+08:00' });
    const lateGone = order('G', { createdAt: '2026-11-26T23:58:00.000+08:00' });
    const early = order('E', { createdAt: '2026-11-26T23:50:00.000+08:00' });
    let nextDayReads = 0;
    const first = await reconcileStream([], [early, lateGone, late], {
      nextDayRows: () => {
        nextDayReads += 1;
        return batches([row('L', { tradeTime: '2026-11-27T00:00:02+08:00' }), row('X')]);
      },
    });
    expect(nextDayReads).toBe(1);
    expect(first.nextDay).toEqual(['L']);
    expect(first.missingRemote).toEqual(['E', 'G']);
    expect(first.counts).toMatchObject({ nextDay: 1, missingRemote: 2, mismatched: 0 });

    // The next day: L is not in that day's ledger (by_day is its creation day) but in the window of the day before.
    const second = await reconcileStream([row('L'), row('Y')], [order('Y', { tradeDay: '20261127' })], {
      previousDayWindow: [early, late],
    });
    expect(second).toMatchObject({ matched: 2, missingLocal: [], missingRemote: [], mismatched: [] });
  });

  it('never reads the next day when no late order is missing', async () => {
    const result = await reconcileStream([row('A')], [order('A')], {
      nextDayRows: () => {
        throw new Error('read the next day for nothing');
      },
    });
    expect(result.matched).toBe(1);
  });

  it('reports a duplicate row of an order and of a row without one', async () => {
    const result = await reconcileStream([row('A'), row('A'), row('Q'), row('Q')], [order('A')]);
    expect(result.mismatched.map((m) => `${m.orderNo}:${m.field}`)).toEqual(['A:order_no', 'Q:order_no']);
    expect(result.matched).toBe(1);
    expect(result.counts.missingLocal).toBe(1);
  });
});
