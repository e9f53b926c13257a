// Proves the bill ⇄ ledger merge-join on generated data: a ledger and a bill built from the same
// orders match exactly, and each kind of perturbation is reported in its own list, naming the order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reconcile, type ReconcileResult } from '../support/reconcile-lists.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';

interface Order {
  readonly orderNo: string;
  readonly type: 'PAYMENT' | 'REFUND';
  readonly status: 'SUCCESS' | 'FAILED';
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly amountFen: number;
  readonly outId: string;
  readonly second: number;
}

const orderArbitrary = fc.record({
  type: fc.constantFrom('PAYMENT' as const, 'REFUND' as const),
  status: fc.constantFrom('SUCCESS' as const, 'SUCCESS' as const, 'FAILED' as const),
  account: fc.stringMatching(/^[0-9]{1,10}$/),
  acctype: fc.constantFrom('###', '001', '002'),
  mercacc: fc.stringMatching(/^[0-9]{1,10}$/),
  amountFen: fc.integer({ min: 1, max: 9_999_999_999 }),
  outId: fc.stringMatching(/^[0-9]{6,12}$/),
  second: fc.integer({ min: 0, max: 86_399 }),
});

const ordersArbitrary = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), orderArbitrary), {
    minLength: 1,
    maxLength: 60,
    selector: ([orderNo]) => orderNo,
  })
  .map((pairs) => pairs.map(([orderNo, order]): Order => ({ orderNo, ...order })));

function ledgerRecord(order: Order, status: LedgerRecord['status'] = order.status): LedgerRecord {
  return {
    orderNo: order.orderNo,
    type: order.type,
    status,
    account: order.account,
    acctype: order.acctype,
    mercacc: order.mercacc,
    amountFen: order.amountFen,
    ...(status === 'SUCCESS' ? { outId: order.outId } : {}),
    createdAt: '2026-05-12T10:00:00.000+08:00',
    updatedAt: '2026-05-12T10:00:00.000+08:00',
    tradeDay: '20260512',
    requestHash: 'h',
    version: 1,
    attempts: 1,
  };
}

function billRow(order: Order, orderStatus = order.status === 'SUCCESS' ? '60' : '77'): BillRow {
  const hh = String(Math.floor(order.second / 3600)).padStart(2, '0');
  const mm = String(Math.floor((order.second % 3600) / 60)).padStart(2, '0');
  const ss = String(order.second % 60).padStart(2, '0');
  return {
    tradeTime: `2026-05-12T${hh}:${mm}:${ss}+08:00`,
    account: order.account,
    acctype: order.acctype,
    mercacc: order.mercacc,
    outId: order.outId,
    orderNo: order.orderNo,
    tradeType: order.type === 'PAYMENT' ? '01' : '02',
    orderStatus,
    amountFen: order.amountFen,
    attach: '',
  };
}

/** The bill in time order, as the platform sends it. */
function inTimeOrder(rows: BillRow[]): BillRow[] {
  return [...rows].sort((a, b) => (a.tradeTime < b.tradeTime ? -1 : a.tradeTime > b.tradeTime ? 1 : 0));
}

/** The ledger as listByDay yields it: ascending order_no, one at a time. */
async function* ledgerStream(records: LedgerRecord[]): AsyncIterable<LedgerRecord> {
  for (const record of [...records].sort((a, b) => (a.orderNo < b.orderNo ? -1 : a.orderNo > b.orderNo ? 1 : 0))) {
    await Promise.resolve();
    yield record;
  }
}

const EMPTY: Omit<ReconcileResult, 'matched'> = {
  missingLocal: [],
  missingRemote: [],
  mismatched: [],
  settleable: [],
  unresolved: [],
};

describe('reconcile', () => {
  it('property: a ledger and a bill built from the same orders match exactly', async () => {
    await fc.assert(
      fc.asyncProperty(ordersArbitrary, fc.boolean(), async (orders, withFailedRows) => {
        const rows = orders.filter((order) => withFailedRows || order.status === 'SUCCESS').map((order) => billRow(order));
        const result = await reconcile(inTimeOrder(rows), ledgerStream(orders.map((order) => ledgerRecord(order))));
        // Every order agrees: a FAILED one with its unpaid row, or with no row at all.
        expect(result).toEqual({ ...EMPTY, matched: orders.length });
      }),
      { numRuns: 200 },
    );
  });

  type Perturbation = (order: Order, rows: Map<string, BillRow[]>, ledger: Map<string, LedgerRecord>) => {
    expected: Partial<ReconcileResult>;
    matchedDelta: number;
  };

  const only = (rows: Map<string, BillRow[]>, order: Order): BillRow => rows.get(order.orderNo)![0]!;
  const perturbations: Record<string, Perturbation> = {
    'row missing from the bill': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'SUCCESS'));
      rows.delete(order.orderNo);
      return { expected: { missingRemote: [order.orderNo] }, matchedDelta: -1 };
    },
    'order missing from the ledger': (order, _rows, ledger) => {
      ledger.delete(order.orderNo);
      return { expected: { missingLocal: [order.orderNo] }, matchedDelta: -1 };
    },
    'amount differs': (order, rows) => {
      rows.set(order.orderNo, [{ ...only(rows, order), amountFen: order.amountFen + 1 }]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'tranamt', ledger: yuan(order.amountFen), bill: yuan(order.amountFen + 1) }] }, matchedDelta: -1 };
    },
    'account differs': (order, rows) => {
      rows.set(order.orderNo, [{ ...only(rows, order), account: 'X' }]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'account', ledger: order.account, bill: 'X' }] }, matchedDelta: -1 };
    },
    'type differs': (order, rows) => {
      rows.set(order.orderNo, [{ ...only(rows, order), tradeType: order.type === 'PAYMENT' ? '02' : '01' }]);
      return {
        expected: { mismatched: [{ orderNo: order.orderNo, field: 'type', ledger: order.type, bill: order.type === 'PAYMENT' ? 'REFUND' : 'PAYMENT' }] },
        matchedDelta: -1,
      };
    },
    'out_id differs': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'SUCCESS'));
      rows.set(order.orderNo, [{ ...billRow(order, '60'), outId: `${order.outId}1` }]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'out_id', ledger: order.outId, bill: `${order.outId}1` }] }, matchedDelta: -1 };
    },
    'ledger FAILED, bill paid (a lost order)': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'FAILED'));
      rows.set(order.orderNo, [billRow(order, '60')]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'status', ledger: 'FAILED', bill: '60' }] }, matchedDelta: -1 };
    },
    'ledger SUCCESS, bill failed': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'SUCCESS'));
      rows.set(order.orderNo, [billRow(order, '77')]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'status', ledger: 'SUCCESS', bill: '77' }] }, matchedDelta: -1 };
    },
    'ledger PENDING, bill paid': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'PENDING'));
      rows.set(order.orderNo, [billRow(order, '60')]);
      return { expected: { settleable: [{ orderNo: order.orderNo, outId: order.outId }] }, matchedDelta: -1 };
    },
    'ledger PENDING, bill failed': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'PENDING'));
      rows.set(order.orderNo, [billRow(order, '77')]);
      return { expected: { unresolved: [{ orderNo: order.orderNo, billStatus: '77' }] }, matchedDelta: -1 };
    },
    'ledger PENDING without a bill row': (order, rows, ledger) => {
      ledger.set(order.orderNo, ledgerRecord(order, 'PENDING'));
      rows.delete(order.orderNo);
      return { expected: {}, matchedDelta: -1 };
    },
    'duplicate bill row': (order, rows) => {
      rows.set(order.orderNo, [only(rows, order), only(rows, order)]);
      return { expected: { mismatched: [{ orderNo: order.orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' }] }, matchedDelta: 0 };
    },
  };

  it('property: each perturbation is reported in the right list, naming the order, and nothing else changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        ordersArbitrary,
        fc.nat(),
        fc.constantFrom(...Object.keys(perturbations)),
        async (orders, pick, kind) => {
          const target = orders[pick % orders.length]!;
          const rows = new Map(orders.map((order) => [order.orderNo, [billRow(order)]]));
          const ledger = new Map(orders.map((order) => [order.orderNo, ledgerRecord(order)]));
          const { expected, matchedDelta } = perturbations[kind]!(target, rows, ledger);
          const result = await reconcile(inTimeOrder([...rows.values()].flat()), ledgerStream([...ledger.values()]));
          expect(result).toEqual({ ...EMPTY, ...expected, matched: orders.length + matchedDelta });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports several differences of one order, one entry per field', async () => {
    const order: Order = { orderNo: 'A1', type: 'PAYMENT', status: 'SUCCESS', account: '1', acctype: '###', mercacc: '9', amountFen: 100, outId: '5', second: 1 };
    const result = await reconcile([{ ...billRow(order), account: '2', mercacc: '8', acctype: '001', outId: '6' }], ledgerStream([ledgerRecord(order)]));
    expect(result.mismatched.map((entry) => entry.field)).toEqual(['account', 'acctype', 'mercacc', 'out_id']);
    expect(result.matched).toBe(0);
  });

  it('rejects a ledger stream that is not in ascending order_no', async () => {
    const a: Order = { orderNo: 'B', type: 'PAYMENT', status: 'SUCCESS', account: '1', acctype: '###', mercacc: '9', amountFen: 100, outId: '5', second: 1 };
    const b = { ...a, orderNo: 'A' };
    await expect(reconcile([], [ledgerRecord(a), ledgerRecord(b)])).rejects.toThrow(/ascending order_no/);
  });

  it('handles a day of 100 000 orders in one pass', async () => {
    const orders: Order[] = Array.from({ length: 100_000 }, (_, i) => ({
      orderNo: `O${String((i * 7_919) % 100_000).padStart(7, '0')}`,
      type: 'PAYMENT',
      status: 'SUCCESS',
      account: String(1000 + (i % 500)),
      acctype: '###',
      mercacc: '9001',
      amountFen: 1 + (i % 10_000),
      outId: String(5_000_000 + i),
      second: i % 86_400,
    }));
    const rows = inTimeOrder(orders.map((order) => billRow(order)));
    rows.splice(1234, 1);
    const result = await reconcile(rows, ledgerStream(orders.map((order) => ledgerRecord(order))));
    expect(result.matched).toBe(99_999);
    expect(result.missingRemote).toHaveLength(1);
    expect(result.missingLocal).toEqual([]);
  });
});

function yuan(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
