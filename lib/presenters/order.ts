// What the API reports of a ledger order (API.md "Payment and refund results", amounts still in fen):
// the ledger record without its bookkeeping. orderJson turns it into the API's JSON.
import type { LedgerRecord } from '../ledger/records.js';

/** The fields of a payment or refund the API shows; a LedgerRecord is one. */
export type OrderRecord = Pick<
  LedgerRecord,
  | 'orderNo'
  | 'type'
  | 'status'
  | 'account'
  | 'acctype'
  | 'mercacc'
  | 'amountFen'
  | 'outId'
  | 'refundOrderNo'
  | 'refundedFen'
  | 'error'
  | 'createdAt'
  | 'updatedAt'
  | 'tradeDay'
  | 'caller'
  | 'history'
>;
