// What a reconciliation exception is (API.md "Reconciliation exceptions"): one difference of one day's final bill,
// its kinds and statuses as data, and the deterministic id that makes the same difference found again the same one.
import { createHash } from 'node:crypto';

/** The differences a final bill's reconciliation keeps (the report's categories, plus a PENDING order left unresolved). */
export const ExceptionKind = {
  MISSING_LOCAL: 'missing_local',
  MISSING_REMOTE: 'missing_remote',
  /** One per differing field (`field` names it). */
  MISMATCHED: 'mismatched',
  /** A PENDING ledger order that the day's final bill did not settle (its row is unpaid or differs in a term, or it has none). */
  UNRESOLVED_PENDING: 'unresolved_pending',
} as const;
export type ExceptionKind = (typeof ExceptionKind)[keyof typeof ExceptionKind];
export const EXCEPTION_KINDS: readonly ExceptionKind[] = Object.values(ExceptionKind);

export const ExceptionStatus = {
  OPEN: 'open',
  /** A person has looked at it (with a note); still resolved by a later reconciliation that finds the order matched. */
  ACKNOWLEDGED: 'acknowledged',
  RESOLVED: 'resolved',
} as const;
export type ExceptionStatus = (typeof ExceptionStatus)[keyof typeof ExceptionStatus];
export const EXCEPTION_STATUSES: readonly ExceptionStatus[] = Object.values(ExceptionStatus);

/** One difference as a reconciliation finds it. */
export interface Difference {
  readonly billDate: string;
  readonly orderNo: string;
  readonly kind: ExceptionKind;
  /** mismatched only: type, account, acctype, mercacc, tranamt, out_id, status, order_no (a duplicate row). */
  readonly field?: string;
  readonly ledger?: string;
  readonly bill?: string;
  /** The merchant accounts it concerns (the order's; both sides of a mercacc mismatch): what filters it to callers. */
  readonly mercacc: readonly string[];
}

/** A stored exception. Times are ISO 8601 +08:00 (they sort as text). */
export interface ReconciliationException extends Difference {
  readonly id: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly status: ExceptionStatus;
  readonly note?: string;
  readonly resolvedAt?: string;
}

/** bill_date, '-', then 22 characters of base64url (132 bits of SHA-256): what an exception id looks like. */
export const EXCEPTION_ID_PATTERN = /^[0-9]{8}-[A-Za-z0-9_-]{22}$/;

/**
 * The id of a difference: the same (bill_date, order_no, kind, field) always gives the same id, so finding it
 * again writes to the same item (a conditional put never opens a second one).
 */
export function exceptionId(difference: Pick<Difference, 'billDate' | 'orderNo' | 'kind' | 'field'>): string {
  const digest = createHash('sha256')
    .update([difference.billDate, difference.orderNo, difference.kind, difference.field ?? ''].join('\u0000'), 'utf8')
    .digest('base64url');
  return `${difference.billDate}-${digest.slice(0, 22)}`;
}
