// A ledger written before callers and history stays valid: its items read (caller absent, history
// one entry: the status they have), answer as API JSON, belong to their merchant's callers, and
// take a history entry when settled (test/fixtures/ledger-items-before-callers.json).
import { readFileSync } from 'node:fs';
import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { owns } from '../../lib/callers/access.js';
import { createCallers } from '../../lib/callers/registry.js';
import { parseCallersList } from '../../lib/callers/schema.js';
import { recordFromItem, UNRECORDED_REASON } from '../../lib/ledger/items.js';
import { createLedgerStore } from '../../lib/ledger/store.js';
import { orderJson } from '../../lib/presenters/order-response.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/ledger-items-before-callers.json', import.meta.url), 'utf8')) as {
  items: Record<string, AttributeValue>[];
};
const [paid, pending] = FIXTURE.items as [Record<string, AttributeValue>, Record<string, AttributeValue>];

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.close());

describe('ledger items written before callers and history', () => {
  it('read with no caller and a history of one entry: the status they have, as of updated_at', () => {
    const record = recordFromItem(paid);
    expect(record).toMatchObject({ orderNo: 'legacy-1', status: 'SUCCESS', amountFen: 2000, refundedFen: 500, outId: '202605121200000001' });
    expect(record.caller).toBeUndefined();
    expect(record.history).toEqual([{ at: '2026-05-12T12:05:00.000+08:00', status: 'SUCCESS', by: 'gateway', reason: UNRECORDED_REASON }]);
    const json = orderJson(record);
    expect(json).toMatchObject({ order_no: 'legacy-1', tranamt: '20.00', refunded: '5.00', caller: null });
    expect(json.history).toHaveLength(1);
  });

  it('belong to the callers of their merchant account (and to mercacc "*")', () => {
    const callers = createCallers(
      parseCallersList(
        { callers: [{ name: 'canteen', routes: ['payments.read'], mercacc: ['1001'] }, { name: 'library', routes: ['payments.read'], mercacc: ['2001'] }, { name: 'finance', routes: ['payments.read'], mercacc: '*' }] },
        'test',
      ),
      true,
    );
    const record = recordFromItem(paid);
    expect(['canteen', 'library', 'finance'].map((name) => owns(callers.byName(name)!, record))).toEqual([true, false, true]);
    expect(owns(callers.byName('canteen')!, { ...record, caller: 'library' })).toBe(false);
  });

  it('a PENDING one settled now gets its first history entry (if_not_exists) with who settled it', async () => {
    await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tables.ledgerTable, Item: pending }));
    const store = createLedgerStore({ client: dynamo.client, tableName: dynamo.tables.ledgerTable });
    const before = await store.get('legacy-2');
    expect(before?.history).toEqual([{ at: '2026-05-12T12:10:10.000+08:00', status: 'PENDING', by: 'gateway', reason: UNRECORDED_REASON }]);
    const settled = await store.settle('legacy-2', { status: 'SUCCESS', outId: 'o-1' }, new Date('2026-05-12T05:00:00Z'), undefined, { by: 'settler', reason: 'pay.query: paid' });
    expect(settled.settled).toBe(true);
    expect(settled.record.history).toEqual([{ at: '2026-05-12T13:00:00.000+08:00', status: 'SUCCESS', by: 'settler', reason: 'pay.query: paid' }]);
    expect(settled.record.lastError).toEqual({ code: 'UPSTREAM_TIMEOUT', message: 'no answer in 10000 ms' });
  });
});
