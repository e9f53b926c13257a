// The bills use case: a day's bill from the archive when final, else downloaded (down.bill),
// reconciled against the ledger, PENDING orders it proves settled, and archived; API.md shape out.
import type { BillRequest, BillRow, PlatformClient } from '../platform/types.js';
import type { LedgerStore } from '../ledger/store.js';
import type { PaymentService } from '../ledger/payments.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import { chinaDate, toChinaIso } from '../protocol/timestamp.js';
import { formatYuan } from '../protocol/money.js';
import type { BillArchive } from './archive.js';

export type BillType = BillRequest['billType'];
export type CryptType = BillRequest['cryptType'];

/** GET /v1/bills/{bill_date} (API.md "Bills"). */
export interface BillJson {
  bill_date: string;
  bill_type: BillType;
  count: number;
  total: string;
  rows: BillRowJson[];
  reconciliation: {
    matched: number;
    missing_local: string[];
    missing_remote: string[];
    mismatched: { order_no: string; field: string; ledger: string; bill: string }[];
  };
}

export interface BillRowJson {
  trade_time: string;
  account: string;
  acctype: string;
  mercacc: string;
  out_id: string;
  order_no: string;
  trade_type: string;
  order_status: string;
  tranamt: string;
  attach: string;
}

export interface GetBillInput {
  readonly billDate: string;
  readonly billType?: BillType;
  readonly cryptType?: CryptType;
}

export interface BillService {
  getBill(input: GetBillInput): Promise<BillJson>;
  /** The scheduled run: yesterday's (China date) bill, fetched and archived. */
  runDaily(): Promise<{ billDate: string; count: number; matched: number; mismatched: number; missingLocal: number; missingRemote: number }>;
}

export interface BillServiceOptions {
  readonly platform: PlatformClient;
  readonly ledger: LedgerStore;
  readonly payments: PaymentService;
  readonly archive: BillArchive;
  readonly defaultCryptType: CryptType;
  readonly now?: () => Date;
}

export function createBillService(options: BillServiceOptions): BillService {
  const now = options.now ?? (() => new Date());

  const getBill = async (input: GetBillInput): Promise<BillJson> => {
    const billType = input.billType ?? 'ALL';
    const cryptType = input.cryptType ?? options.defaultCryptType;
    const final = input.billDate < chinaDate(now());
    if (final) {
      const stored = await options.archive.getReport(input.billDate, billType);
      if (stored?.final) return stored.report as BillJson;
    }
    const downloaded = await options.platform.downloadBill({ billDate: input.billDate, billType, cryptType });
    const rows = downloaded.bill.rows;
    let result = await reconcile(rows, options.ledger.listByDay(input.billDate));
    if (await settleWithBill(result)) result = await reconcile(rows, options.ledger.listByDay(input.billDate));
    const report = billJson(input.billDate, billType, downloaded.bill, result);
    // A day still in progress is archived too (for the record) but never served as final.
    await options.archive.put(input.billDate, billType, downloaded.text, {
      final,
      fetchedAt: toChinaIso(now()),
      report,
    });
    return report;
  };

  /** Settles PENDING orders the bill proves paid, asks pay.query about the rest; true if any changed. */
  const settleWithBill = async (result: ReconcileResult): Promise<boolean> => {
    let changed = 0;
    if (result.settleable.length > 0) {
      const summary = await options.payments.settleFromBill(result.settleable);
      changed += summary.succeeded + summary.failed;
    }
    if (result.unresolved.length > 0) {
      const summary = await options.payments.resolvePending(result.unresolved.map((order) => order.orderNo));
      changed += summary.succeeded + summary.failed;
    }
    return changed > 0;
  };

  return {
    getBill,
    async runDaily() {
      const yesterday = chinaDate(new Date(now().getTime() - 24 * 3600 * 1000));
      const bill = await getBill({ billDate: yesterday, billType: 'ALL' });
      return {
        billDate: yesterday,
        count: bill.count,
        matched: bill.reconciliation.matched,
        mismatched: bill.reconciliation.mismatched.length,
        missingLocal: bill.reconciliation.missing_local.length,
        missingRemote: bill.reconciliation.missing_remote.length,
      };
    },
  };
}

function billJson(
  billDate: string,
  billType: BillType,
  bill: { rows: readonly BillRow[]; count: number; totalFen: number },
  result: ReconcileResult,
): BillJson {
  return {
    bill_date: billDate,
    bill_type: billType,
    count: bill.count,
    total: formatYuan(bill.totalFen),
    rows: bill.rows.map((row) => ({
      trade_time: row.tradeTime,
      account: row.account,
      acctype: row.acctype,
      mercacc: row.mercacc,
      out_id: row.outId,
      order_no: row.orderNo,
      trade_type: row.tradeType,
      order_status: row.orderStatus,
      tranamt: formatYuan(row.amountFen),
      attach: row.attach,
    })),
    reconciliation: {
      matched: result.matched,
      missing_local: result.missingLocal,
      missing_remote: result.missingRemote,
      mismatched: result.mismatched.map((m) => ({ order_no: m.orderNo, field: m.field, ledger: m.ledger, bill: m.bill })),
    },
  };
}
