// The deployed artifacts, run: `cdk synth`'s staged bundles, each in a fresh Node process with the
// template's handler, environment and timeout, invoked with API Gateway proxy events for the template's
// methods and with each schedule's exact Target.Input, against dynalite, s3rver, the sandbox and the HTTP
// Secrets Manager (reached through the SDK's endpoint variables: nothing test-only is in a bundle).
// The EMF documents they print must feed every alarm of the template.
import { rmSync } from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { createDynamoTokenStore } from '../../lib/token/store.js';
import { sandboxCall } from '../support/sandbox.js';
import { synthGateway } from '../infra/synth.js';
import { parseEmf, unpublishedAlarms, unresolvedAwsAlarms, type PublishedMetric } from './emf.js';
import { startLambdaProcess, type Invocation, type LambdaProcess } from './lambda-process.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { proxyEvent, type ProxyRequest } from './proxy-event.js';
import { alarmsOf, apiMethodsOf, functionsOf, schedulesOf, type CfnTemplate, type DeployedFunction } from './template.js';

let assemblyDir: string | undefined;
let template: CfnTemplate;
let functions: DeployedFunction[];
let stack: LocalStack | undefined;
const processes = new Map<string, LambdaProcess>();
const published: PublishedMetric[] = [];
/** Route keys ("POST /v1/payments") and schedule ids invoked so far. */
const invoked = new Set<string>();

const run = Date.now().toString(36);
const paymentNo = `dep-${run}-pay`;
const refundNo = `dep-${run}-ref`;
const foreignNo = `dep-${run}-xdep`;

beforeAll(async () => {
  const synth = synthGateway({ bundle: true });
  assemblyDir = synth.assemblyDir;
  template = synth.json as unknown as CfnTemplate;
  functions = functionsOf(template, synth.assemblyDir);
  stack = await startLocalStack(template);
}, 180_000);

afterAll(async () => {
  for (const child of processes.values()) await child.stop();
  await stack?.close();
  if (assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
});

function local(): LocalStack {
  if (!stack) throw new Error('the local stack did not start');
  return stack;
}

/** The local name standing in for the template resource whose logical id starts with `prefix`. */
function localNameOf(prefix: string): string {
  const found = Object.entries(local().localFor).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`${found.length} resources named ${prefix}*`);
  return (found[0] as [string, string])[1];
}

/** The function's warm process, started on first use (a cold start, as Lambda's first invocation). */
async function processOf(functionLogicalId: string): Promise<LambdaProcess> {
  const existing = processes.get(functionLogicalId);
  if (existing) return existing;
  const fn = functions.find((each) => each.logicalId === functionLogicalId);
  if (!fn || !stack) throw new Error(`no function ${functionLogicalId}`);
  const started = await startLambdaProcess({
    assetDir: fn.assetDir,
    handler: fn.handler,
    functionName: fn.logicalId,
    timeoutSeconds: fn.timeoutSeconds,
    env: stack.environmentOf(fn),
    hostDir: assemblyDir as string,
  });
  processes.set(functionLogicalId, started);
  return started;
}

function explain(invocation: Invocation, functionLogicalId: string): string {
  return `${functionLogicalId}: ${JSON.stringify(invocation.error ?? invocation.result)}\nstdout:\n${invocation.stdout.join('\n')}\nstderr:\n${processes.get(functionLogicalId)?.stderr() ?? ''}`;
}

async function invoke(functionLogicalId: string, event: unknown): Promise<Invocation> {
  const invocation = await (await processOf(functionLogicalId)).invoke(event);
  published.push(...parseEmf(invocation.stdout, functionLogicalId));
  return invocation;
}

/** Invokes the function the template wires to `routeKey` with a proxy event for that method. */
async function callRoute(routeKey: string, request: Omit<ProxyRequest, 'httpMethod' | 'resource'> = {}): Promise<{ statusCode: number; body: any }> {
  const [httpMethod, resource] = routeKey.split(' ') as [string, string];
  const method = apiMethodsOf(template).find((each) => each.httpMethod === httpMethod && each.resourcePath === resource);
  if (!method?.functionLogicalId) throw new Error(`the template has no Lambda method ${routeKey}`);
  expect(method.integrationType).toBe('AWS_PROXY');
  const invocation = await invoke(method.functionLogicalId, proxyEvent({ httpMethod, resource, ...request }));
  invoked.add(routeKey);
  const result = invocation.result as { statusCode?: number; body?: string; headers?: Record<string, string> } | undefined;
  expect(invocation.error, explain(invocation, method.functionLogicalId)).toBeUndefined();
  expect(typeof result?.statusCode, explain(invocation, method.functionLogicalId)).toBe('number');
  expect(result?.headers?.['content-type'] ?? result?.headers?.['Content-Type']).toMatch(/^application\/json/);
  return { statusCode: result?.statusCode as number, body: JSON.parse(result?.body ?? 'null') };
}

/** As callRoute, for a route whose answer is not JSON (report.csv): status, headers and the body text. */
async function callRouteRaw(routeKey: string, request: Omit<ProxyRequest, 'httpMethod' | 'resource'> = {}): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const [httpMethod, resource] = routeKey.split(' ') as [string, string];
  const method = apiMethodsOf(template).find((each) => each.httpMethod === httpMethod && each.resourcePath === resource);
  if (!method?.functionLogicalId) throw new Error(`the template has no Lambda method ${routeKey}`);
  const invocation = await invoke(method.functionLogicalId, proxyEvent({ httpMethod, resource, ...request }));
  invoked.add(routeKey);
  expect(invocation.error, explain(invocation, method.functionLogicalId)).toBeUndefined();
  const result = invocation.result as { statusCode: number; body: string; headers: Record<string, string> };
  return { statusCode: result.statusCode, headers: result.headers, body: result.body };
}

/** Invokes the schedule's target with the template's exact Target.Input, as Scheduler does. */
async function runSchedule(logicalIdPrefix: string): Promise<any> {
  const schedule = schedulesOf(template).find((each) => each.logicalId.startsWith(logicalIdPrefix));
  if (!schedule) throw new Error(`no schedule ${logicalIdPrefix}`);
  const invocation = await invoke(schedule.functionLogicalId, JSON.parse(schedule.input));
  invoked.add(schedule.logicalId);
  expect(invocation.error, explain(invocation, schedule.functionLogicalId)).toBeUndefined();
  return invocation.result;
}

describe('the deployed bundles, run in fresh Node processes with the template\'s settings', () => {
  it('runs every function of the template with its handler, timeout and NODE_OPTIONS', () => {
    expect(functions.length).toBe(6);
    for (const fn of functions) {
      expect(fn.handler, fn.logicalId).toBe('index.handler');
      // Source maps everywhere; the bill function also loads OpenSSL's legacy provider for single DES (infra/constructs/handlers.ts).
      const nodeOptions = fn.logicalId.includes('DownBillFunction') ? '--enable-source-maps --openssl-legacy-provider' : '--enable-source-maps';
      expect(fn.environment.NODE_OPTIONS, fn.logicalId).toBe(nodeOptions);
      expect(stack?.environmentOf(fn).AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(stack?.secrets.endpoint);
    }
  });

  it('token renewal schedule: the first run gets a token from the platform and stores it', async () => {
    const result = await runSchedule('TokenRenewalSchedule');
    expect(result).toMatchObject({ renewed: true });
    // The credentials came over the wire from the stack's secret, by the ARN its Ref resolves to.
    const reads = local().secrets.calls.filter((call) => call.target === 'secretsmanager.GetSecretValue');
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reads.map((call) => call.secretId))).toEqual(new Set([localNameOf('SynjonesSecret')]));
  });

  it('POST /v1/cards/query answers both of the holder\'s cards', async () => {
    const answer = await callRoute('POST /v1/cards/query', { body: { idtype: 'sno', id: '2015032718' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.cards.map((card: { account: string }) => card.account).sort()).toEqual(['32718', '32723']);
  });

  it('POST /v1/payments charges the card once', async () => {
    const before = stack?.sandbox.state.balanceFen('32718') as number;
    const answer = await callRoute('POST /v1/payments', { body: { order_no: paymentNo, account: '32718', tranamt: '10.50', mercacc: '1001' } });
    expect(answer).toMatchObject({ statusCode: 200, body: { order_no: paymentNo, status: 'SUCCESS', tranamt: '10.50' } });
    expect(stack?.sandbox.state.balanceFen('32718')).toBe(before - 1050);
  });

  it('POST /v1/refunds refunds part of it', async () => {
    const answer = await callRoute('POST /v1/refunds', {
      body: { order_no: refundNo, refund_order_no: paymentNo, account: '32718', tranamt: '5.00', mercacc: '1001' },
    });
    expect(answer).toMatchObject({ statusCode: 200, body: { order_no: refundNo, status: 'SUCCESS', type: 'REFUND' } });
  });

  it('Order Settled: the payment\'s and the refund\'s events were put on the stack\'s bus; a refused entry is counted', async () => {
    const bus = localNameOf('EventsOrderEventBus');
    const details = local().eventBridge.accepted.map((entry) => {
      expect(entry).toMatchObject({ EventBusName: bus, Source: 'onecard.gateway', DetailType: 'Order Settled' });
      return JSON.parse(entry.Detail ?? '{}') as { order_no: string; previous_status: unknown };
    });
    expect(details.filter((detail) => detail.order_no === paymentNo || detail.order_no === refundNo)).toEqual([
      expect.objectContaining({ order_no: paymentNo, previous_status: null }),
      expect.objectContaining({ order_no: refundNo, previous_status: null }),
    ]);
    const from = published.length;
    local().eventBridge.refuseNext(1);
    const refusedNo = `dep-${run}-refused`;
    const answer = await callRoute('POST /v1/payments', { body: { order_no: refusedNo, account: '32718', tranamt: '0.10', mercacc: '1001' } });
    expect(answer).toMatchObject({ statusCode: 200, body: { status: 'SUCCESS' } });
    expect(local().eventBridge.refused.map((entry) => JSON.parse(entry.Detail ?? '{}').order_no)).toEqual([refusedNo]);
    expect(published.slice(from).filter((metric) => metric.metricName === 'EventPublishFailures').flatMap((metric) => metric.values)).toEqual([1]);
  });

  it('GET /v1/payments/{order_no} reads the ledger', async () => {
    const answer = await callRoute('GET /v1/payments/{order_no}', { pathParameters: { order_no: paymentNo } });
    expect(answer).toMatchObject({ statusCode: 200, body: { order_no: paymentNo, status: 'SUCCESS' } });
  });

  it('POST /v1/payments/query asks the platform', async () => {
    const answer = await callRoute('POST /v1/payments/query', { body: { queries: [{ account: '32718', order_no: paymentNo }] } });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.results).toMatchObject([{ order_no: paymentNo, tranamt: '10.50' }]);
  });

  it('an order_no another client used: PENDING, and the GET\'s pay.query counts a SettlementMismatch', async () => {
    const tokens = createDynamoTokenStore({ client: local().dynamo, tableName: localNameOf('TokenTable') });
    const token = (await tokens.read(local().sandbox.secret.app_key))?.token;
    expect(token).toBeDefined();
    // The platform already knows this order_no with other terms (another system sent it with this app_key).
    const planted = await sandboxCall(
      local().sandbox,
      'pay',
      { account: '32718', tranamt: '1.00', acctype: '###', mercacc: '1001', order_no: foreignNo },
      { accessToken: token as string },
    );
    expect(planted.root?.retcode).toBe('0');
    const paid = await callRoute('POST /v1/payments', { body: { order_no: foreignNo, account: '32718', tranamt: '50.00', mercacc: '1002' } });
    expect(paid).toMatchObject({ statusCode: 202, body: { status: 'PENDING' } });
    const from = published.length;
    const read = await callRoute('GET /v1/payments/{order_no}', { pathParameters: { order_no: foreignNo } });
    expect(read).toMatchObject({ statusCode: 202, body: { status: 'PENDING', tranamt: '50.00' } });
    expect(published.slice(from).filter((metric) => metric.metricName === 'SettlementMismatches').flatMap((metric) => metric.values)).toEqual([1]);
  });

  it('settle-pending schedule: resolves what it can and publishes the PENDING gauge', async () => {
    const from = published.length;
    const result = await runSchedule('SettlePendingSchedule');
    expect(result).toMatchObject({ failed: 0 });
    expect(published.slice(from).some((metric) => metric.metricName === 'PendingOlderThan15m')).toBe(true);
  });

  it('GET /v1/bills/{bill_date}: today\'s bill reconciled against the ledger', async () => {
    const answer = await callRoute('GET /v1/bills/{bill_date}', { pathParameters: { bill_date: chinaDate(new Date()) }, query: { bill_type: 'ALL' } });
    expect(answer.statusCode).toBe(200);
    const orderNos = answer.body.rows.map((row: { order_no: string }) => row.order_no);
    expect(orderNos).toEqual(expect.arrayContaining([paymentNo, refundNo, foreignNo]));
    // The other client's order under our order_no: the bill row differs from the ledger's.
    expect(answer.body.reconciliation.mismatched).toEqual(
      expect.arrayContaining([expect.objectContaining({ order_no: foreignNo, field: 'tranamt', ledger: '50.00', bill: '1.00' })]),
    );
  });

  it('daily-bill schedule: yesterday\'s bill reconciled, archived to S3 (raw and report), mismatches published', async () => {
    const from = published.length;
    const result = (await runSchedule('DailyBillSchedule')) as { billDate: string };
    const yesterday = chinaDate(new Date(Date.now() - 86_400_000));
    expect(result).toMatchObject({ billDate: yesterday, mismatched: 0 });
    const day = `${yesterday.slice(0, 4)}/${yesterday.slice(4, 6)}/${yesterday.slice(6)}/`;
    expect(published.slice(from).some((metric) => metric.metricName === 'ReconciliationMismatches')).toBe(true);
    const listed = await local().s3.client().send(new ListObjectsV2Command({ Bucket: localNameOf('BillBucket') }));
    const keys = (listed?.Contents ?? []).map((object) => object.Key as string);
    expect(keys.filter((key) => key.startsWith(`raw/${day}`)).length, keys.join(', ')).toBeGreaterThan(0);
    expect(keys.filter((key) => key.startsWith(`reports/${day}`)).length, keys.join(', ')).toBeGreaterThan(0);
  });

  it('GET /v1/reconciliation/exceptions and POST …/{id}/acknowledge: the list of the exceptions table, 404 for an unknown id', async () => {
    const listed = await callRoute('GET /v1/reconciliation/exceptions', { query: { status: 'open', limit: '10' } });
    expect(listed.statusCode).toBe(200);
    expect(Array.isArray(listed.body.exceptions)).toBe(true);
    expect(listed.body).toHaveProperty('next_cursor');
    const unknown = await callRoute('POST /v1/reconciliation/exceptions/{id}/acknowledge', {
      pathParameters: { id: '20260101-AAAAAAAAAAAAAAAAAAAAAA' },
      body: { note: 'looked at it' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
  });

  it('GET /v1/bills/{bill_date}/merchants and /report.csv: the statement, and a 303 to a pre-signed URL of the stored report', async () => {
    const today = chinaDate(new Date());
    const merchants = await callRoute('GET /v1/bills/{bill_date}/merchants', { pathParameters: { bill_date: today } });
    expect(merchants.statusCode).toBe(200);
    expect(merchants.body).toMatchObject({ bill_date: today, final: false });
    expect(merchants.body.merchants.length).toBeGreaterThan(0);
    const report = await callRouteRaw('GET /v1/bills/{bill_date}/report.csv', { pathParameters: { bill_date: today } });
    expect(report.statusCode).toBe(303);
    const location = new URL(report.headers.location as string);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('900');
    const fetched = await fetch(location);
    expect(fetched.status).toBe(200);
    const csv = await fetched.text();
    expect(csv.split('\r\n')[0]).toBe('order_no,trade_type,category,field,ledger,bill,account,mercacc,tranamt,out_id,trade_time');
    expect(csv).toContain(`${paymentNo},01,`);
  });

  it('a bill whose archive write fails is still answered, and BillArchiveFailures is published after ReconciliationMismatches', async () => {
    const fn = functions.find((each) => each.logicalId.startsWith('FunctionsDownBill')) as DeployedFunction;
    const fresh = await startLambdaProcess({
      assetDir: fn.assetDir,
      handler: fn.handler,
      functionName: `${fn.logicalId}-no-bucket`,
      timeoutSeconds: fn.timeoutSeconds,
      env: { ...local().environmentOf(fn), BILL_BUCKET: 'no-such-bill-bucket' },
      hostDir: assemblyDir as string,
    });
    try {
      const invocation = await fresh.invoke(
        proxyEvent({ httpMethod: 'GET', resource: '/v1/bills/{bill_date}', pathParameters: { bill_date: chinaDate(new Date()) } }),
      );
      const result = invocation.result as { statusCode: number; body: string };
      expect(result.statusCode, JSON.stringify(invocation)).toBe(200);
      expect(JSON.parse(result.body).next_cursor).toBeNull();
      const emitted = parseEmf(invocation.stdout, `${fn.logicalId}-no-bucket`);
      published.push(...emitted);
      const metrics = emitted.map((metric) => metric.metricName);
      expect(metrics.indexOf('ReconciliationMismatches')).toBeGreaterThanOrEqual(0);
      expect(metrics.indexOf('BillArchiveFailures')).toBeGreaterThan(metrics.indexOf('ReconciliationMismatches'));
    } finally {
      await fresh.stop();
    }
  });

  it('a final bill\'s run with under 5 s left keeps no difference and publishes ExceptionsNotKept with the count', async () => {
    const fn = functions.find((each) => each.logicalId.startsWith('FunctionsDownBill')) as DeployedFunction;
    // Two days ago: final when downloaded now, and no other test reads that day. Its orders are the platform's only.
    const day = chinaDate(new Date(Date.now() - 2 * 86_400_000));
    expect(local().sandbox.seedDay(day, 3, { seed: 11 }).created).toBe(3);
    // A 5 s timeout: from the first millisecond less than the feed's 5 s reserve is left, so it writes nothing.
    const fresh = await startLambdaProcess({
      assetDir: fn.assetDir,
      handler: fn.handler,
      functionName: `${fn.logicalId}-short`,
      timeoutSeconds: 5,
      env: local().environmentOf(fn),
      hostDir: assemblyDir as string,
    });
    try {
      const invocation = await fresh.invoke({ kind: 'daily-bill', bill_date: day });
      expect(invocation.error, JSON.stringify(invocation)).toBeUndefined();
      const result = invocation.result as { billDate: string; missingLocal: number; missingRemote: number; mismatched: number };
      expect(result.billDate).toBe(day);
      const differences = result.missingLocal + result.missingRemote + result.mismatched;
      expect(differences).toBeGreaterThan(0);
      const emitted = parseEmf(invocation.stdout, `${fn.logicalId}-short`);
      published.push(...emitted);
      expect(emitted.filter((metric) => metric.metricName === 'ExceptionsNotKept').flatMap((metric) => metric.values)).toEqual([differences]);
    } finally {
      await fresh.stop();
    }
  });

  it('a stack whose secret is not filled yet: 500 CONFIGURATION saying so (the service answers ResourceNotFoundException)', async () => {
    const fn = functions.find((each) => each.logicalId.startsWith('FunctionsQueryCard')) as DeployedFunction;
    const emptySecret = local().secrets.createSecret('deployed/not-filled');
    const fresh = await startLambdaProcess({
      assetDir: fn.assetDir,
      handler: fn.handler,
      functionName: `${fn.logicalId}-unfilled`,
      timeoutSeconds: fn.timeoutSeconds,
      env: { ...local().environmentOf(fn), SYNJONES_SECRET_ID: emptySecret },
      hostDir: assemblyDir as string,
    });
    try {
      const invocation = await fresh.invoke(proxyEvent({ httpMethod: 'POST', resource: '/v1/cards/query', body: { idtype: 'sno', id: '2015032718' } }));
      const result = invocation.result as { statusCode: number; body: string };
      expect(result.statusCode, JSON.stringify(invocation)).toBe(500);
      expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'CONFIGURATION' } });
      expect(result.body).toContain('has no value');
    } finally {
      await fresh.stop();
    }
  });

  it('every Lambda method of the API and every schedule was invoked', () => {
    const routes = apiMethodsOf(template)
      .filter((method) => method.functionLogicalId !== undefined)
      .map((method) => `${method.httpMethod} ${method.resourcePath}`);
    const schedules = schedulesOf(template).map((schedule) => schedule.logicalId);
    expect([...routes, ...schedules].filter((key) => !invoked.has(key))).toEqual([]);
    expect(new Set(functions.map((fn) => fn.logicalId))).toEqual(new Set(processes.keys()));
  });

  it('every alarm watches a metric some invocation published (namespace, name, dimensions, unit, statistic)', () => {
    const alarms = alarmsOf(template);
    expect(alarms.filter((alarm) => !alarm.namespace.startsWith('AWS/')).length).toBeGreaterThanOrEqual(3);
    expect(unpublishedAlarms(alarms, published)).toEqual([]);
    expect(unresolvedAwsAlarms(alarms, template)).toEqual([]);
  });
});
