// The fleet-wide access token in DynamoDB: one item per app_key, changed only by single-item
// conditional writes (take the renewal lease, publish, release, invalidate). No transactions.
import { GetItemCommand, type AttributeValue, type DynamoDBClient, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { writeIf } from '../dynamo/conditional.js';
import { TOKEN_TABLE_KEY } from '../tables.js';

/**
 * The item, as the manager sees it. Absent attributes are undefined. Times are epoch ms.
 * - token / expiresAt / issuedAt: the current token, when it runs out, when the call that got it began.
 * - fetchedAt: when the last token CALL was started (successful or not): the 2-minute rule's clock.
 * - version: bumped by every publish; a publish must name the version its lease was taken on.
 * - leaseOwner / leaseUntil: the instance renewing right now, and until when that claim holds.
 */
export interface TokenRecord {
  readonly token?: string;
  readonly expiresAt?: number;
  readonly issuedAt?: number;
  readonly fetchedAt?: number;
  readonly version: number;
  readonly leaseOwner?: string;
  readonly leaseUntil?: number;
}

export interface AcquireLeaseInput {
  /** Unique per renewal attempt (not just per instance). */
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly minIssueIntervalMs: number;
  /**
   * The latest moment this lease lets its holder send the token call (now + leaseMs - the call's duration);
   * it becomes fetched_at until a publish or release records the actual send, so a holder that dies after
   * sending still blocks every takeover for the spacing after its send. Absent: `now`.
   */
  readonly latestSendAt?: number;
  /** The version the caller read and judged in need of renewal; a publish since then wins. */
  readonly expectedVersion: number;
}

export interface PublishInput {
  readonly owner: string;
  /** The version the lease was taken on (the item's version is then bumped to version + 1). */
  readonly version: number;
  readonly token: string;
  readonly expiresAt: number;
  readonly issuedAt: number;
  /** When the token call went out; it becomes fetched_at (absent: fetched_at stays the lease's). */
  readonly sentAt?: number;
}

export interface TokenStore {
  /** Strongly consistent read; undefined when the app_key has no item yet. */
  read(appKey: string): Promise<TokenRecord | undefined>;
  /**
   * Takes the renewal lease and records fetchedAt = latestSendAt (the call is about to be made), only if:
   * no live lease (absent or leaseUntil <= now) AND the spacing allows a call (fetchedAt absent or
   * <= now - minIssueIntervalMs) AND nobody published since the caller's read (version unchanged).
   */
  acquireLease(appKey: string, input: AcquireLeaseInput): Promise<boolean>;
  /** Stores a new token: only by the lease owner on an unchanged version. Clears the lease. */
  publish(appKey: string, input: PublishInput): Promise<boolean>;
  /**
   * Gives the lease up after a failed call. Owner only. fetchedAt stays (the call was made), moved to
   * `sentAt` when given: the call went out then, later than the lease was taken.
   */
  releaseLease(appKey: string, owner: string, sentAt?: number): Promise<boolean>;
  /** Removes the token only if it is the one that failed (a newer one is left alone). */
  invalidate(appKey: string, failedToken: string): Promise<boolean>;
}

export interface DynamoTokenStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export function createDynamoTokenStore(options: DynamoTokenStoreOptions): TokenStore {
  const { client, tableName } = options;
  const key = (appKey: string): Record<string, AttributeValue> => ({ [TOKEN_TABLE_KEY.partitionKey]: { S: appKey } });

  /** Runs a conditional update; false when the condition did not hold (the stored item is not needed). */
  const conditionalUpdate = async (update: UpdateItemCommandInput & { ConditionExpression: string }): Promise<boolean> =>
    (await writeIf(client, { update }, { needStored: false })).written;

  return {
    async read(appKey) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key(appKey), ConsistentRead: true }));
      return Item ? toRecord(Item) : undefined;
    },

    acquireLease(appKey, input) {
      // An absent version counts as 0 (the item does not exist yet, or was never published).
      const versionCondition =
        input.expectedVersion === 0 ? '(attribute_not_exists(#version) OR #version = :expected)' : '#version = :expected';
      return conditionalUpdate({
        TableName: tableName,
        Key: key(appKey),
        UpdateExpression:
          'SET #lease_owner = :owner, #lease_until = :lease_until, #fetched_at = :latest_send, #version = if_not_exists(#version, :zero)',
        ConditionExpression:
          '(attribute_not_exists(#lease_until) OR #lease_until <= :now) AND ' +
          '(attribute_not_exists(#fetched_at) OR #fetched_at <= :spacing_start) AND ' +
          versionCondition,
        ExpressionAttributeNames: {
          '#lease_owner': 'lease_owner',
          '#lease_until': 'lease_until',
          '#fetched_at': 'fetched_at',
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ':owner': { S: input.owner },
          ':lease_until': num(input.now + input.leaseMs),
          ':now': num(input.now),
          ':latest_send': num(input.latestSendAt ?? input.now),
          ':spacing_start': num(input.now - input.minIssueIntervalMs),
          ':expected': num(input.expectedVersion),
          ':zero': num(0),
        },
      });
    },

    publish(appKey, input) {
      const sent = input.sentAt !== undefined;
      return conditionalUpdate({
        TableName: tableName,
        Key: key(appKey),
        UpdateExpression:
          `SET #token = :token, #expires_at = :expires_at, #issued_at = :issued_at, #version = :next${sent ? ', #fetched_at = :sent_at' : ''} ` +
          'REMOVE #lease_owner, #lease_until',
        ConditionExpression: '#lease_owner = :owner AND #version = :version',
        ExpressionAttributeNames: {
          '#token': 'token',
          '#expires_at': 'expires_at',
          '#issued_at': 'issued_at',
          '#version': 'version',
          '#lease_owner': 'lease_owner',
          '#lease_until': 'lease_until',
          ...(sent ? { '#fetched_at': 'fetched_at' } : {}),
        },
        ExpressionAttributeValues: {
          ':token': { S: input.token },
          ':expires_at': num(input.expiresAt),
          ':issued_at': num(input.issuedAt),
          ':version': num(input.version),
          ':next': num(input.version + 1),
          ':owner': { S: input.owner },
          ...(input.sentAt !== undefined ? { ':sent_at': num(input.sentAt) } : {}),
        },
      });
    },

    releaseLease(appKey, owner, sentAt) {
      const sent = sentAt !== undefined;
      return conditionalUpdate({
        TableName: tableName,
        Key: key(appKey),
        UpdateExpression: `${sent ? 'SET #fetched_at = :sent_at ' : ''}REMOVE #lease_owner, #lease_until`,
        ConditionExpression: '#lease_owner = :owner',
        ExpressionAttributeNames: { '#lease_owner': 'lease_owner', '#lease_until': 'lease_until', ...(sent ? { '#fetched_at': 'fetched_at' } : {}) },
        ExpressionAttributeValues: { ':owner': { S: owner }, ...(sent ? { ':sent_at': num(sentAt) } : {}) },
      });
    },

    invalidate(appKey, failedToken) {
      return conditionalUpdate({
        TableName: tableName,
        Key: key(appKey),
        UpdateExpression: 'REMOVE #token, #expires_at, #issued_at',
        ConditionExpression: '#token = :failed',
        ExpressionAttributeNames: { '#token': 'token', '#expires_at': 'expires_at', '#issued_at': 'issued_at' },
        ExpressionAttributeValues: { ':failed': { S: failedToken } },
      });
    },
  };
}

function num(value: number): AttributeValue {
  return { N: String(Math.trunc(value)) };
}

function toRecord(item: Record<string, AttributeValue>): TokenRecord {
  const text = (name: string): string | undefined => item[name]?.S;
  const number = (name: string): number | undefined => {
    const value = item[name]?.N;
    return value === undefined ? undefined : Number(value);
  };
  const record: {
    -readonly [K in keyof TokenRecord]: TokenRecord[K];
  } = { version: number('version') ?? 0 };
  const token = text('token');
  if (token !== undefined) record.token = token;
  const expiresAt = number('expires_at');
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  const issuedAt = number('issued_at');
  if (issuedAt !== undefined) record.issuedAt = issuedAt;
  const fetchedAt = number('fetched_at');
  if (fetchedAt !== undefined) record.fetchedAt = fetchedAt;
  const leaseOwner = text('lease_owner');
  if (leaseOwner !== undefined) record.leaseOwner = leaseOwner;
  const leaseUntil = number('lease_until');
  if (leaseUntil !== undefined) record.leaseUntil = leaseUntil;
  return record;
}
