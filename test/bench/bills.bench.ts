// The daily bill pipeline at roadmap scale (1,000,000 rows per run): DES decryption, parsing with the
// footer check, and the merge-join reconciliation against a streamed ledger, each timed, with the
// process's peak memory. Seeded differences make the run check its own answer. Run alone:
// `npx tsx test/bench/bills.bench.ts` (BILL_BENCH_ROWS=n for another size), or via `npm run bench`.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { reconcile } from '../../lib/bills/reconcile.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import { decryptBill, formatBill, parseBill } from '../../lib/protocol/bill.js';
import { desEcbEncryptNoPadding } from '../../lib/protocol/crypto.js';
import type { BillRow } from '../../lib/platform/types.js';

const DEFAULT_ROWS = 1_000_000;
/** Every SEEDED_EVERY-th order carries one seeded difference, cycling through the kinds below. */
const SEEDED_EVERY = 10_007;

const orderNo = (i: number): string => `T${String(i).padStart(12, '0')}`;

function billRow(i: number): BillRow {
  return {
    tradeTime: '2026-11-26T12:34:56+08:00',
    account: String(100_000 + (i % 50_000)),
    acctype: '###',
    mercacc: '1001',
    outId: `2026112600${String(i).padStart(10, '0')}`,
    orderNo: orderNo(i),
    tradeType: '01',
    orderStatus: '60',
    amountFen: 100 + (i % 5_000),
    attach: i % 3 === 0 ? 'canteen 2, window 5' : '',
  };
}

/** The ledger's view of order i (a SUCCESS payment matching its bill row) before any seeded difference. */
function ledgerRecord(row: BillRow): LedgerRecord {
  return {
    orderNo: row.orderNo,
    type: 'PAYMENT',
    status: 'SUCCESS',
    account: row.account,
    acctype: row.acctype,
    mercacc: row.mercacc,
    amountFen: row.amountFen,
    outId: row.outId,
    refundableFen: row.amountFen,
    refundedFen: 0,
    createdAt: row.tradeTime,
    updatedAt: row.tradeTime,
    tradeDay: '20261126',
    requestHash: 'h',
    version: 1,
    attempts: 1,
  };
}

/** Ledger records in ascending order_no, as LedgerStore.listByDay streams them, with seeded differences. */
async function* ledgerStream(rows: number): AsyncGenerator<LedgerRecord> {
  for (let i = 0; i < rows; i += 1) {
    const record = ledgerRecord(billRow(i));
    if (i % SEEDED_EVERY !== 0) {
      yield record;
      continue;
    }
    const kind = (i / SEEDED_EVERY) % 4;
    if (kind === 0) continue; // a bill row the ledger lacks → missing_local
    if (kind === 1) yield { ...record, amountFen: record.amountFen + 1 }; // → mismatched tranamt
    if (kind === 2) yield { ...record, status: 'PENDING', outId: undefined } as LedgerRecord; // → settleable
    if (kind === 3) {
      yield record;
      yield { ...record, orderNo: `${record.orderNo}x` }; // SUCCESS in the ledger, not in the bill → missing_remote
    }
  }
}

function expectedCounts(rows: number): { missingLocal: number; mismatched: number; settleable: number; missingRemote: number } {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < rows; i += SEEDED_EVERY) counts[(i / SEEDED_EVERY) % 4]! += 1;
  return { missingLocal: counts[0]!, mismatched: counts[1]!, settleable: counts[2]!, missingRemote: counts[3]! };
}

const mb = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(0)} MB`;
const pad = (label: string): string => label.padEnd(52, ' ');

/** Setup (untimed): the platform's side, a NUL-padded, DES-encrypted, base64 bill of `rows` rows. */
function encryptedBill(rows: number, key: Buffer): { body: string; textBytes: number } {
  const text = Buffer.from(formatBill(Array.from({ length: rows }, (_, i) => billRow(i))), 'utf8');
  const padded = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8)]);
  return { body: desEcbEncryptNoPadding(padded, key).toString('base64'), textBytes: text.length };
}

export async function runBillsBench(rows = Number(process.env.BILL_BENCH_ROWS ?? DEFAULT_ROWS)): Promise<void> {
  const key = randomBytes(8);
  const { body, textBytes } = encryptedBill(rows, key);
  // What the process holds while the pipeline runs: JS heap + buffers, sampled every 5 ms, after a GC
  // of the setup's leftovers (run with --expose-gc; `npm run bench` does). Garbage not yet collected
  // counts too, as it does against a Lambda function's memory.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const held = (): number => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const baseline = held();
  let peakHeld = baseline;
  const sample = (): void => {
    peakHeld = Math.max(peakHeld, held());
  };
  const sampler = setInterval(sample, 5);
  const timed = async <T>(run: () => T | Promise<T>): Promise<[T, number]> => {
    const start = process.hrtime.bigint();
    const value = await run();
    sample();
    return [value, Number(process.hrtime.bigint() - start) / 1e6];
  };

  const [plain, decryptMs] = await timed(() => decryptBill(body, key));
  const [bill, parseMs] = await timed(() => parseBill(plain));
  const [result, reconcileMs] = await timed(() => reconcile(bill.rows, ledgerStream(rows)));
  clearInterval(sampler);

  const expected = expectedCounts(rows);
  const got = {
    missingLocal: result.missingLocal.length,
    mismatched: result.mismatched.length,
    settleable: result.settleable.length,
    missingRemote: result.missingRemote.length,
  };
  const agrees = JSON.stringify(got) === JSON.stringify(expected) && bill.count === rows;
  const totalMs = decryptMs + parseMs + reconcileMs;
  const perSecond = (ms: number): string => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

  console.log(`bill of ${rows.toLocaleString('en-US')} rows, ${mb(textBytes)} of text, ${mb(body.length)} encrypted base64`);
  console.log(`${pad('DES decrypt + NUL strip + UTF-8 decode')}${decryptMs.toFixed(0).padStart(6)} ms  ${perSecond(decryptMs)}`);
  console.log(`${pad('parse (rows, continuation lines, footer check)')}${parseMs.toFixed(0).padStart(6)} ms  ${perSecond(parseMs)}`);
  console.log(`${pad('reconcile (sort + merge-join vs streamed ledger)')}${reconcileMs.toFixed(0).padStart(6)} ms  ${perSecond(reconcileMs)}`);
  console.log(`${pad('whole pipeline after download')}${totalMs.toFixed(0).padStart(6)} ms  (down-bill function timeout: 300 000 ms)`);
  console.log(
    `${pad('peak JS heap + buffers during the pipeline')}${mb(peakHeld).padStart(9)}  ` +
      `(${mb(baseline)} of it before the run${gc ? '' : ', no --expose-gc'}; down-bill function memory: 2048 MB)`,
  );
  console.log(
    `${pad('seeded differences found')}${agrees ? 'all' : 'WRONG'}: missing_local ${got.missingLocal}, mismatched ${got.mismatched}, ` +
      `settleable ${got.settleable}, missing_remote ${got.missingRemote} (expected ${JSON.stringify(expected)})`,
  );
  if (!agrees) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBillsBench();
}
