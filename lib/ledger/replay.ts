// A request for an order_no that already exists: the same request gets the stored outcome (waiting a
// little for a winner still calling the platform, then resolving a PENDING one); another gets a 409.
import { assertSameRequest } from './identity.js';
import { OrderStatus, type LedgerRecord, type NewOrder } from './records.js';
import type { Settlement } from './settlement.js';
import type { LedgerStore } from './store.js';

export interface ReplayDeps {
  readonly ledger: Pick<LedgerStore, 'get'>;
  readonly settlement: Pick<Settlement, 'resolveOne'>;
  /** The one clock: ages and the wait's deadline. */
  readonly now: () => Date;
  /** Longer than any client call (lib/timings.ts): a younger order without outcome may still be in flight. */
  readonly inFlightWindowMs: number;
  /** How long to wait for the winning request's outcome. */
  readonly waitMs: number;
  /** Poll interval while waiting. */
  readonly pollMs: number;
}

/**
 * The stored outcome for a replay of `order`; undefined when the order was withdrawn meanwhile (its
 * attempt never reached the platform, so this request may make it).
 * @throws OrderConflictError when `order` is not the request that created `stored`.
 */
export type Replay = (stored: LedgerRecord, order: NewOrder) => Promise<LedgerRecord | undefined>;

export function createReplay(deps: ReplayDeps): Replay {
  const { ledger, settlement, now, inFlightWindowMs, waitMs, pollMs } = deps;
  // attempts 0: no outcome recorded yet, so the winner may still be calling the platform (unless it
  // crashed long ago, in which case waiting is pointless and pay.query decides).
  const mayBeInFlight = (record: LedgerRecord): boolean =>
    record.status === OrderStatus.PENDING &&
    record.attempts === 0 &&
    now().getTime() - Date.parse(record.createdAt) < inFlightWindowMs;

  return async (stored, order) => {
    assertSameRequest(stored, order);
    let current = stored;
    const deadline = now().getTime() + waitMs;
    while (mayBeInFlight(current) && now().getTime() < deadline) {
      await sleep(pollMs);
      const latest = await ledger.get(current.orderNo);
      if (!latest) return undefined;
      current = latest;
    }
    return settlement.resolveOne(current);
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
