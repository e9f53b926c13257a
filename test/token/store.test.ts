// Proves the token table's conditional transitions against dynalite: the lease, publish by the
// holder only, release, and invalidation of exactly the failed token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoTokenStore, type TokenStore } from '../../lib/token/store.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

let dynamo: TestDynamo;
let store: TokenStore;
let appKeyCounter = 0;
const nextAppKey = (): string => `app-${++appKeyCounter}`;

const T0 = 1_800_000_000_000;
const LEASE = 10_000;
const SPACING = 120_000;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = createDynamoTokenStore({ client: dynamo.client, tableName: dynamo.tables.tokenTable });
});
afterAll(async () => dynamo.close());

const lease = (owner: string, now: number, expectedVersion = 0) => ({
  owner,
  now,
  leaseMs: LEASE,
  minIssueIntervalMs: SPACING,
  expectedVersion,
});

describe('token store', () => {
  it('reads nothing for an unknown app_key', async () => {
    expect(await store.read(nextAppKey())).toBeUndefined();
  });

  it('lets exactly one of many concurrent contenders take the lease, and records fetched_at', async () => {
    const appKey = nextAppKey();
    const stores = Array.from({ length: 20 }, () =>
      createDynamoTokenStore({ client: dynamo.newClient(), tableName: dynamo.tables.tokenTable }),
    );
    const results = await Promise.all(stores.map((s, i) => s.acquireLease(appKey, lease(`owner-${i}`, T0))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `owner-${results.indexOf(true)}`;
    expect(await store.read(appKey)).toEqual({ version: 0, fetchedAt: T0, leaseOwner: winner, leaseUntil: T0 + LEASE });
  });

  it('publishes only for the lease holder on the unchanged version, then clears the lease', async () => {
    const appKey = nextAppKey();
    expect(await store.acquireLease(appKey, lease('holder', T0))).toBe(true);
    const publish = { version: 0, token: 'TOKEN-A', expiresAt: T0 + 7_200_000, issuedAt: T0 };
    expect(await store.publish(appKey, { ...publish, owner: 'intruder' })).toBe(false);
    expect(await store.publish(appKey, { ...publish, owner: 'holder', version: 5 })).toBe(false);
    expect(await store.publish(appKey, { ...publish, owner: 'holder' })).toBe(true);
    expect(await store.read(appKey)).toEqual({
      token: 'TOKEN-A',
      expiresAt: T0 + 7_200_000,
      issuedAt: T0,
      fetchedAt: T0,
      version: 1,
    });
    // The lease is gone: a second publish by the same owner is refused.
    expect(await store.publish(appKey, { ...publish, owner: 'holder', token: 'TOKEN-B' })).toBe(false);
  });

  it('stores the item with the documented low-level attribute types', async () => {
    const appKey = nextAppKey();
    await store.acquireLease(appKey, lease('holder', T0));
    await store.publish(appKey, { owner: 'holder', version: 0, token: 'T', expiresAt: T0 + 1000, issuedAt: T0 });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tables.tokenTable, Key: { app_key: { S: appKey } } }),
    );
    expect(Item).toEqual({
      app_key: { S: appKey },
      token: { S: 'T' },
      expires_at: { N: String(T0 + 1000) },
      issued_at: { N: String(T0) },
      fetched_at: { N: String(T0) },
      version: { N: '1' },
    });
  });

  it('refuses a lease while another is live, and after it lapses only once the spacing allows', async () => {
    const appKey = nextAppKey();
    expect(await store.acquireLease(appKey, lease('crashed', T0))).toBe(true);
    expect(await store.acquireLease(appKey, lease('other', T0 + LEASE - 1))).toBe(false);
    // Lease lapsed, but the crashed holder's call counts for the 2-minute rule.
    expect(await store.acquireLease(appKey, lease('other', T0 + LEASE))).toBe(false);
    expect(await store.acquireLease(appKey, lease('other', T0 + SPACING - 1))).toBe(false);
    expect(await store.acquireLease(appKey, lease('other', T0 + SPACING))).toBe(true);
    const record = await store.read(appKey);
    expect(record).toMatchObject({ leaseOwner: 'other', fetchedAt: T0 + SPACING, leaseUntil: T0 + SPACING + LEASE });
    // The crashed holder, waking up late, can no longer publish.
    expect(
      await store.publish(appKey, { owner: 'crashed', version: 0, token: 'LATE', expiresAt: T0 + 7_200_000, issuedAt: T0 }),
    ).toBe(false);
  });

  it('refuses a lease when the version moved since the caller read it', async () => {
    const appKey = nextAppKey();
    await store.acquireLease(appKey, lease('a', T0));
    await store.publish(appKey, { owner: 'a', version: 0, token: 'T1', expiresAt: T0 + 7_200_000, issuedAt: T0 });
    const later = T0 + SPACING;
    expect(await store.acquireLease(appKey, lease('b', later, 0))).toBe(false);
    expect(await store.acquireLease(appKey, lease('b', later, 1))).toBe(true);
  });

  it('releases the lease for its owner only, keeping fetched_at', async () => {
    const appKey = nextAppKey();
    await store.acquireLease(appKey, lease('holder', T0));
    expect(await store.releaseLease(appKey, 'someone-else')).toBe(false);
    expect(await store.releaseLease(appKey, 'holder')).toBe(true);
    expect(await store.read(appKey)).toEqual({ version: 0, fetchedAt: T0 });
    // Free lease, but still within the spacing of the failed call.
    expect(await store.acquireLease(appKey, lease('next', T0 + 1))).toBe(false);
    expect(await store.acquireLease(appKey, lease('next', T0 + SPACING))).toBe(true);
  });

  it('invalidates only the token that failed; a different token is left alone', async () => {
    const appKey = nextAppKey();
    await store.acquireLease(appKey, lease('a', T0));
    await store.publish(appKey, { owner: 'a', version: 0, token: 'CURRENT', expiresAt: T0 + 7_200_000, issuedAt: T0 });
    expect(await store.invalidate(appKey, 'OLDER')).toBe(false);
    expect((await store.read(appKey))?.token).toBe('CURRENT');
    expect(await store.invalidate(appKey, 'CURRENT')).toBe(true);
    expect(await store.read(appKey)).toEqual({ version: 1, fetchedAt: T0 });
    expect(await store.invalidate(appKey, 'CURRENT')).toBe(false);
    expect(await store.invalidate(nextAppKey(), 'ANY')).toBe(false);
  });

  it('lets an in-flight renewal publish even if the old token is invalidated meanwhile', async () => {
    const appKey = nextAppKey();
    await store.acquireLease(appKey, lease('a', T0));
    await store.publish(appKey, { owner: 'a', version: 0, token: 'OLD', expiresAt: T0 + 7_200_000, issuedAt: T0 });
    const renewAt = T0 + SPACING;
    expect(await store.acquireLease(appKey, lease('b', renewAt, 1))).toBe(true);
    expect(await store.invalidate(appKey, 'OLD')).toBe(true);
    expect(
      await store.publish(appKey, { owner: 'b', version: 1, token: 'NEW', expiresAt: renewAt + 7_200_000, issuedAt: renewAt }),
    ).toBe(true);
    expect(await store.read(appKey)).toMatchObject({ token: 'NEW', version: 2, fetchedAt: renewAt });
  });
});
