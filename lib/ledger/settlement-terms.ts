// The one rule for every settlement source (pay.query answers, bill rows): it may settle a ledger order only
// when it describes that order — order_no, type, account, acctype, amount (and, for bill rows, mercacc) equal.
//
// Decisions:
// - A bill row always carries every term, so all six are compared (billRowTerms, BILL_TERMS).
// - A pay.query answer (spec 2.2.3.3.2) carries account, acctype, order_no, tranamt and order_status, but no
//   trade type and no mercacc. Its type is known only from status 80 ("turned into a refund"), which only a
//   payment can have: an 80 answer for a REFUND order describes a payment (payQueryTerms).
// - A term the source does not carry: compared only if it is in `required`, and then an absent value is a
//   difference (ABSENT). pay.query's tranamt is required whenever the answer says money moved (60, 80): an
//   answer that cannot show the ledger's amount never settles SUCCESS. A 77/78 answer moved no money and may
//   come without tranamt (78 describes no order at all); what it does carry is still compared.
// - account/acctype of a pay.query answer fall back to the asked terms when absent (lib/protocol/methods.ts):
//   the platform answers by the order_no, account and acctype it was asked with, and the settling paths
//   ask with the ledger's own (payments.ts queryPayments ignores answers to other terms).
import { formatYuan } from '../protocol/money.js';
import type { PayQueryResult } from '../platform/types.js';
import { OrderType, type LedgerRecord } from './records.js';

/** Wire names of the compared terms (as reconcile's `mismatched` entries name them). */
export type TermField = 'order_no' | 'type' | 'account' | 'acctype' | 'mercacc' | 'tranamt';

/** What a source says about an order; an absent member is a term the source does not carry. */
export interface SourceTerms {
  readonly orderNo?: string;
  /** PAYMENT / REFUND, or the source's own code when it is neither. */
  readonly type?: string;
  readonly account?: string;
  readonly acctype?: string;
  readonly mercacc?: string;
  readonly amountFen?: number;
}

/** One term on which a source and the ledger differ, both values as text (amounts in yuan). */
export interface TermDifference {
  readonly field: TermField;
  readonly ledger: string;
  readonly source: string;
}

/** Where a settlement answer came from. */
export type SettlementSource = 'pay.query' | 'bill';

/** A source that describes another order than the ledger's: it settled nothing. */
export interface SettlementMismatch {
  readonly orderNo: string;
  readonly source: SettlementSource;
  readonly differences: readonly TermDifference[];
}

/** Receives each mismatch (the runtime logs it and counts CUSTOM_METRICS.settlementMismatches). */
export type MismatchReporter = (mismatch: SettlementMismatch) => void;

/** The value shown for a required term the source does not carry. */
export const ABSENT = '(absent)';

/** Every term, in the order differences are listed. */
export const BILL_TERMS: readonly TermField[] = ['order_no', 'type', 'account', 'acctype', 'mercacc', 'tranamt'];

/** pay.query statuses that say money moved (settle SUCCESS): their answers must carry the ledger's amount. */
const MONEY_MOVED_STATUSES: ReadonlySet<string> = new Set(['60', '80']);

function yuan(fen: number): string {
  return Number.isSafeInteger(fen) ? formatYuan(fen) : String(fen);
}

/**
 * The terms on which `source` differs from `order`, in BILL_TERMS order; empty when it describes the order.
 * A term `source` lacks is a difference only when listed in `required`.
 * @example compareTerms(record, payQueryTerms(answer), payQueryRequired(answer))
 */
export function compareTerms(order: LedgerRecord, source: SourceTerms, required: readonly TermField[] = []): TermDifference[] {
  const ledger: Record<TermField, string> = {
    order_no: order.orderNo,
    type: order.type,
    account: order.account,
    acctype: order.acctype,
    mercacc: order.mercacc,
    tranamt: yuan(order.amountFen),
  };
  const given: Record<TermField, string | undefined> = {
    order_no: source.orderNo,
    type: source.type,
    account: source.account,
    acctype: source.acctype,
    mercacc: source.mercacc,
    tranamt: source.amountFen === undefined ? undefined : yuan(source.amountFen),
  };
  const differences: TermDifference[] = [];
  for (const field of BILL_TERMS) {
    const value = given[field];
    if (value === undefined) {
      if (required.includes(field)) differences.push({ field, ledger: ledger[field], source: ABSENT });
    } else if (field === 'tranamt' ? source.amountFen !== order.amountFen : value !== ledger[field]) {
      differences.push({ field, ledger: ledger[field], source: value });
    }
  }
  return differences;
}

/** What a pay.query answer says about its order (see the decisions above for type). */
export function payQueryTerms(answer: PayQueryResult): SourceTerms {
  return {
    orderNo: answer.orderNo,
    account: answer.account,
    acctype: answer.acctype,
    ...(answer.amountFen !== undefined ? { amountFen: answer.amountFen } : {}),
    ...(answer.orderStatus === '80' ? { type: OrderType.PAYMENT } : {}),
  };
}

/** The terms a pay.query answer must carry: tranamt when it says money moved. */
export function payQueryRequired(answer: PayQueryResult): readonly TermField[] {
  return MONEY_MOVED_STATUSES.has(answer.orderStatus) ? ['tranamt'] : [];
}

/** The ledger error a PENDING order keeps when a source described another order (names fields, not values). */
export function mismatchError(source: SettlementSource, differences: readonly TermDifference[]): { code: string; message: string } {
  return {
    code: 'SETTLEMENT_TERMS_MISMATCH',
    message: `${source} described another order (${differences.map((d) => d.field).join(', ')} differ from the ledger's): nothing settled`,
  };
}
