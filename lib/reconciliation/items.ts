// The DynamoDB item form of a reconciliation exception (keys in lib/tables.ts EXCEPTIONS_TABLE_KEY), both ways.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EXCEPTIONS_TABLE_KEY } from '../tables.js';
import { EXCEPTION_KINDS, EXCEPTION_STATUSES, type ExceptionKind, type ExceptionStatus, type ReconciliationException } from './exceptions.js';

export type Item = Record<string, AttributeValue>;

const { byStatusIndex, byDayStatusIndex } = EXCEPTIONS_TABLE_KEY;

/** The indexes' sort key: first_seen, then the id (unique, so two exceptions of one instant keep one order). */
export function listedKey(firstSeen: string, id: string): string {
  return `${firstSeen}#${id}`;
}

/** The by_day_status partition of a day and status. */
export function dayStatusKey(billDate: string, status: ExceptionStatus): string {
  return `${billDate}#${status}`;
}

export function exceptionItem(exception: ReconciliationException): Item {
  const item: Item = {
    [EXCEPTIONS_TABLE_KEY.partitionKey]: { S: exception.id },
    bill_date: { S: exception.billDate },
    order_no: { S: exception.orderNo },
    kind: { S: exception.kind },
    mercacc: { L: exception.mercacc.map((value) => ({ S: value })) },
    first_seen: { S: exception.firstSeen },
    last_seen: { S: exception.lastSeen },
    [byStatusIndex.partitionKey]: { S: exception.status },
    [byDayStatusIndex.partitionKey]: { S: dayStatusKey(exception.billDate, exception.status) },
    [byStatusIndex.sortKey]: { S: listedKey(exception.firstSeen, exception.id) },
  };
  if (exception.field !== undefined) item.field = { S: exception.field };
  if (exception.ledger !== undefined) item.ledger = { S: exception.ledger };
  if (exception.bill !== undefined) item.bill = { S: exception.bill };
  if (exception.note !== undefined) item.note = { S: exception.note };
  if (exception.resolvedAt !== undefined) item.resolved_at = { S: exception.resolvedAt };
  return item;
}

function text(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function required(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`exception lacks ${name}`);
  return value;
}

export function exceptionFromItem(item: Item): ReconciliationException {
  const kind = required(item, 'kind') as ExceptionKind;
  const status = required(item, byStatusIndex.partitionKey) as ExceptionStatus;
  if (!EXCEPTION_KINDS.includes(kind)) throw new Error(`exception kind ${kind}?`);
  if (!EXCEPTION_STATUSES.includes(status)) throw new Error(`exception status ${status}?`);
  const field = text(item, 'field');
  const ledger = text(item, 'ledger');
  const bill = text(item, 'bill');
  const note = text(item, 'note');
  const resolvedAt = text(item, 'resolved_at');
  return {
    id: required(item, EXCEPTIONS_TABLE_KEY.partitionKey),
    billDate: required(item, 'bill_date'),
    orderNo: required(item, 'order_no'),
    kind,
    ...(field !== undefined ? { field } : {}),
    ...(ledger !== undefined ? { ledger } : {}),
    ...(bill !== undefined ? { bill } : {}),
    mercacc: (item.mercacc?.L ?? []).map((value) => value.S ?? ''),
    firstSeen: required(item, 'first_seen'),
    lastSeen: required(item, 'last_seen'),
    status,
    ...(note !== undefined ? { note } : {}),
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
  };
}
