// Reconciliation exceptions (lib/reconciliation, camelCase) as API.md "Reconciliation exceptions" JSON: wire names,
// optional fields left out when absent, and never the merchant accounts kept only to filter by caller.
import type { ReconciliationException } from '../reconciliation/exceptions.js';
import type { ExceptionList } from '../reconciliation/service.js';

export interface ExceptionJson {
  id: string;
  bill_date: string;
  order_no: string;
  kind: string;
  field?: string;
  ledger?: string;
  bill?: string;
  first_seen: string;
  last_seen: string;
  status: string;
  note?: string;
  resolved_at?: string;
}

export function exceptionJson(exception: ReconciliationException): ExceptionJson {
  return {
    id: exception.id,
    bill_date: exception.billDate,
    order_no: exception.orderNo,
    kind: exception.kind,
    ...(exception.field !== undefined ? { field: exception.field } : {}),
    ...(exception.ledger !== undefined ? { ledger: exception.ledger } : {}),
    ...(exception.bill !== undefined ? { bill: exception.bill } : {}),
    first_seen: exception.firstSeen,
    last_seen: exception.lastSeen,
    status: exception.status,
    ...(exception.note !== undefined ? { note: exception.note } : {}),
    ...(exception.resolvedAt !== undefined ? { resolved_at: exception.resolvedAt } : {}),
  };
}

export function exceptionListJson(list: ExceptionList): { exceptions: ExceptionJson[]; next_cursor: string | null } {
  return { exceptions: list.exceptions.map(exceptionJson), next_cursor: list.nextCursor };
}
