// Reconciles one day's bill against the ledger with bounded memory: the ledger's orders of the day (streamed in
// ascending order_no by LedgerStore.listByDay) are held compactly (held-orders.ts: typed arrays, no object per
// order), because the bill comes in time order and the ledger in order_no order, so one side must be held and the
// ledger's is the compact one; the bill's rows stream past once, each written to the report sink as it is judged;
// what the held orders have left unseen is the ledger's side.
//
// Per order_no (API.md "Bills", "What counts as a difference"):
//   bill row, no ledger order: money moved (60, 80) → missing_local; else no difference (report: matched, ledger "(none)")
//   ledger order, no bill row, created in the day's last 5 minutes and the next day's bill holds it →
//     next_day (that bill is read only for a late SUCCESS or PENDING one; see `late` below); else SUCCESS → missing_remote; FAILED without a row agrees (matched: ledger FAILED, bill "(none)");
//     PENDING → pendingWithoutRow (a PENDING status line, bill "(none)", no difference of its own; no settling work:
//     an unresolved_pending exception after a final bill). Every order of the day so has a report line.
//   both: terms compared by lib/ledger/settlement-terms.ts compareTerms (type, account, acctype, mercacc, tranamt) →
//     one mismatched entry per field; bill paid ↔ ledger SUCCESS: out_id compared too; ↔ FAILED: status mismatch;
//     bill not paid ↔ SUCCESS: status mismatch; ↔ FAILED: agree;
//     ledger PENDING: bill paid and equal terms → settleable (report: settled); else unresolved (pay.query decides)
//   a second row for one order_no → mismatched, field order_no
// A previous-day boundary window (orders created in the last 5 minutes of the day before) joins the map: a row of
// this bill for one of them is judged against it (matched here, never missing_local); its leftovers are not ours.
// One the day before's bill already held was booked there: a row here for it is a second booking (mismatched).
import type { BillRow } from '../platform/types.js';
import { hasDayOrderPages, OrderStatus, OrderType, type DayOrder, type DayOrderSink, type LedgerRecord } from '../ledger/records.js';
import { isBoundaryOrder } from './boundary.js';
import { FLAG_LATE, FLAG_PREVIOUS_DAY, FLAG_SEEN, HeldOrders } from './held-orders.js';
import { BILL_TERMS, compareTerms, type SourceTerms } from '../ledger/settlement-terms.js';
import { matchedEntry, NONE } from './report-csv.js';
import type { ReconcileMismatch, ReportCategory, ReportEntry, StreamReconcileOptions, StreamReconcileResult } from './reconcile-types.js';
// The reconciliation's shapes live in reconcile-types.ts; re-exported for this module's callers.
export type { ReconcileMismatch, SettleableOrder, UnresolvedOrder, PendingWithoutRow, ReportCategory, ReportEntry, ReportSink, StreamReconcileOptions, StreamReconcileResult } from './reconcile-types.js';

/** Bill statuses meaning the money moved: 60 paid, 80 paid and later refunded. */
const isPaid = (orderStatus: string): boolean => orderStatus === '60' || orderStatus === '80';
const TRADE_TYPES: Readonly<Record<string, LedgerRecord['type']>> = { '01': OrderType.PAYMENT, '02': OrderType.REFUND };
const WIRE_TYPES: Readonly<Record<string, string>> = { PAYMENT: '01', REFUND: '02' };

/** What a bill row says about its order (every term: a row always carries them all). */
export function billRowTerms(row: BillRow): SourceTerms {
  return {
    orderNo: row.orderNo,
    // Own keys only: a row's trade type "constructor" or "toString" must not read Object.prototype.
    type: Object.hasOwn(TRADE_TYPES, row.tradeType) ? TRADE_TYPES[row.tradeType]! : row.tradeType,
    account: row.account,
    acctype: row.acctype,
    mercacc: row.mercacc,
    amountFen: row.amountFen,
  };
}

/**
 * A copy of a string that does not keep the text it was cut from alive (a row's fields are slices of a 64 KB
 * chunk; whatever outlives the row must not pin its chunk).
 */
function own(text: string): string {
  return (' ' + text).slice(1);
}

/**
 * The merge's first half: the day's ledger orders held compactly (field by field when the store offers it: one
 * await a page, no object per order), the lookup table built. Exported for the bench, which times it alone.
 * @throws Error when the orders are not in strictly ascending order_no.
 */
export async function holdDayOrders(ledger: AsyncIterable<DayOrder> | Iterable<DayOrder>): Promise<HeldOrders> {
  const held = new HeldOrders();
  let previous: string | undefined;
  const holder: DayOrderSink = {
    order(orderNo, type, status, account, acctype, mercacc, amountFen, outId, createdAt) {
      if (previous !== undefined && orderNo <= previous) {
        throw new Error(`ledger records must come in strictly ascending order_no (${orderNo} after ${previous})`);
      }
      previous = orderNo;
      held.addOrder(orderNo, type, status, account, acctype, mercacc, amountFen, outId, createdAt, false);
    },
  };
  if (hasDayOrderPages(ledger)) await ledger.readInto(holder);
  else {
    for await (const r of ledger) holder.order(r.orderNo, r.type, r.status, r.account, r.acctype, r.mercacc, r.amountFen, r.outId, r.createdAt);
  }
  held.has(''); // builds the lookup table now, as part of holding (the first row's lookup would otherwise)
  return held;
}

/**
 * The streaming reconciliation (see the top of this file). `rows` may come one by one or in batches.
 * @throws Error when the ledger stream is not in strictly ascending order_no.
 */
export async function reconcileStream(
  rows: AsyncIterable<BillRow | readonly BillRow[]> | Iterable<BillRow>,
  ledger: AsyncIterable<DayOrder> | Iterable<DayOrder>,
  options: StreamReconcileOptions = {},
): Promise<StreamReconcileResult> {
  const cap = options.listCap ?? 1000;
  const sink = options.sink;
  const result: StreamReconcileResult = {
    matched: 0,
    settled: 0,
    counts: { missingLocal: 0, missingRemote: 0, mismatched: 0, nextDay: 0, unresolved: 0 },
    missingLocal: [],
    missingRemote: [],
    mismatched: [],
    nextDay: [],
    settleable: [],
    unresolved: [],
    pendingWithoutRow: [],
    lateBilled: [],
    rows: 0,
    orders: 0,
  };

  const held = await holdDayOrders(ledger);
  result.orders = held.size;
  // Window orders the day before's bill already held (few: its last minutes): a row for one is a second booking.
  const billedBefore = new Set<string>();
  if (options.previousDayWindow) {
    const before = options.previousDayBilled?.orderNos;
    for await (const record of options.previousDayWindow) {
      if (held.has(record.orderNo) || !isBoundaryOrder(record)) continue;
      held.add(record, true);
      if (before?.has(record.orderNo)) billedBefore.add(record.orderNo);
    }
  }
  /** order_nos of rows without an order, to tell a duplicate row among them. */
  const withoutOrder = new Set<string>();

  // Judging a row is synchronous; a sink that must wait (backpressure) returns a promise, awaited after the row.
  let waits: Promise<void>[] = [];
  const write = (entry: ReportEntry): void => {
    const wait = sink?.write(entry);
    if (wait) waits.push(wait);
  };
  const writeMatched = sink?.matched
    ? (row: BillRow): void => {
        const wait = sink.matched!(row);
        if (wait) waits.push(wait);
      }
    : (row: BillRow): void => write(matchedEntry(row));
  const settle = async (): Promise<void> => {
    const pending = waits;
    waits = [];
    await Promise.all(pending);
  };
  const line = (row: BillRow, category: ReportCategory, field = '', ledgerValue = '', billValue = ''): ReportEntry => ({
    orderNo: row.orderNo,
    tradeType: row.tradeType,
    category,
    field,
    ledger: ledgerValue,
    bill: billValue,
    account: row.account,
    mercacc: row.mercacc,
    amountFen: row.amountFen,
    outId: row.outId,
    tradeTime: row.tradeTime,
  });
  const mismatch = (row: BillRow, entry: ReconcileMismatch): void => {
    result.counts.mismatched += 1;
    if (result.mismatched.length < cap) {
      result.mismatched.push({ orderNo: own(entry.orderNo), field: entry.field, ledger: own(entry.ledger), bill: own(entry.bill) });
    }
    write(line(row, 'mismatched', entry.field, entry.ledger, entry.bill));
  };

  const judge = (row: BillRow, at: number): void => {
    result.rows += 1;
    const orderNo = row.orderNo;
    const paid = isPaid(row.orderStatus);
    if (at < 0) {
      if (withoutOrder.has(orderNo)) {
        mismatch(row, { orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' });
        return;
      }
      withoutOrder.add(own(orderNo));
      if (paid) {
        result.counts.missingLocal += 1;
        if (result.missingLocal.length < cap) result.missingLocal.push(own(orderNo));
        write(line(row, 'missing_local', '', NONE, row.orderStatus));
      } else {
        write(line(row, 'matched', '', NONE, row.orderStatus));
      }
      return;
    }
    if (held.markSeen(at)) {
      mismatch(row, { orderNo, field: 'order_no', ledger: 'one row', bill: 'duplicate row' });
      return;
    }
    if (billedBefore.size > 0 && held.flag(at, FLAG_PREVIOUS_DAY) && billedBefore.has(orderNo)) {
      mismatch(row, { orderNo, field: 'order_no', ledger: `one row (bill of ${options.previousDayBilled!.billDate})`, bill: 'duplicate row' });
      return;
    }

    // Fast path: a SUCCESS order whose terms and out_id equal a paid row's.
    if (paid && held.matchesPaid(at, row)) {
      result.matched += 1;
      writeMatched(row);
      return;
    }

    const record = held.record(at);
    const differences: ReconcileMismatch[] = compareTerms(record as LedgerRecord, billRowTerms(row), BILL_TERMS).map((d) => ({
      orderNo,
      field: d.field,
      ledger: d.ledger,
      bill: d.source,
    }));
    if (record.status === OrderStatus.PENDING) {
      options.onPending?.(record.orderNo, differences);
      for (const difference of differences) mismatch(row, difference);
      if (paid && differences.length === 0) {
        result.settled += 1;
        result.settleable.push({ orderNo: own(orderNo), outId: own(row.outId) });
        write(line(row, 'settled', 'status', OrderStatus.PENDING, row.orderStatus));
      } else {
        result.counts.unresolved += 1;
        result.unresolved.push({ orderNo: own(orderNo), billStatus: own(row.orderStatus) });
        if (differences.length === 0) write(line(row, 'mismatched', 'status', OrderStatus.PENDING, row.orderStatus));
      }
      return;
    }
    if ((record.status === OrderStatus.SUCCESS) !== paid) {
      differences.push({ orderNo, field: 'status', ledger: record.status, bill: row.orderStatus });
    } else if (paid && (record.outId ?? '') !== row.outId) {
      differences.push({ orderNo, field: 'out_id', ledger: record.outId ?? '', bill: row.outId });
    }
    if (differences.length === 0) {
      result.matched += 1;
      writeMatched(row);
    } else {
      for (const difference of differences) mismatch(row, difference);
    }
  };

  // A batch's slots are looked up together (held.slotsOf: their memory reads overlap), then its rows judged.
  let slots = new Int32Array(1024);
  for await (const item of rows as AsyncIterable<BillRow | readonly BillRow[]>) {
    if (Array.isArray(item)) {
      const batch = item as readonly BillRow[];
      if (slots.length < batch.length) slots = new Int32Array(batch.length);
      held.slotsOf(batch, slots);
      for (let i = 0; i < batch.length; i++) judge(batch[i]!, slots[i]!);
    } else judge(item as BillRow, held.slot((item as BillRow).orderNo));
    if (waits.length > 0) await settle();
  }
  withoutOrder.clear();

  // The ledger's side: each order of the day the bill lacks gets its line (SUCCESS ones are differences, PENDING
  // ones also kept apart for their exceptions, FAILED ones agree).
  const unseen = (at: number): boolean => !held.flag(at, FLAG_SEEN) && !held.flag(at, FLAG_PREVIOUS_DAY);
  // Late orders the bill lacks: the next day's bill may hold them (boundary orders: a next_day line, never a
  // difference on either day; a PENDING one is settled by that day's run, no settling work here). It is read only
  // for a late SUCCESS or PENDING one: a refused order is on no bill, so most days have a late FAILED one, and
  // reading the next day's bill for it alone would cost nearly every run a download (and its failures). Read, it
  // makes a late FAILED order it holds next_day too (judged there against its row); unread, that one is matched.
  const late = new Set<string>();
  let worthReading = false;
  if (options.nextDayRows) {
    for (let at = 0; at < held.size; at++) {
      if (!unseen(at) || !held.flag(at, FLAG_LATE)) continue;
      late.add(held.orderNo(at));
      worthReading ||= held.status(at) !== OrderStatus.FAILED;
    }
  }
  const onNextDay = new Set<string>();
  if (worthReading && options.nextDayRows) {
    for await (const item of options.nextDayRows()) {
      const batch = Array.isArray(item) ? (item as readonly BillRow[]) : [item as BillRow];
      for (const row of batch) if (late.has(row.orderNo)) onNextDay.add(row.orderNo);
    }
  }
  for (let at = 0; at < held.size; at++) {
    if (!unseen(at)) {
      // Seen: a late order of the day this bill holds is kept for the next day's run (lateBilled).
      if (held.flag(at, FLAG_LATE) && !held.flag(at, FLAG_PREVIOUS_DAY)) result.lateBilled.push(held.orderNo(at));
      continue;
    }
    const record = held.record(at);
    const orderNo = record.orderNo;
    let category: ReportCategory;
    let field = '';
    if (onNextDay.has(orderNo)) {
      result.counts.nextDay += 1;
      if (result.nextDay.length < cap) result.nextDay.push(orderNo);
      category = 'next_day';
    } else if (record.status === OrderStatus.FAILED) {
      // No money moved on either side: they agree (one of the ledger's orders the bill agrees with).
      result.matched += 1;
      category = 'matched';
    } else if (record.status === OrderStatus.PENDING) {
      // The form of a PENDING order's status line left PENDING (isStillPendingLine): no difference of its own.
      result.pendingWithoutRow.push({ orderNo, mercacc: record.mercacc });
      category = 'mismatched';
      field = 'status';
    } else {
      result.counts.missingRemote += 1;
      if (result.missingRemote.length < cap) result.missingRemote.push(orderNo);
      category = 'missing_remote';
    }
    write({
      orderNo,
      tradeType: WIRE_TYPES[record.type] ?? record.type,
      category,
      field,
      ledger: record.status,
      bill: NONE,
      account: record.account,
      mercacc: record.mercacc,
      amountFen: record.amountFen,
      outId: record.outId ?? '',
      tradeTime: held.tradeTime(at),
      withoutRow: true,
    });
    if (waits.length > 0) await settle();
  }
  return result;
}

// The streaming report's CSV lines live with the rest of report.csv; re-exported for this module's callers.
export { matchedEntry, REPORT_CSV_HEADER, reportCsvLine } from './report-csv.js';

