// The reconciliation exceptions use case (API.md "Reconciliation exceptions"): the list and the acknowledgement,
// both within the caller's merchant accounts, the feed a final bill's reconciliation writes into, and the open count.
import { EXCEPTION_PAGE_LIMIT } from '../api/schemas.js';
import type { CallerScope } from '../callers/access.js';
import { NotFoundError } from '../errors.js';
import { decodeListCursor, encodeListCursor } from './cursor.js';
import { ExceptionResolvedError } from './errors.js';
import { ExceptionStatus, type ReconciliationException } from './exceptions.js';
import { startExceptionFeed, type ExceptionFeed, type FeedRunOptions } from './feed.js';
import type { ExceptionStore } from './store.js';

export { EXCEPTION_PAGE_LIMIT };

export interface ListExceptionsInput {
  readonly scope: CallerScope;
  /** Default open. */
  readonly status?: ExceptionStatus;
  readonly billDate?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface ExceptionList {
  readonly exceptions: ReconciliationException[];
  readonly nextCursor: string | null;
}

export interface ReconciliationService {
  /**
   * One page, newest first_seen first; a page filtered to the caller may hold fewer than `limit` (follow next_cursor).
   * @throws ValidationError when the cursor is not one of this list's (400).
   */
  list(input: ListExceptionsInput): Promise<ExceptionList>;
  /**
   * Marks an exception acknowledged with the note (again: the note is replaced).
   * @throws NotFoundError when the id is unknown or outside the caller's scope; ExceptionResolvedError when resolved.
   */
  acknowledge(input: { readonly scope: CallerScope; readonly id: string; readonly note: string }): Promise<ReconciliationException>;
  /** The feed of one final reconciliation of `billDate` (a ReportSink with finish); see startExceptionFeed. */
  startFeed(
    billDate: string,
    pendingNow?: (orderNos: readonly string[]) => Promise<ReadonlySet<string>>,
    run?: FeedRunOptions,
  ): Promise<ExceptionFeed>;
  /** Open exceptions across days (the OpenReconciliationExceptions gauge). */
  countOpen(): Promise<number>;
}

export interface ReconciliationServiceOptions {
  readonly store: ExceptionStore;
  readonly now?: () => Date;
}

/** True when the caller sees the exception: any of its merchant accounts is the caller's. */
export function inScope(scope: CallerScope, exception: Pick<ReconciliationException, 'mercacc'>): boolean {
  return scope.all || exception.mercacc.some((mercacc) => scope.includes(mercacc));
}

export function createReconciliationService(options: ReconciliationServiceOptions): ReconciliationService {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  return {
    async list(input) {
      const status = input.status ?? ExceptionStatus.OPEN;
      const billDate = input.billDate ?? null;
      const limit = input.limit ?? EXCEPTION_PAGE_LIMIT.default;
      if (!Number.isSafeInteger(limit) || limit < EXCEPTION_PAGE_LIMIT.min || limit > EXCEPTION_PAGE_LIMIT.max) {
        throw new RangeError(`limit must be ${EXCEPTION_PAGE_LIMIT.min}..${EXCEPTION_PAGE_LIMIT.max}`);
      }
      const after = input.cursor === undefined ? undefined : decodeListCursor(input.cursor, { status, billDate });
      const page = await store.list({
        status,
        ...(billDate !== null ? { billDate } : {}),
        limit,
        ...(after ? { after } : {}),
        ...(input.scope.all ? {} : { include: (exception: ReconciliationException) => inScope(input.scope, exception) }),
      });
      return {
        exceptions: page.exceptions,
        nextCursor: page.next ? encodeListCursor({ status, billDate, position: page.next }) : null,
      };
    },

    async acknowledge({ scope, id, note }) {
      const notFound = () => new NotFoundError(`no reconciliation exception ${id}`, { id });
      const stored = await store.get(id);
      if (!stored || !inScope(scope, stored)) throw notFound();
      if (stored.status === ExceptionStatus.RESOLVED) {
        throw new ExceptionResolvedError(`reconciliation exception ${id} was resolved by a later reconciliation: nothing to acknowledge`, { id });
      }
      const result = await store.acknowledge(id, note);
      if (result.kind === 'absent') throw notFound();
      if (result.kind === 'resolved') {
        throw new ExceptionResolvedError(`reconciliation exception ${id} was resolved by a later reconciliation: nothing to acknowledge`, { id });
      }
      return result.exception;
    },

    startFeed: (billDate, pendingNow, run) => startExceptionFeed({ ...run, store, billDate, now, ...(pendingNow ? { pendingNow } : {}) }),
    countOpen: () => store.countOpen(),
  };
}
