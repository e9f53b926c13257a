// One pass of a downloaded bill, streamed end to end: the bill's bytes → text (UTF-8 or GBK) → the raw archive
// and the parser → rows in batches → totals, stored row pages and the first rows of the answer → the merge
// against the day's ledger orders → report lines into the sinks. Nothing holds the whole bill: rows are let go
// batch by batch, the ledger side is held compactly (held-orders.ts). A failed archive write does not stop the
// pass: the rest of the archive is skipped and the failure handed back (the answer needs only the figures).
import type { DayOrder } from '../ledger/records.js';
import type { BillRow } from '../platform/types.js';
import type { ArchiveWriter, BillArchive } from './archive.js';
import { billRowBatches, type BillEncoding, type BillFooter } from './bill-stream.js';
import { PageWriter } from './downloads.js';
import { reconcileStream, type ReconcileMismatch, type ReportEntry, type ReportSink, type StreamReconcileOptions, type StreamReconcileResult } from './reconcile.js';
import { matchedEntry, REPORT_CSV_HEADER, reportCsvLine } from './report-csv.js';
import { ReportText } from './report-text.js';
import { BillTotals } from './report.js';

/** Report text is handed to its writer in pieces of about this size. */
const REPORT_CHUNK = 1 << 16;

/** Archive writes that stop at the first failure (kept in `failure`); the pass goes on without them. */
export class ArchiveGuard {
  active = true;
  failure: unknown;

  /** Runs the write unless an earlier one failed; a failure is kept, never thrown. */
  async run(write: () => Promise<unknown> | undefined): Promise<void> {
    if (!this.active) return;
    try {
      await write();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Waits for a write already started (its failure kept like run's). */
  async absorb(wait: Promise<unknown>): Promise<void> {
    try {
      await wait;
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.active = false;
  }
}

export interface PassInput {
  /** The bill's bytes as downloaded (iterated once). */
  readonly plain: AsyncIterable<Uint8Array>;
  readonly encoding?: BillEncoding;
  /** The day's ledger orders, ascending order_no (LedgerStore.listDayOrders). */
  readonly orders: AsyncIterable<DayOrder> | Iterable<DayOrder>;
  readonly previousDayWindow?: AsyncIterable<DayOrder> | Iterable<DayOrder>;
  /** Of that window, what the day before's own bill held (reconcile.ts StreamReconcileOptions.previousDayBilled). */
  readonly previousDayBilled?: StreamReconcileOptions['previousDayBilled'];
  readonly nextDayRows?: () => AsyncIterable<readonly BillRow[]>;
  /** Where the raw text and the row pages go; absent: nothing stored (the bench's reconcile-only runs). */
  readonly store?: {
    readonly archive: BillArchive;
    readonly raw: ArchiveWriter;
    readonly pages: { billDate: string; billType: string; id: string };
    readonly guard: ArchiveGuard;
  };
  /** Every report entry (the stored report and whoever else listens: composed in download-pass.ts). */
  readonly sink?: ReportSink;
  /** How many of the first rows to keep for the answer. */
  readonly firstRows: number;
  readonly onPending?: (orderNo: string, differences: readonly ReconcileMismatch[]) => void;
}

export interface PassResult {
  readonly result: StreamReconcileResult;
  readonly footer: BillFooter;
  readonly totals: BillTotals;
  readonly firstRows: BillRow[];
  /** Rows stored in pages (meaningful while the guard is active). */
  readonly storedRows: number;
}

/**
 * The report as CSV text into a writer: the header line, then one line per entry, \r\n each (RFC 4180). In
 * report.csv `field`, `ledger` and `bill` describe a difference, so only `mismatched` lines carry them.
 */
export class ReportWriterSink implements ReportSink {
  // Gathered as one-byte text (report-text.ts) and handed over a chunk at a time.
  private readonly text = new ReportText();

  constructor(private readonly send: (text: string) => Promise<void>) {
    this.text.line(`${REPORT_CSV_HEADER}\r\n`);
  }

  write(entry: ReportEntry): Promise<void> | undefined {
    this.text.line(`${reportCsvLine(entry, true)}\r\n`);
    return this.text.length >= REPORT_CHUNK ? this.flush() : undefined;
  }

  /** A matched row's line, straight from the row (no entry object, no line string). */
  matched(row: BillRow): Promise<void> | undefined {
    this.text.matched(row);
    return this.text.length >= REPORT_CHUNK ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    const text = this.text.take();
    if (text.length > 0) await this.send(text);
  }
}

/**
 * Several sinks as one: each entry to each, in order; waits only when one of them asks to. A matched row goes to
 * each sink's `matched`, or as matchedEntry(row) (made once) to a sink without one.
 */
export function fanOut(sinks: readonly ReportSink[]): ReportSink {
  if (sinks.length === 1) return sinks[0]!;
  const all = (each: (sink: ReportSink) => void | Promise<void>): Promise<void> | undefined => {
    let waits: Promise<void>[] | undefined;
    for (const sink of sinks) {
      const wait = each(sink);
      if (wait) (waits ??= []).push(wait);
    }
    return waits ? Promise.all(waits).then(() => undefined) : undefined;
  };
  return {
    write: (entry) => all((sink) => sink.write(entry)),
    matched(row) {
      let entry: ReportEntry | undefined;
      return all((sink) => (sink.matched ? sink.matched(row) : sink.write((entry ??= matchedEntry(row)))));
    },
  };
}

/**
 * Runs the pass; the writers are left open (the caller closes or aborts them once settlement is done).
 * @throws BillEncodingRestart when the bill must be read again as GBK (abort the writers, download again);
 * GarbledResponseError for a corrupt bill or a footer that disagrees.
 */
export async function runBillPass(input: PassInput): Promise<PassResult> {
  const store = input.store;
  const guard = store?.guard;
  const pages = store ? new PageWriter(store.archive, store.pages) : undefined;
  const batches = billRowBatches(input.plain, {
    ...(input.encoding ? { encoding: input.encoding } : {}),
    ...(store ? { onText: (text: string) => store.guard.run(() => store.raw.write(text)) } : {}),
  });
  const totals = new BillTotals();
  const firstRows: BillRow[] = [];
  async function* tapped(): AsyncGenerator<readonly BillRow[]> {
    for await (const batch of batches) {
      for (const row of batch) {
        totals.add(row);
        if (firstRows.length < input.firstRows) firstRows.push(row);
        if (pages && guard!.active) {
          const wait = pages.add(row);
          if (wait) await guard!.absorb(wait);
        }
      }
      yield batch;
    }
  }
  const result = await reconcileStream(tapped(), input.orders, {
    ...(input.previousDayWindow ? { previousDayWindow: input.previousDayWindow } : {}),
    ...(input.previousDayBilled ? { previousDayBilled: input.previousDayBilled } : {}),
    ...(input.nextDayRows ? { nextDayRows: input.nextDayRows } : {}),
    ...(input.sink ? { sink: input.sink } : {}),
    ...(input.onPending ? { onPending: input.onPending } : {}),
  });
  let storedRows = 0;
  if (pages && guard) await guard.run(async () => (storedRows = await pages.finish()));
  return { result, footer: batches.footer(), totals, firstRows, storedRows };
}
