// The gateway as a fleet, end to end over real HTTP: three local servers (three "Lambda instances",
// each with its own memory) share one DynamoDB and talk to one sandbox platform. Proves the
// fleet-wide token, exactly-once charging under concurrency, and — in a seeded campaign of random
// platform faults — zero double charges and zero lost orders once PENDING orders are resolved.
// Every log line of the run is kept and scanned for secrets at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { parseYuan, formatYuan } from '../../lib/protocol/money.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import type { SandboxFault } from '../../lib/sandbox/index.js';
import { startDynalite, type TestDynamo } from '../support/dynalite.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

/** The campaign's platform timeout: short, so the latency fault turns into client timeouts quickly. */
const CAMPAIGN_TIMEOUT_MS = 400;
const logs: string[] = [];
const tokensSeen = new Set<string>();
let dynamo: TestDynamo;
let sandbox: TestSandbox;
/** The instances' data directories live under this one, removed at the end. */
let dataRoot: string;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'onecard-fleet-test-'));
  dynamo = await startDynalite();
  // A lenient token spacing on both sides, so token kills recover without waiting 2 minutes.
  sandbox = await startTestSandbox({ minTokenIntervalMs: 0, logger: (line) => logs.push(`[sandbox] ${line}`) });
});

afterAll(async () => {
  await sandbox?.close();
  await dynamo?.close();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

/** Three local servers on the shared table and sandbox, closed after the enclosing describe. */
let fleets = 0;
function useFleet(platformTimeoutMs: number): LocalServer[] {
  const fleet: LocalServer[] = [];
  const fleetNumber = ++fleets;
  beforeAll(async () => {
    fleet.push(
      ...(await Promise.all(
        [1, 2, 3].map((instance) =>
          startLocalServer({
            port: 0,
            sandbox,
            dataDir: join(dataRoot, `fleet-${fleetNumber}`, `gateway-${instance}`),
            dynamoEndpoint: dynamo.endpoint,
            tables: dynamo.tables,
            logSink: (line) => logs.push(`[gateway ${instance}] ${line}`),
            config: { ...loadConfig({}), platformTimeoutMs },
            runtime: { tokenOptions: { minIssueIntervalMs: 0 }, notFoundGraceMs: 0 },
          }),
        ),
      )),
    );
  });
  afterAll(async () => {
    await Promise.all(fleet.map((server) => server.close()));
  });
  return fleet;
}

interface Answer {
  readonly status: number;
  readonly body: any;
}

/** One request to instance `instance` of the fleet (modulo its size). */
async function call(fleet: readonly LocalServer[], instance: number, method: string, path: string, body?: unknown): Promise<Answer> {
  const server = fleet[instance % fleet.length]!;
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const current = sandbox.state.currentToken?.value;
  if (current) tokensSeen.add(current);
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

let orderCounter = 0;
const nextOrderNo = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(orderCounter++).toString(36)}`;

describe('a fleet of three instances sharing one table', () => {
  const fleet = useFleet(10_000);
  it('uses exactly one access token for 60 concurrent cold requests across the fleet', async () => {
    const before = sandbox.state.tokenIssueCount;
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(fleet, i, 'POST', '/v1/cards/query', { idtype: 'sno', id: '2015032719' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(60).fill(200));
    expect(sandbox.state.tokenIssueCount - before).toBe(1);
  });

  it('charges once for 50 concurrent identical payments and gives all 50 the same answer', async () => {
    const account = '32718';
    const balanceBefore = sandbox.state.balanceFen(account);
    const body = { order_no: nextOrderNo('same'), account, tranamt: '12.34', mercacc: '1001', remark: 'canteen' };
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call(fleet, i, 'POST', '/v1/payments', body)));

    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]));
    const first = JSON.stringify(answers[0]!.body);
    for (const answer of answers) expect(JSON.stringify(answer.body)).toBe(first);
    expect(answers[0]!.body).toMatchObject({ status: 'SUCCESS', tranamt: '12.34' });
    expect(balanceBefore - sandbox.state.balanceFen(account)).toBe(1234);
    expect(sandbox.state.payments.filter((order) => order.orderNo === body.order_no)).toHaveLength(1);
  });

  it('never lets 20 concurrent refunds of one payment add up to more than it', async () => {
    const account = '32718';
    const payment = { order_no: nextOrderNo('refunded'), account, tranamt: '10.00', mercacc: '1001' };
    expect((await call(fleet, 0, 'POST', '/v1/payments', payment)).status).toBe(200);
    const balanceAfterPayment = sandbox.state.balanceFen(account);

    // 20 × 0.75 = 15.00 asked against a 10.00 payment.
    const refunds = Array.from({ length: 20 }, () => ({
      order_no: nextOrderNo('refund'),
      refund_order_no: payment.order_no,
      account,
      tranamt: '0.75',
      mercacc: '1001',
    }));
    const answers = await Promise.all(refunds.map((refund, i) => call(fleet, i, 'POST', '/v1/refunds', refund)));

    const succeeded = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(succeeded.length * 75).toBeLessThanOrEqual(1000);
    expect(succeeded).toHaveLength(13); // every refund that fits was made: nothing refused wrongly
    for (const answer of refused) {
      expect(answer.status).toBe(422);
      expect(answer.body.error.code).toBe('REFUND_EXCEEDS_PAYMENT');
    }
    expect(sandbox.state.balanceFen(account) - balanceAfterPayment).toBe(13 * 75);
    const stored = await call(fleet, 0, 'GET', `/v1/payments/${payment.order_no}`);
    expect(stored.body.refunded).toBe(formatYuan(13 * 75));
  });
});

/** The faults a campaign draws from (none, most often). */
const CAMPAIGN_FAULTS: readonly (SandboxFault | undefined)[] = [
  undefined,
  undefined,
  undefined,
  { type: 'busy' },
  { type: 'latency', ms: CAMPAIGN_TIMEOUT_MS * 2 },
  { type: 'badSignature' },
  { type: 'gbkText' },
  { type: 'dropAfterCommit' },
  { type: 'invalidateToken' },
  { type: 'plusAsSpace' },
  { type: 'garbled' },
  { type: 'systemError', errcode: '40018' },
];

interface CampaignOp {
  readonly kind: 'pay' | 'refund' | 'replay';
  readonly account: string;
  readonly fen: number;
  readonly fault: SandboxFault | undefined;
  readonly instance: number;
}

const campaignOp = fc.record({
  kind: fc.constantFrom<'pay' | 'refund' | 'replay'>('pay', 'pay', 'pay', 'refund', 'replay'),
  account: fc.constantFrom('32718', '32719'),
  fen: fc.integer({ min: 1, max: 2_000 }),
  fault: fc.constantFrom(...CAMPAIGN_FAULTS),
  instance: fc.nat({ max: 2 }),
});

describe('fault campaign: random platform faults, then resolution', () => {
  const fleet = useFleet(CAMPAIGN_TIMEOUT_MS);
  it('ends with zero double charges, zero lost orders and a clean reconciliation', async () => {
    const seed = Number(process.env.CAMPAIGN_SEED ?? 20261126);
    const ops = fc.sample(fc.array(campaignOp, { minLength: 90, maxLength: 90 }), { seed, numRuns: 1 })[0]!;
    const accounts = ['32718', '32719'] as const;
    const initialBalance = new Map(accounts.map((account) => [account, sandbox.state.balanceFen(account)]));
    const dayAtStart = chinaDate();
    const known = new Map<string, { body: Record<string, unknown>; kind: 'PAYMENT' | 'REFUND' }>();
    const statuses: number[] = [];
    const paidSoFar: { order_no: string; account: string; fen: number }[] = [];

    // Four operations at a time: faults hit whichever call reaches the platform next.
    for (let start = 0; start < ops.length; start += 4) {
      await Promise.all(
        ops.slice(start, start + 4).map(async (op: CampaignOp) => {
          if (op.fault) sandbox.faults.inject(op.fault);
          let body: Record<string, unknown>;
          let path = '/v1/payments';
          let kind: 'PAYMENT' | 'REFUND' = 'PAYMENT';
          const original = paidSoFar[op.fen % Math.max(1, paidSoFar.length)];
          if (op.kind === 'refund' && original) {
            path = '/v1/refunds';
            kind = 'REFUND';
            body = {
              order_no: nextOrderNo('c-refund'),
              refund_order_no: original.order_no,
              account: original.account,
              tranamt: formatYuan(Math.max(1, Math.floor(original.fen / 3))),
              mercacc: '1001',
            };
          } else if (op.kind === 'replay' && known.size > 0) {
            const previous = [...known.values()][op.fen % known.size]!;
            body = previous.body;
            kind = previous.kind;
            path = kind === 'PAYMENT' ? '/v1/payments' : '/v1/refunds';
          } else {
            body = { order_no: nextOrderNo('c-pay'), account: op.account, tranamt: formatYuan(op.fen), mercacc: '1001' };
          }
          const answer = await call(fleet, op.instance, 'POST', path, body);
          statuses.push(answer.status);
          known.set(String(body.order_no), { body, kind });
          if (kind === 'PAYMENT' && answer.status === 200) {
            paidSoFar.push({ order_no: String(body.order_no), account: String(body.account), fen: parseYuan(String(body.tranamt)) });
          }
          // A client-side answer is never a 500: every failure is a typed, mapped error.
          expect(answer.status, JSON.stringify(answer.body)).not.toBe(500);
          if (answer.status >= 400) expect(answer.body.error.code).toEqual(expect.any(String));
        }),
      );
    }

    // Let delayed platform answers finish, stop injecting, and resolve everything as a client would.
    await new Promise((resolve) => setTimeout(resolve, CAMPAIGN_TIMEOUT_MS * 3));
    sandbox.faults.clear();
    const ledger = new Map<string, any>();
    for (const orderNo of known.keys()) {
      const answer = await call(fleet, 0, 'GET', `/v1/payments/${orderNo}`);
      if (answer.status === 404) continue; // withdrawn: the platform never saw it (checked below)
      ledger.set(orderNo, answer.body);
    }

    // Zero PENDING left, and the ledger agrees with the platform order by order.
    const platformOrders = new Map(
      [...sandbox.state.payments, ...sandbox.state.refunds].map((order) => [order.orderNo, order]),
    );
    for (const [orderNo, record] of ledger) {
      expect(record.status, orderNo).not.toBe('PENDING');
      const atPlatform = platformOrders.get(orderNo);
      const applied = atPlatform !== undefined && atPlatform.retcode === '0';
      expect(record.status === 'SUCCESS', `${orderNo}: ledger ${record.status}, platform ${atPlatform?.status}`).toBe(applied);
      if (applied) {
        expect(record.out_id).toBe(atPlatform.outId);
        expect(parseYuan(record.tranamt)).toBe(atPlatform.amountFen);
      }
    }
    // Zero lost orders: everything the platform applied is in the ledger as SUCCESS.
    for (const [orderNo, order] of platformOrders) {
      if (!known.has(orderNo) || order.retcode !== '0') continue;
      expect(ledger.get(orderNo)?.status, `platform applied ${orderNo}`).toBe('SUCCESS');
    }
    // Zero double charges: each account moved by exactly the ledger's successful payments and refunds.
    for (const account of accounts) {
      let expected = initialBalance.get(account)!;
      for (const record of ledger.values()) {
        if (record.account !== account || record.status !== 'SUCCESS') continue;
        expected += (record.type === 'PAYMENT' ? -1 : 1) * parseYuan(record.tranamt);
      }
      expect(sandbox.state.balanceFen(account), `balance of ${account}`).toBe(expected);
    }
    // The campaign really exercised the unhappy paths.
    expect(statuses.filter((status) => status === 202).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status >= 500).length).toBeGreaterThan(0);

    // The platform's own bill of the day reconciles with the ledger.
    if (chinaDate() === dayAtStart) {
      const bill = await call(fleet, 1, 'GET', `/v1/bills/${dayAtStart}?crypt_type=1`);
      expect(bill.status).toBe(200);
      const ours = (list: string[]): string[] => list.filter((orderNo) => known.has(orderNo));
      expect(ours(bill.body.reconciliation.missing_local)).toEqual([]);
      expect(ours(bill.body.reconciliation.missing_remote)).toEqual([]);
      expect(bill.body.reconciliation.mismatched.filter((entry: { order_no: string }) => known.has(entry.order_no))).toEqual([]);
    }
  });
});

describe('what the logs of the whole run never contain', () => {
  const fleet = useFleet(10_000);
  it('no keys, secrets, tokens, pwd values, full certificate or phone numbers', async () => {
    // Identity queries that carry sensitive values, so the scan has something to catch.
    await call(fleet, 0, 'POST', '/v1/cards/query', { idtype: 'sno', id: '2015032718', pwd: '123456' });
    await call(fleet, 1, 'POST', '/v1/cards/query', { idtype: 'id', id: '110101199001010011' });
    await call(fleet, 2, 'POST', '/v1/cards/query', { idtype: 'phone', id: '13800000001' });
    const current = sandbox.state.currentToken?.value;
    if (current) tokensSeen.add(current);

    const text = logs.join('\n');
    expect(logs.length).toBeGreaterThan(100);
    const secret = sandbox.secret;
    const keyBody = (pem: string): string[] =>
      pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
    for (const line of keyBody(secret.private_key)) expect(text).not.toContain(line);
    expect(text).not.toContain(secret.app_secret);
    if (secret.bill_key) expect(text).not.toContain(secret.bill_key);
    expect(tokensSeen.size).toBeGreaterThan(0);
    for (const token of tokensSeen) expect(text).not.toContain(token);
    expect(text).not.toMatch(/"pwd"\s*:\s*"[^"*]/);
    expect(text).not.toContain('110101199001010011');
    expect(text).not.toContain('13800000001');
  });
});
