// The bill views (lib/bills/report.ts, fen and camelCase) as API.md "Bills" JSON: yuan strings,
// wire names; report.csv as a 200 text/csv (local) or a 303 to the stored report (deployed).
import { formatYuan } from '../protocol/money.js';
import type { BillRow } from '../platform/types.js';
import type { BillMerchants, BillPage, BillReconciliation, BillSummary, BillType, MerchantTotals } from '../bills/report.js';
import type { ReportAnswer } from '../bills/service-types.js';
import type { HttpResult } from './result.js';

export interface MoneyCountJson {
  count: number;
  amount: string;
}

export interface SummaryJson {
  payments: MoneyCountJson;
  refunds: MoneyCountJson;
  net: string;
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

export interface ReconciliationJson {
  matched: number;
  settled: number;
  missing_local: string[];
  missing_remote: string[];
  mismatched: { order_no: string; field: string; ledger: string; bill: string }[];
  pending: string[];
  counts: { missing_local: number; missing_remote: number; mismatched: number; pending: number };
}

/** GET /v1/bills/{bill_date}: one page (API.md "Bills"). */
export interface BillJson {
  bill_date: string;
  bill_type: BillType;
  count: number;
  total: string;
  final: boolean;
  fetched_at: string;
  summary: SummaryJson;
  rows: BillRowJson[];
  next_cursor: string | null;
  reconciliation: ReconciliationJson;
}

/** GET /v1/bills/{bill_date}/merchants */
export interface MerchantsJson {
  bill_date: string;
  final: boolean;
  merchants: (SummaryJson & { mercacc: string })[];
}

function summaryJson(summary: BillSummary): SummaryJson {
  return {
    payments: { count: summary.payments.count, amount: formatYuan(summary.payments.amountFen) },
    refunds: { count: summary.refunds.count, amount: formatYuan(summary.refunds.amountFen) },
    net: formatYuan(summary.netFen),
  };
}

export function billRowJson(row: BillRow): BillRowJson {
  return {
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
  };
}

function reconciliationJson(reconciliation: BillReconciliation): ReconciliationJson {
  return {
    matched: reconciliation.matched,
    settled: reconciliation.settled,
    missing_local: [...reconciliation.missingLocal],
    missing_remote: [...reconciliation.missingRemote],
    mismatched: reconciliation.mismatched.map((m) => ({ order_no: m.orderNo, field: m.field, ledger: m.ledger, bill: m.bill })),
    pending: [...(reconciliation.pending ?? [])],
    counts: {
      missing_local: reconciliation.counts.missingLocal,
      missing_remote: reconciliation.counts.missingRemote,
      mismatched: reconciliation.counts.mismatched,
      pending: reconciliation.counts.pending ?? 0,
    },
  };
}

export function billJson(page: BillPage): BillJson {
  return {
    bill_date: page.billDate,
    bill_type: page.billType,
    count: page.count,
    total: formatYuan(page.totalFen),
    final: page.final,
    fetched_at: page.fetchedAt,
    summary: summaryJson(page.summary),
    rows: page.rows.map(billRowJson),
    next_cursor: page.nextCursor,
    reconciliation: reconciliationJson(page.reconciliation),
  };
}

export function merchantsJson(view: BillMerchants): MerchantsJson {
  return {
    bill_date: view.billDate,
    final: view.final,
    merchants: view.merchants.map((merchant: MerchantTotals) => ({ mercacc: merchant.mercacc, ...summaryJson(merchant) })),
  };
}

/** report.csv: the stored report's pre-signed URL (303) or the CSV itself (200 text/csv). */
export function reportCsvResult(answer: ReportAnswer, billDate: string): HttpResult {
  if (answer.kind === 'redirect') return { statusCode: 303, body: '', text: '', headers: { location: answer.url, 'cache-control': 'no-store' } };
  return {
    statusCode: 200,
    body: '',
    text: answer.body,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="bill-${billDate}.csv"`,
    },
  };
}
