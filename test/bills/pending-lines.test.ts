// PendingLines (lib/bills/pending-lines.ts) holds a PENDING order's status line until settlement has decided it, and
// lets the line of a PENDING order the bill lacks (withoutRow) pass at once: it has no row to settle from, so what
// its order became since the bill was read (the settler) must not turn it into a status difference of this bill.
// A row's status that reads "(none)" is still a row (test/bills/report-lines.test.ts).
import { describe, expect, it } from 'vitest';
import { PendingLines } from '../../lib/bills/pending-lines.js';
import type { ReportEntry } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';

const entry = (orderNo: string, category: ReportEntry['category'], bill: string, withoutRow = false): ReportEntry => ({
  orderNo, tradeType: '01', category, field: 'status', ledger: 'PENDING', bill,
  account: '1001', mercacc: '9001', amountFen: 150, outId: '', tradeTime: '2026-11-26T10:00:00+08:00',
  ...(withoutRow ? { withoutRow: true as const } : {}),
});

const stored = (orderNo: string, status: LedgerRecord['status']) => [orderNo, { orderNo, status } as LedgerRecord] as const;

describe('PendingLines', () => {
  it('holds the lines of PENDING orders with a row until release, and passes a rowless one as written', async () => {
    const written: ReportEntry[] = [];
    const lines = new PendingLines({ write: (line) => void written.push(line) });
    await lines.write(entry('WITH-ROW', 'mismatched', '77'));
    await lines.write(entry('PAID-ROW', 'settled', '60'));
    await lines.write(entry('NO-ROW', 'mismatched', '(none)', true));
    expect(written.map((line) => line.orderNo)).toEqual(['NO-ROW']);
    expect(lines.orderNos()).toEqual(['WITH-ROW', 'PAID-ROW']);

    // Meanwhile the settler made all three SUCCESS: only the held lines are judged again.
    const outcome = await lines.release(new Map([stored('WITH-ROW', 'SUCCESS'), stored('PAID-ROW', 'SUCCESS'), stored('NO-ROW', 'SUCCESS')]));
    expect(outcome).toEqual({ settled: 1, mismatched: [{ orderNo: 'WITH-ROW', field: 'status', ledger: 'SUCCESS', bill: '77' }], stillPending: [] });
    expect(written.map((line) => [line.orderNo, line.category, line.ledger])).toEqual([
      ['NO-ROW', 'mismatched', 'PENDING'],
      ['WITH-ROW', 'mismatched', 'SUCCESS'],
      ['PAID-ROW', 'settled', 'PENDING'],
    ]);
  });
});
