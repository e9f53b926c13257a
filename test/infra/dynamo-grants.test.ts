// Every DynamoDB command a function's handler really sends must be allowed by that function's role in the
// synthesized template: dynalite enforces no IAM, so a missing grant passes every local test and is a 500
// (AccessDeniedException) deployed. The calls are recorded on the wire (a client middleware) while each handler
// runs its routes and schedules against dynalite and the sandbox; the grants are read from the synth.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as downBill } from '../../functions/down-bill.js';
import { handler as payQuery } from '../../functions/pay-query.js';
import { handler as pay } from '../../functions/pay.js';
import { handler as refund } from '../../functions/refund.js';
import { HANDLERS, type HandlerName } from '../../infra/constructs/handlers.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { apiEvent, lambdaContext } from '../adapter/events.js';
import { startHarness, type Harness } from '../functions/harness.js';
import { synthGateway, type SynthResult } from './synth.js';

interface Call {
  readonly action: string;
  readonly table: string;
  readonly index?: string;
}
interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}
type Resources = Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: Statement[] } } }>;

let harness: Harness;
let synth: SynthResult;
const calls: Call[] = [];

beforeAll(async () => {
  synth = synthGateway({ bundle: false });
  harness = await startHarness();
  harness.dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; IndexName?: string; RequestItems?: Record<string, unknown> };
      const action = `dynamodb:${(context.commandName ?? '?').replace(/Command$/, '')}`;
      const tables = input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {});
      for (const table of tables) calls.push({ action, table, ...(input.IndexName ? { index: input.IndexName } : {}) });
      return next(args);
    },
    { step: 'initialize', name: 'recordDynamoCalls' },
  );
}, 60_000);
afterAll(async () => {
  await harness?.close();
  if (synth) rmSync(synth.assemblyDir, { recursive: true, force: true });
});

/** "dynamodb:GetItem on LedgerTable" (or "…/index/by_day") for every action the function's role allows. */
function granted(name: HandlerName): Set<string> {
  const spec = HANDLERS.find((handler) => handler.name === name)!;
  const policies = Object.entries(synth.json.Resources as Resources).filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes(`${spec.id}Role`));
  expect(policies, `the policy of ${spec.id}`).toHaveLength(1);
  const out = new Set<string>();
  for (const statement of policies[0]![1].Properties.PolicyDocument!.Statement) {
    for (const action of [statement.Action].flat()) {
      for (const resource of [statement.Resource].flat()) out.add(`${action} on ${tableOf(resource)}`);
    }
  }
  return out;
}

function tableOf(resource: unknown): string {
  const text = JSON.stringify(resource);
  const table = /"(TokenTable|LedgerTable|ReconciliationExceptionsTable)[0-9A-F]{8}"/.exec(text)?.[1] ?? text;
  const index = /\/index\/([a-z_]+)/.exec(text)?.[1];
  return index ? `${table}/index/${index}` : table;
}

function needed(recorded: readonly Call[]): string[] {
  const { tokenTable, ledgerTable, exceptionsTable } = harness.dynamo.tables;
  const logical = (table: string): string =>
    table === tokenTable ? 'TokenTable' : table === ledgerTable ? 'LedgerTable' : table === exceptionsTable ? 'ReconciliationExceptionsTable' : table;
  return [...new Set(recorded.map((call) => `${call.action} on ${logical(call.table)}${call.index ? `/index/${call.index}` : ''}`))];
}

async function during(action: () => Promise<unknown>): Promise<Call[]> {
  const start = calls.length;
  await action();
  return calls.slice(start);
}

/** The commands sent that the role does not allow; the recording must have seen some (else it proves nothing). */
function notGranted(name: HandlerName, recorded: readonly Call[]): string[] {
  expect(recorded.length, `${name} sent DynamoDB commands`).toBeGreaterThan(0);
  const allowed = granted(name);
  return needed(recorded).filter((need) => !allowed.has(need));
}

describe('each function role allows every DynamoDB command its handler sends', () => {
  it('pay: POST /v1/payments', async () => {
    const recorded = await during(async () => {
      const result = await pay(apiEvent({ resource: '/v1/payments', body: { order_no: 'grant-pay-1', account: '32718', tranamt: '10.00', mercacc: '1001' } }), lambdaContext());
      expect(result.statusCode).toBe(200);
    });
    expect(notGranted('pay', recorded)).toEqual([]);
  });

  it('refund: POST /v1/refunds of a paid order (one BatchGetItem reads the refund and its original)', async () => {
    const recorded = await during(async () => {
      const body = { order_no: 'grant-ref-1', refund_order_no: 'grant-pay-1', account: '32718', tranamt: '1.00', mercacc: '1001' };
      const result = await refund(apiEvent({ resource: '/v1/refunds', body }), lambdaContext());
      expect(result.statusCode).toBe(200);
    });
    expect(recorded.map((call) => call.action)).toContain('dynamodb:BatchGetItem');
    expect(notGranted('refund', recorded), 'deployed, each of these is AccessDeniedException: a 500').toEqual([]);
  });

  it('pay-query: GET /v1/payments/{order_no} and the settle-pending schedule', async () => {
    const recorded = await during(async () => {
      const path = { method: 'GET', resource: '/v1/payments/{order_no}', path: '/v1/payments/grant-pay-1', pathParameters: { order_no: 'grant-pay-1' } } as const;
      expect((await payQuery(apiEvent(path), lambdaContext())).statusCode).toBe(200);
      await payQuery({ kind: 'settle-pending' }, lambdaContext());
    });
    expect(notGranted('pay-query', recorded)).toEqual([]);
  });

  it('pay: a PENDING payment replayed; pay-query: POST /v1/payments/query', async () => {
    harness.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    const body = { order_no: 'grant-pay-2', account: '32718', tranamt: '2.00', mercacc: '1001' };
    const payCalls = await during(async () => {
      expect((await pay(apiEvent({ resource: '/v1/payments', body }), lambdaContext())).statusCode).toBe(202);
      await pay(apiEvent({ resource: '/v1/payments', body }), lambdaContext());
    });
    expect(notGranted('pay', payCalls)).toEqual([]);
    const queryCalls = await during(async () => {
      const queries = [{ account: '32718', order_no: 'grant-pay-2' }, { account: '32718', order_no: 'grant-pay-1' }];
      expect((await payQuery(apiEvent({ resource: '/v1/payments/query', body: { queries } }), lambdaContext())).statusCode).toBe(200);
    });
    expect(notGranted('pay-query', queryCalls)).toEqual([]);
  });

  it('down-bill: the daily run (today and a final yesterday), GET /v1/bills/{bill_date}, the exceptions routes', async () => {
    const today = chinaDate();
    const recorded = await during(async () => {
      await downBill({ kind: 'daily-bill', bill_date: today }, lambdaContext());
      await downBill({ kind: 'daily-bill' }, lambdaContext()); // yesterday's: final, so the exceptions feed runs
      const bill = { method: 'GET', resource: '/v1/bills/{bill_date}', path: `/v1/bills/${today}`, pathParameters: { bill_date: today } } as const;
      expect((await downBill(apiEvent(bill), lambdaContext())).statusCode).toBe(200);
      expect((await downBill(apiEvent({ method: 'GET', resource: '/v1/reconciliation/exceptions' }), lambdaContext())).statusCode).toBe(200);
      const acknowledge = {
        resource: '/v1/reconciliation/exceptions/{id}/acknowledge',
        path: '/v1/reconciliation/exceptions/exc-none/acknowledge',
        pathParameters: { id: 'exc-none' },
        body: { note: 'checked' },
      };
      expect((await downBill(apiEvent(acknowledge), lambdaContext())).statusCode).toBe(404);
    });
    expect(notGranted('down-bill', recorded)).toEqual([]);
  });
});
