// A reconciled bill (lib/bills/report.ts, fen and camelCase) as API.md "Bills" JSON: yuan strings,
// wire names, the reconciliation's lists as the service found them.
import { formatYuan } from '../protocol/money.js';
import type { BillReport, BillType } from '../bills/report.js';

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

export function billJson(report: BillReport): BillJson {
  const { reconciliation } = report;
  return {
    bill_date: report.billDate,
    bill_type: report.billType,
    count: report.count,
    total: formatYuan(report.totalFen),
    rows: report.rows.map((row) => ({
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
      matched: reconciliation.matched,
      missing_local: [...reconciliation.missingLocal],
      missing_remote: [...reconciliation.missingRemote],
      mismatched: reconciliation.mismatched.map((m) => ({ order_no: m.orderNo, field: m.field, ledger: m.ledger, bill: m.bill })),
    },
  };
}
