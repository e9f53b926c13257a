// Tests' bill fixtures for the bill service on fakes: a bill row with a file's own defaults, a bill body
// whole, cut mid-stream or with a bad footer count, a platform answering bodies in turn, payments that settle nothing.
import type { PaymentService } from '../../lib/ledger/payments.js';
import { chunksOf } from '../../lib/platform/bill-body.js';
import type { BillRow, PlatformClient } from '../../lib/platform/types.js';
import { formatBill } from '../../lib/protocol/bill.js';

/** A paid (60) payment of 1.50 on 2026-11-26 by 32718 at merchant 1001, out_id `OUT-<order_no>`; `over` changes it. */
export function billRow(orderNo: string, over: Partial<BillRow> = {}): BillRow {
  return {
    tradeTime: '2026-11-26T10:00:00+08:00',
    account: '32718',
    acctype: '###',
    mercacc: '1001',
    outId: `OUT-${orderNo}`,
    orderNo,
    tradeType: '01',
    orderStatus: '60',
    amountFen: 150,
    attach: '',
    ...over,
  };
}

/** The bill of `rows` as the platform sends it (UTF-8). */
export const billBody = (rows: readonly BillRow[]): Buffer => Buffer.from(formatBill([...rows]), 'utf8');

/** The bill of `rows` whose footer counts one row more than it has. */
export function billWithBadFooter(rows: readonly BillRow[]): Buffer {
  const text = formatBill([...rows]).replace(/(\d+)(,[^,\n]*\n?)$/, (_, n: string, rest: string) => `${Number(n) + 1}${rest}`);
  return Buffer.from(text, 'utf8');
}

/** A platform whose bill downloads answer `bodies` one per download in turn (the last one repeated), in chunks of `chunkBytes`. */
export function platformAnswering(bodies: readonly Buffer[], chunkBytes: number): PlatformClient {
  let downloads = 0;
  return {
    async downloadBillStream() {
      const body = bodies[Math.min(downloads++, bodies.length - 1)] as Buffer;
      return { plain: chunksOf(body, chunkBytes) };
    },
  } as unknown as PlatformClient;
}

/** Payments that settle nothing from a bill: every entry stays pending (after `settle`, which may throw). */
export function paymentsSettlingNothing(settle?: () => Promise<void>): PaymentService {
  return {
    async settleFromBill(entries: readonly unknown[]) {
      await settle?.();
      return { examined: entries.length, succeeded: 0, failed: 0, stillPending: entries.length, queryErrors: 0 };
    },
    async resolvePending(orderNos: readonly string[]) {
      return { examined: orderNos.length, succeeded: 0, failed: 0, stillPending: orderNos.length, queryErrors: 0 };
    },
  } as unknown as PaymentService;
}
