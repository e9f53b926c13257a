// The names that lib/ publishes and infra/ watches: service, metrics namespace and custom metric
// names and the events' source and detail-type, written once here so an alarm (or a subscriber's rule
// the bus policy allows) can never watch a name nobody publishes.

/** Powertools service name (the `service` dimension of every metric, the `service` key of every log line). */
export const SERVICE_NAME = 'onecard-gateway';

/** CloudWatch namespace of the EMF metrics. */
export const METRICS_NAMESPACE = 'OnecardGateway';

/** Custom service-level metrics (dimension `service` only), each watched by an alarm in infra/. */
export const CUSTOM_METRICS = {
  /** Count of ledger orders still PENDING whose created_at is more than 15 minutes ago (a gauge: publish each sweep). */
  pendingOlderThan15m: 'PendingOlderThan15m',
  /** Number of reconciliation differences of one bill (missing_local + missing_remote + mismatched). */
  reconciliationMismatches: 'ReconciliationMismatches',
  /** A pay.query answer or bill row whose terms differ from its ledger order's (it settled nothing): one per answer. */
  settlementMismatches: 'SettlementMismatches',
  /** Order Settled events a publish could not deliver (refused entries, FailedEntryCount, or a failed call): one per event. */
  eventPublishFailures: 'EventPublishFailures',
  /** Order Settled events still unpublished 15 minutes after their order settled (a gauge: published each sweep). */
  eventsOverdue: 'EventsOverdue',
  /** A bill download that could not be stored in the archive (the answer and ReconciliationMismatches went on without it). */
  billArchiveFailures: 'BillArchiveFailures',
  /** Reconciliation exceptions with status open, across days (a gauge: published by each daily bill run). */
  openReconciliationExceptions: 'OpenReconciliationExceptions',
  /** Differences of a final bill a run ran out of time to keep as exceptions (its notKept): one per run that left some. */
  exceptionsNotKept: 'ExceptionsNotKept',
} as const;
export type CustomMetricName = (typeof CUSTOM_METRICS)[keyof typeof CUSTOM_METRICS];

/** The Order Settled events (API.md "Events"): their `source` and `detail-type`. */
export const ORDER_EVENTS = { source: 'onecard.gateway', detailType: 'Order Settled' } as const;
