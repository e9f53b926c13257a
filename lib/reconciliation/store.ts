// The reconciliation exceptions in DynamoDB: one item per difference under its deterministic id, written only by
// conditional writes (lib/dynamo writeIf), listed newest first_seen first from the status indexes (lib/tables.ts).
import { GetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { writeIf } from '../dynamo/conditional.js';
import { toChinaIso } from '../protocol/timestamp.js';
import { EXCEPTIONS_TABLE_KEY } from '../tables.js';
import { exceptionId, ExceptionStatus, type Difference, type ReconciliationException } from './exceptions.js';
import { dayStatusKey, exceptionFromItem, exceptionItem, listedKey, type Item } from './items.js';
import { putOpened, readStates, unresolvedItems, type ExceptionState } from './store-batches.js';

export type { ExceptionState };

/**
 * What recording a difference did: opened a new exception, saw an existing one again, opened a resolved one again,
 * or nothing (`repeated`: its last_seen is already this instant, the same run found it before).
 */
export type RecordOutcome = 'opened' | 'seen' | 'reopened' | 'repeated';

export type AcknowledgeResult =
  | { readonly kind: 'acknowledged'; readonly exception: ReconciliationException }
  | { readonly kind: 'resolved'; readonly exception: ReconciliationException }
  | { readonly kind: 'absent' };

/** A list position: the last exception a page examined (its index sort key is listedKey(firstSeen, id)). */
export interface ListPosition {
  readonly firstSeen: string;
  readonly id: string;
}

export interface ListQuery {
  readonly status: ExceptionStatus;
  readonly billDate?: string;
  readonly limit: number;
  /** Start after this position (a previous page's `next`). */
  readonly after?: ListPosition;
  /** Keeps only what it accepts (the caller's merchant accounts); the page then may hold fewer than `limit`. */
  readonly include?: (exception: ReconciliationException) => boolean;
  /** The most items one page examines, kept or not, so a filtered page stays bounded (default 2000). */
  readonly maxExamined?: number;
}

export interface ListPage {
  readonly exceptions: ReconciliationException[];
  /** Where the next page starts; undefined when nothing is left. */
  readonly next?: ListPosition;
}

export interface ExceptionStore {
  get(id: string): Promise<ReconciliationException | undefined>;
  /** The day's exceptions that are not resolved (open, then acknowledged), a page at a time, none held. */
  eachUnresolved(billDate: string): AsyncIterable<ReconciliationException>;
  /** The stored state of these ids (strongly consistent BatchGetItem, 100 per call); absent ids are not in the map. */
  states(ids: readonly string[]): Promise<Map<string, ExceptionState>>;
  /**
   * Opens these differences (first_seen = last_seen = at) with BatchWriteItem, 25 per call: unconditional, so only
   * for ids just read as absent (states). A concurrent run of the same day may put the same item: the later wins.
   */
  openAll(differences: readonly Difference[], at: Date): Promise<void>;
  /**
   * Opens `difference` (first_seen = last_seen = at), or, when its id exists, sets last_seen and what was found
   * (ledger, bill, mercacc) in that one write; a resolved one is opened again (status open, resolved_at removed;
   * first_seen and note kept), an open or acknowledged one keeps its status and note. `known`: the stored state, when
   * the caller has it (one write instead of two). Nothing is written when its last_seen already is `at`.
   */
  record(difference: Difference, at: Date, known?: Pick<ExceptionState, 'status'>): Promise<RecordOutcome>;
  /** Marks an open or acknowledged exception resolved; false when it was not (absent or already resolved). */
  resolve(id: string, at: Date): Promise<boolean>;
  /** Sets status acknowledged and the note, unless the exception is resolved or absent. */
  acknowledge(id: string, note: string): Promise<AcknowledgeResult>;
  list(query: ListQuery): Promise<ListPage>;
  /** How many exceptions are open (the OpenReconciliationExceptions gauge). */
  countOpen(): Promise<number>;
}

export interface ExceptionStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const { partitionKey, byStatusIndex, byDayStatusIndex } = EXCEPTIONS_TABLE_KEY;
/** Query page size when a page is filtered (a filtered page reads ahead of what it keeps). */
const FILTERED_PAGE_SIZE = 200;
const DEFAULT_MAX_EXAMINED = 2000;
/** Rounds of a record() that races another writer of the same id (each round is one more conditional write). */
const RECORD_ROUNDS = 3;

const STATUS_NAMES = { '#status': byStatusIndex.partitionKey, '#day_status': byDayStatusIndex.partitionKey };

export function createExceptionStore(options: ExceptionStoreOptions): ExceptionStore {
  const { client, tableName } = options;
  const key = (id: string): Item => ({ [partitionKey]: { S: id } });
  const table = { client, tableName };

  /**
   * What a run that finds a stored difference again writes: last_seen and what it found (ledger, bill, mercacc: the
   * dedupe identity leaves them free to change), a side absent now removed; `set`/`remove` are the extra clauses.
   */
  const found = (difference: Difference, at: string, set: readonly string[], remove: readonly string[]): { expression: string; values: Item } => {
    const values: Item = { ':at': { S: at } };
    const sets = ['last_seen = :at', ...set];
    // A run that could not tell the merchants (an empty list: the report not read back) keeps the stored ones, so
    // a caller scoped to them still sees it.
    if (difference.mercacc.length > 0) {
      sets.push('mercacc = :mercacc');
      values[':mercacc'] = { L: difference.mercacc.map((value) => ({ S: value })) };
    }
    const removes = [...remove];
    for (const side of ['ledger', 'bill'] as const) {
      const value = difference[side];
      if (value === undefined) removes.push(side);
      else {
        sets.push(`${side} = :${side}`);
        values[`:${side}`] = { S: value };
      }
    }
    return { expression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`, values };
  };

  /** Refreshes an existing, not resolved exception (found); status, note and first_seen stay. Not ok when absent or resolved. */
  const touch = async (difference: Difference, id: string, at: string): Promise<{ ok: boolean; stored: Item | undefined }> => {
    const { expression, values } = found(difference, at, [], []);
    const result = await writeIf(client, {
      update: {
        TableName: tableName,
        Key: key(id),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(#id) AND #status <> :resolved',
        ExpressionAttributeNames: { '#id': partitionKey, '#status': STATUS_NAMES['#status'] },
        ExpressionAttributeValues: { ...values, ':resolved': { S: ExceptionStatus.RESOLVED } },
      },
    });
    return result.written ? { ok: true, stored: undefined } : { ok: false, stored: result.stored };
  };

  /** Opens a resolved exception again, refreshed as touch does; first_seen and note stay. Not ok when not resolved. */
  const reopen = async (difference: Difference, id: string, at: string): Promise<{ ok: boolean; stored: Item | undefined }> => {
    const { expression, values } = found(difference, at, ['#status = :open', '#day_status = :day_status'], ['resolved_at']);
    const result = await writeIf(client, {
      update: {
        TableName: tableName,
        Key: key(id),
        UpdateExpression: expression,
        ConditionExpression: '#status = :resolved',
        ExpressionAttributeNames: STATUS_NAMES,
        ExpressionAttributeValues: {
          ...values,
          ':open': { S: ExceptionStatus.OPEN },
          ':resolved': { S: ExceptionStatus.RESOLVED },
          ':day_status': { S: dayStatusKey(difference.billDate, ExceptionStatus.OPEN) },
        },
      },
    });
    return result.written ? { ok: true, stored: undefined } : { ok: false, stored: result.stored };
  };

  const create = async (difference: Difference, id: string, at: string): Promise<{ ok: boolean; stored: Item | undefined }> => {
    const exception: ReconciliationException = { ...difference, id, firstSeen: at, lastSeen: at, status: ExceptionStatus.OPEN };
    const result = await writeIf(client, {
      put: {
        TableName: tableName,
        Item: exceptionItem(exception),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': partitionKey },
      },
      key: key(id),
    });
    return result.written ? { ok: true, stored: undefined } : { ok: false, stored: result.stored };
  };

  return {
    async get(id) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }));
      return Item ? exceptionFromItem(Item) : undefined;
    },

    async *eachUnresolved(billDate) {
      for await (const item of unresolvedItems(table, billDate)) yield exceptionFromItem(item);
    },

    states: (ids) => readStates(table, ids),

    openAll: (differences, at) => putOpened(table, differences, at),

    async record(difference, at, known) {
      const id = exceptionId(difference);
      const when = toChinaIso(at);
      // One write chosen by what is stored (absent → create, RESOLVED → reopen, else touch); the first from
      // what the caller knows, then from the item a refused write hands back: another writer may change it
      // between two writes, so a few rounds.
      const write = async (state: 'absent' | 'resolved' | 'open'): Promise<{ outcome?: RecordOutcome; stored?: Item }> => {
        if (state === 'absent') {
          const created = await create(difference, id, when);
          return created.ok ? { outcome: 'opened' } : { stored: created.stored };
        }
        if (state === 'resolved') {
          const reopened = await reopen(difference, id, when);
          return reopened.ok ? { outcome: 'reopened' } : { stored: reopened.stored };
        }
        const touched = await touch(difference, id, when);
        return touched.ok ? { outcome: 'seen' } : { stored: touched.stored };
      };
      let attempt = await write(known === undefined ? 'absent' : known.status === ExceptionStatus.RESOLVED ? 'resolved' : 'open');
      for (let round = 0; ; round++) {
        if (attempt.outcome) return attempt.outcome;
        if (round === RECORD_ROUNDS) break;
        const stored = attempt.stored;
        if (stored?.last_seen?.S === when) return 'repeated';
        attempt = await write(stored === undefined ? 'absent' : stored[byStatusIndex.partitionKey]?.S === ExceptionStatus.RESOLVED ? 'resolved' : 'open');
      }
      throw new Error(`exception ${id} kept changing`);
    },

    async resolve(id, at) {
      const stored = await writeIf(
        client,
        {
          update: {
            TableName: tableName,
            Key: key(id),
            UpdateExpression: 'SET #status = :resolved, #day_status = :day_status, resolved_at = :at',
            ConditionExpression: '#status IN (:open, :acknowledged)',
            ExpressionAttributeNames: STATUS_NAMES,
            ExpressionAttributeValues: {
              ':resolved': { S: ExceptionStatus.RESOLVED },
              ':open': { S: ExceptionStatus.OPEN },
              ':acknowledged': { S: ExceptionStatus.ACKNOWLEDGED },
              ':at': { S: toChinaIso(at) },
              ':day_status': { S: dayStatusKey(billDateOf(id), ExceptionStatus.RESOLVED) },
            },
          },
        },
        { needStored: false },
      );
      return stored.written;
    },

    async acknowledge(id, note) {
      const result = await writeIf(client, {
        update: {
          TableName: tableName,
          Key: key(id),
          UpdateExpression: 'SET #status = :acknowledged, #day_status = :day_status, note = :note',
          ConditionExpression: '#status IN (:open, :acknowledged)',
          ExpressionAttributeNames: STATUS_NAMES,
          ExpressionAttributeValues: {
            ':acknowledged': { S: ExceptionStatus.ACKNOWLEDGED },
            ':open': { S: ExceptionStatus.OPEN },
            ':note': { S: note },
            ':day_status': { S: dayStatusKey(billDateOf(id), ExceptionStatus.ACKNOWLEDGED) },
          },
          ReturnValues: 'ALL_NEW',
        },
      });
      if (result.written) return { kind: 'acknowledged', exception: exceptionFromItem(result.attributes ?? {}) };
      if (result.stored === undefined) return { kind: 'absent' };
      return { kind: 'resolved', exception: exceptionFromItem(result.stored) };
    },

    async list(query) {
      const index = query.billDate === undefined ? byStatusIndex : byDayStatusIndex;
      const partition = query.billDate === undefined ? query.status : dayStatusKey(query.billDate, query.status);
      const maxExamined = query.maxExamined ?? DEFAULT_MAX_EXAMINED;
      const kept: ReconciliationException[] = [];
      let startKey: Record<string, AttributeValue> | undefined = query.after
        ? {
            [partitionKey]: { S: query.after.id },
            [index.partitionKey]: { S: partition },
            [index.sortKey]: { S: listedKey(query.after.firstSeen, query.after.id) },
          }
        : undefined;
      let examined = 0;
      let last: ReconciliationException | undefined;
      for (;;) {
        const wanted = query.limit - kept.length;
        // One more than needed tells whether anything follows (no next cursor to an empty page).
        const pageSize = query.include && wanted > 0 ? Math.max(FILTERED_PAGE_SIZE, wanted + 1) : wanted + 1;
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index.name,
            KeyConditionExpression: '#partition = :partition',
            ExpressionAttributeNames: { '#partition': index.partitionKey },
            ExpressionAttributeValues: { ':partition': { S: partition } },
            ScanIndexForward: false,
            Limit: Math.min(pageSize, maxExamined - examined + 1),
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        const items = page.Items ?? [];
        for (let at = 0; at < items.length; at++) {
          const exception = exceptionFromItem(items[at] as Item);
          const more = at < items.length - 1 || page.LastEvaluatedKey !== undefined;
          if (kept.length === query.limit || examined === maxExamined) {
            // This item is the look-ahead: the page ends at the one before it.
            return { exceptions: kept, ...(last ? { next: positionOf(last) } : {}) };
          }
          examined += 1;
          last = exception;
          if (!query.include || query.include(exception)) kept.push(exception);
          if (!more) return { exceptions: kept };
        }
        if (page.LastEvaluatedKey === undefined) return { exceptions: kept };
        startKey = page.LastEvaluatedKey;
      }
    },

    async countOpen() {
      let count = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: byStatusIndex.name,
            KeyConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': STATUS_NAMES['#status'] },
            ExpressionAttributeValues: { ':open': { S: ExceptionStatus.OPEN } },
            Select: 'COUNT',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return count;
    },
  };
}

function positionOf(exception: ReconciliationException): ListPosition {
  return { firstSeen: exception.firstSeen, id: exception.id };
}

/** The bill_date an exception id starts with (exceptionId). */
function billDateOf(id: string): string {
  return id.slice(0, 8);
}
