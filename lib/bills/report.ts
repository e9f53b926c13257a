// The result of the bills use case: one day's bill reconciled against the ledger, in domain terms
// (fen, camelCase). The archive stores it; lib/presenters/bill.ts turns it into the API JSON.
import type { BillRequest, BillRow } from '../platform/types.js';
import type { ReconcileResult } from './reconcile.js';

export type BillType = BillRequest['billType'];

/** A day's bill reconciled against the ledger, amounts in fen (lib/presenters/bill.ts makes the API JSON). */
export interface BillReport {
  readonly billDate: string;
  readonly billType: BillType;
  readonly count: number;
  readonly totalFen: number;
  readonly rows: readonly BillRow[];
  readonly reconciliation: BillReconciliation;
}

/** What the reconciliation found (the settling work lists of ReconcileResult are not part of the report). */
export type BillReconciliation = Pick<ReconcileResult, 'matched' | 'missingLocal' | 'missingRemote' | 'mismatched'>;
