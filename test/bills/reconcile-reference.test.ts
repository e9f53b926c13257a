// reconcileStream (compact held orders, one-read fast path, byte-written report) against a plain reference of the
// rules at the top of reconcile.ts: a Map of order objects, every row judged by compareTerms, every report line
// made by reportCsvLine. Random days with shared order_nos, duplicates, wide and quoted text, the day before's
// window and the next day's bill; counts, lists, report lines and report.csv's text must all agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReportWriterSink } from '../../lib/bills/pipeline.js';
import { reconcileStream, reportCsvLine, REPORT_CSV_HEADER, type ReconcileMismatch, type ReportCategory, type ReportEntry, type StreamReconcileResult } from '../../lib/bills/reconcile.js';
import { BILL_TERMS, compareTerms } from '../../lib/ledger/settlement-terms.js';
import type { DayOrder, LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';

const TYPES: Record<string, string> = { '01': 'PAYMENT', '02': 'REFUND' };
const WIRE: Record<string, string> = { PAYMENT: '01', REFUND: '02' };
const paidStatus = (s: string): boolean => s === '60' || s === '80';
const late = (createdAt: string): boolean => createdAt.slice(11, 16) >= '23:55';

/** What reconcileStream answers (without the rows/orders tallies), and every report line in order. */
type Expected = Omit<StreamReconcileResult, 'rows' | 'orders'> & { lines: ReportEntry[] };

function reference(rows: readonly BillRow[], day: readonly DayOrder[], window: readonly DayOrder[], nextDay: readonly BillRow[], billedBefore: ReadonlySet<string> = new Set()): Expected {
  const held = new Map<string, { order: DayOrder; previous: boolean; seen: boolean }>();
  for (const order of day) held.set(order.orderNo, { order, previous: false, seen: false });
  for (const order of window) if (!held.has(order.orderNo) && late(order.createdAt)) held.set(order.orderNo, { order, previous: true, seen: false });
  const e: Expected = {
    matched: 0, settled: 0, counts: { missingLocal: 0, missingRemote: 0, mismatched: 0, nextDay: 0, unresolved: 0 },
    missingLocal: [], missingRemote: [], mismatched: [], nextDay: [], settleable: [], unresolved: [], pendingWithoutRow: [], lateBilled: [], lines: [],
  };
  const line = (row: BillRow, category: ReportEntry['category'], field = '', ledger = '', bill = ''): ReportEntry => ({
    orderNo: row.orderNo, tradeType: row.tradeType, category, field, ledger, bill, account: row.account, mercacc: row.mercacc,
    amountFen: row.amountFen, outId: row.outId, tradeTime: row.tradeTime,
  });
  const mismatch = (row: BillRow, m: ReconcileMismatch): void => {
    e.counts.mismatched += 1;
    e.mismatched.push(m);
    e.lines.push(line(row, 'mismatched', m.field, m.ledger, m.bill));
  };
  const without = new Set<string>();
  for (const row of rows) {
    const paid = paidStatus(row.orderStatus);
    const entry = held.get(row.orderNo);
    if (!entry) {
      if (without.has(row.orderNo)) mismatch(row, { orderNo: row.orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' });
      else {
        without.add(row.orderNo);
        if (paid) {
          e.counts.missingLocal += 1;
          e.missingLocal.push(row.orderNo);
        }
        e.lines.push(line(row, paid ? 'missing_local' : 'matched', '', '(none)', row.orderStatus));
      }
      continue;
    }
    if (entry.seen) {
      mismatch(row, { orderNo: row.orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' });
      continue;
    }
    entry.seen = true;
    // A window order the day before's bill already held: this row books it a second time.
    if (entry.previous && billedBefore.has(row.orderNo)) {
      mismatch(row, { orderNo: row.orderNo, field: 'order_no', ledger: 'one row (bill of 20261125)', bill: 'duplicate row' });
      continue;
    }
    const o = entry.order;
    const terms = { orderNo: row.orderNo, type: Object.hasOwn(TYPES, row.tradeType) ? TYPES[row.tradeType]! : row.tradeType, account: row.account, acctype: row.acctype, mercacc: row.mercacc, amountFen: row.amountFen };
    const differences: ReconcileMismatch[] = compareTerms(o as LedgerRecord, terms, BILL_TERMS).map((d) => ({ orderNo: row.orderNo, field: d.field, ledger: d.ledger, bill: d.source }));
    if (o.status === 'PENDING') {
      for (const d of differences) mismatch(row, d);
      if (paid && differences.length === 0) {
        e.settled += 1;
        e.settleable.push({ orderNo: row.orderNo, outId: row.outId });
        e.lines.push(line(row, 'settled', 'status', 'PENDING', row.orderStatus));
      } else {
        e.counts.unresolved += 1;
        e.unresolved.push({ orderNo: row.orderNo, billStatus: row.orderStatus });
        if (differences.length === 0) e.lines.push(line(row, 'mismatched', 'status', 'PENDING', row.orderStatus));
      }
      continue;
    }
    if ((o.status === 'SUCCESS') !== paid) differences.push({ orderNo: row.orderNo, field: 'status', ledger: o.status, bill: row.orderStatus });
    else if (paid && (o.outId ?? '') !== row.outId) differences.push({ orderNo: row.orderNo, field: 'out_id', ledger: o.outId ?? '', bill: row.outId });
    if (differences.length === 0) {
      e.matched += 1;
      e.lines.push(line(row, 'matched'));
    } else for (const d of differences) mismatch(row, d);
  }
  // The next day's bill is read only for a late SUCCESS or PENDING order this bill lacks.
  const read = [...held.values()].some(({ order: o, previous, seen }) => !seen && !previous && late(o.createdAt) && o.status !== 'FAILED');
  const onNext = new Set(read ? nextDay.map((r) => r.orderNo) : []);
  for (const { order: o, previous, seen } of held.values()) {
    if (seen && !previous && late(o.createdAt)) e.lateBilled.push(o.orderNo);
    if (seen || previous) continue;
    // Every order of the day the bill lacks has its line. A late order the next day's bill holds is a boundary
    // order, whatever its status (once that bill is read): next_day. Else a FAILED one agrees with the bill; a PENDING
    // one is a status line.
    const next = late(o.createdAt) && onNext.has(o.orderNo);
    let category: ReportCategory = 'missing_remote';
    if (next) {
      e.counts.nextDay += 1;
      e.nextDay.push(o.orderNo);
      category = 'next_day';
    } else if (o.status === 'FAILED') {
      e.matched += 1;
      category = 'matched';
    } else if (o.status === 'PENDING') {
      e.pendingWithoutRow.push({ orderNo: o.orderNo, mercacc: o.mercacc });
      category = 'mismatched';
    } else {
      e.counts.missingRemote += 1;
      e.missingRemote.push(o.orderNo);
    }
    e.lines.push({
      orderNo: o.orderNo, tradeType: WIRE[o.type]!, category, field: category === 'mismatched' ? 'status' : '', ledger: o.status, bill: '(none)',
      account: o.account, mercacc: o.mercacc, amountFen: o.amountFen, outId: o.outId ?? '', tradeTime: `${o.createdAt.slice(0, 19)}+08:00`, withoutRow: true,
    });
  }
  return e;
}

// Small pools so rows and orders meet, with the text the fast paths must turn down: wide, lone surrogate, comma,
// quote, empty; and lengths either side of the 52-byte inline limit.
const text = fc.constantFrom('', '1001', '1002', '中文', '\ud800', 'a,b', 'q"', 'x'.repeat(40), 'é'.repeat(30), 'ÿ');
const orderNo = fc.oneof(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F', '订单', 'G,1'), fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('1', '2', '\u00e9', '\u4e2d') }));
const time = fc.constantFrom('10:00:00.000', '23:54:59.999', '23:55:00.000', '23:59:59.999', '00:00:00.000');
const dayOrder = (date: string) =>
  fc.record({
    orderNo, type: fc.constantFrom('PAYMENT', 'REFUND'), status: fc.constantFrom('SUCCESS', 'SUCCESS', 'PENDING', 'FAILED'),
    account: text, acctype: fc.constantFrom('###', '', '中'), mercacc: text, amountFen: fc.constantFrom(150, 151, 0, -0, 123456789),
    outId: fc.option(text, { nil: undefined }), createdAt: time.map((t) => `${date}T${t}+08:00`),
  }) as fc.Arbitrary<DayOrder>;
const billRow = fc.record({
  tradeTime: fc.constantFrom('2026-11-26T10:00:01+08:00', '2026-11-26T10:00:02+08:00', '2026-11-26T10:00:0中+08:00', '', '2026-11-26T10:00:01+08:00'),
  account: text, acctype: fc.constantFrom('###', '', '中'), mercacc: text, outId: text, orderNo, tradeType: fc.constantFrom('01', '01', '02', '03', 'constructor'),
  orderStatus: fc.constantFrom('60', '60', '80', '10', '00'), amountFen: fc.constantFrom(150, 151, 0, -0, 123456789, -5), attach: fc.constant(''),
}) as fc.Arbitrary<BillRow>;
// A row made from an order, so most rows match (the fast path) and the rest differ in one field.
const rowOf = (o: DayOrder, over: Partial<BillRow>): BillRow => ({
  tradeTime: '2026-11-26T10:00:01+08:00', account: o.account, acctype: o.acctype, mercacc: o.mercacc, outId: o.outId ?? '', orderNo: o.orderNo,
  tradeType: WIRE[o.type]!, orderStatus: '60', amountFen: o.amountFen, attach: '', ...over,
});

async function* batches<T>(items: readonly T[], size: number): AsyncGenerator<readonly T[]> {
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}

describe('reconcileStream against a plain reference', () => {
  it('property: counts, lists, report lines and report.csv text agree on random days', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(dayOrder('2026-11-26'), { selector: (o) => o.orderNo, maxLength: 14 }),
        fc.array(dayOrder('2026-11-25'), { maxLength: 6 }),
        fc.array(fc.oneof(billRow, fc.tuple(fc.nat(20), fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: billRow.map((r) => ({ outId: r.outId, account: r.account, amountFen: r.amountFen })), weight: 1 }), fc.constantFrom('60', '60', '80', '10'), fc.constantFrom('2026-11-26T10:00:01+08:00', '2026-11-26T10:00:02+08:00', '2026-11-26T10:00:0中+08:00', '2026-11-26T11:00:01+08:00'))), { maxLength: 24 }),
        fc.array(billRow, { maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.boolean(), { maxLength: 6 }),
        async (unsorted, window, made, nextDay, size, billedFlags) => {
          const day = [...unsorted].sort((a, b) => (a.orderNo < b.orderNo ? -1 : 1));
          const pool = [...day, ...window];
          const rows = made.map((m) => {
            if (!Array.isArray(m)) return m as BillRow;
            const [pick, over, status, tradeTime] = m as [number, Partial<BillRow> | null, string, string];
            return pool.length === 0 ? rowOf({ orderNo: 'A', type: 'PAYMENT', status: 'SUCCESS', account: '1', acctype: '#', mercacc: '2', amountFen: 1, outId: 'o', createdAt: '' }, {}) : rowOf(pool[pick % pool.length]!, { ...(over ?? {}), orderStatus: status, tradeTime });
          });
          // Some of the window's orders the day before's bill held (its download's lateBilled).
          const billedBefore = new Set(window.filter((_, i) => billedFlags[i]).map((o) => o.orderNo));
          const expected = reference(rows, day, window, nextDay, billedBefore);
          const lines: ReportEntry[] = [];
          let csv = '';
          const writer = new ReportWriterSink(async (t) => void (csv += t));
          const sink = {
            write(entry: ReportEntry) {
              lines.push(entry);
              return writer.write(entry);
            },
            matched(row: BillRow) {
              lines.push({ orderNo: row.orderNo, tradeType: row.tradeType, category: 'matched', field: '', ledger: '', bill: '', account: row.account, mercacc: row.mercacc, amountFen: row.amountFen, outId: row.outId, tradeTime: row.tradeTime });
              return writer.matched(row);
            },
          };
          const result = await reconcileStream(batches(rows, size), day, {
            previousDayWindow: window, nextDayRows: () => batches(nextDay, 2), sink, listCap: 1000,
            previousDayBilled: { billDate: '20261125', orderNos: billedBefore },
          });
          await writer.flush();
          expect(lines).toEqual(expected.lines);
          const { lines: _, ...summary } = expected;
          expect(result).toMatchObject(summary);
          expect(result.rows).toBe(rows.length);
          expect(result.orders).toBe(day.length);
          expect(csv).toBe([REPORT_CSV_HEADER, ...expected.lines.map((l) => reportCsvLine(l, true))].map((l) => `${l}\r\n`).join(''));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a row whose trade type names an Object.prototype member is a type mismatch with that text', async () => {
    const order: DayOrder = { orderNo: 'A', type: 'PAYMENT', status: 'SUCCESS', account: '1', acctype: '###', mercacc: '2', amountFen: 1, outId: 'o', createdAt: '2026-11-26T10:00:00.000+08:00' };
    for (const tradeType of ['constructor', 'toString', '__proto__']) {
      const result = await reconcileStream([rowOf(order, { tradeType })], [order]);
      expect(result.mismatched).toEqual([{ orderNo: 'A', field: 'type', ledger: 'PAYMENT', bill: tradeType }]);
    }
  });

  it('a day past one record chunk (65,536 orders) and many report chunks agrees too', async () => {
    let seed = 7;
    const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const words = ['1001', '2002', '中', 'a,b', '', 'é'.repeat(60), 'x'.repeat(50)];
    const times = ['10:00:00.000', '23:56:00.000'];
    const day: DayOrder[] = Array.from({ length: 70_000 }, (_, i) => ({
      orderNo: `2026112600${String(i).padStart(6, '0')}`, type: next(5) === 0 ? 'REFUND' : 'PAYMENT', status: ['SUCCESS', 'SUCCESS', 'SUCCESS', 'PENDING', 'FAILED'][next(5)] as DayOrder['status'],
      account: words[next(8) % words.length]!, acctype: '###', mercacc: words[next(3)]!, amountFen: next(400), outId: next(9) === 0 ? undefined : `P${i}${next(20) === 0 ? '中' : ''}`,
      createdAt: `2026-11-26T${times[next(10) === 0 ? 1 : 0]}+08:00`,
    }));
    const window: DayOrder[] = Array.from({ length: 300 }, (_, i) => ({ ...day[next(day.length)]!, orderNo: `2026112500${String(i % 250).padStart(6, '0')}`, createdAt: `2026-11-25T${times[next(2)]}+08:00` }));
    const pool = [...day, ...window];
    const rows: BillRow[] = Array.from({ length: 72_000 }, () => {
      const o = pool[next(pool.length + 2000)];
      const tradeTime = `2026-11-26T1${next(2)}:00:0${next(3)}+08:00`;
      if (!o) return rowOf({ ...day[0]!, orderNo: `X${next(3000)}` }, { tradeTime, orderStatus: next(2) === 0 ? '60' : '10' });
      const change = next(12);
      return rowOf(o, { tradeTime, orderStatus: change === 0 ? '10' : change === 1 ? '80' : '60', ...(change === 2 ? { amountFen: o.amountFen + 1 } : change === 3 ? { outId: 'other' } : {}) });
    });
    const nextDay = day.filter((o) => o.createdAt.includes('23:56') && next(2) === 0).map((o) => rowOf(o, {}));
    const expected = reference(rows, day, window, nextDay);
    let csv = '';
    const writer = new ReportWriterSink(async (t) => void (csv += t));
    const result = await reconcileStream(batches(rows, 500), day, { previousDayWindow: window, nextDayRows: () => batches(nextDay, 100), sink: writer, listCap: 1e9 });
    await writer.flush();
    const { lines, ...summary } = expected;
    expect(result).toMatchObject(summary);
    expect(result.matched).toBeGreaterThan(15_000);
    expect(csv).toBe([REPORT_CSV_HEADER, ...lines.map((l) => reportCsvLine(l, true))].map((l) => `${l}\r\n`).join(''));
  });
});
