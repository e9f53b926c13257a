// The campaign (issue 15): bad input, then the seeded load with faults and a key rotation mid-run, then
// token rounds (a token invalidation and a seeded fault on the token call the fleet then makes), then
// the settlement schedule and the day's bill made final by the clock, and the verdict. `npm run campaign`
// runs it full size on the process fleet (test/campaign/run.ts); test/e2e/campaign.test.ts runs it small.
import { createLedgerStore } from '../../lib/ledger/store.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import { finalFrom, parseFinalAfter } from '../../lib/bills/finality.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { runBadInput } from './bad-input.js';
import { sleep, Tally } from './http.js';
import { SANDBOX_METHODS } from '../../lib/sandbox/index.js';
import { faultName, lastTokenCallAt, runLoad, type LoadResult } from './load.js';
import { rotateMidRun, type RotationReport } from './rotation.js';
import { buildSchedule, tokenFaultRounds, type Op } from './schedule.js';
import { CAMPAIGN_ACCOUNTS, startCampaignStack, type StackOptions } from './stack.js';
import { eventLines, fiveHundredLines, latencyLines, line, moneyLines, tokenFaultLines, tokenLines, type Line, type TokenRound } from './verdict.js';

export interface CampaignOptions extends StackOptions {
  readonly seed: number;
  readonly payments: number;
  readonly refunds: number;
  readonly replays: number;
  readonly conflicts: number;
  readonly reads: number;
  readonly clients: number;
  readonly faultRate: number;
  readonly badInput: number;
  /** Token rounds with a fault on the token call (test/campaign/schedule.ts tokenFaultRounds): each costs one token spacing. */
  readonly tokenFaults: number;
  /** The size of each token round's load. */
  readonly tokenRound: { readonly payments: number; readonly refunds: number; readonly replays: number; readonly conflicts: number; readonly reads: number };
  /** The least the run must have sent (issue 15: 1,000 payments, 300 refunds). */
  readonly require: { readonly payments: number; readonly refunds: number; readonly badInput: number };
  /** Progress lines (stderr in the CLI). */
  readonly say?: (text: string) => void;
}

export interface CampaignReport {
  readonly lines: readonly Line[];
  readonly ok: boolean;
  readonly wallSeconds: number;
  readonly logFile: string;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const say = options.say ?? (() => undefined);
  const wallStart = performance.now();
  const days = new Set<string>([chinaDate()]);
  say(`starting ${options.instances} instances (${options.mode}) in ${options.dir}`);
  const stack = await startCampaignStack(options);
  const tally = new Tally();
  const lines: Line[] = [];
  const tokenRounds: TokenRound[] = [];
  try {
    // 1. Bad input, alone, so any platform call during it is one a refused request caused.
    tally.phase = 'bad input';
    say(`bad input: ${options.badInput} requests`);
    const bad = await runBadInput(stack, tally, { seed: options.seed, count: options.badInput, concurrency: 12 });

    // 2. The load, with the key rotation in the middle.
    tally.phase = 'load';
    const ops = buildSchedule({ ...options, instances: stack.instances.length });
    say(`load: ${ops.length} operations from ${options.clients} clients, seed ${options.seed}`);
    let rotation: RotationReport | undefined;
    const runTag = `c${options.seed.toString(36)}${Date.now().toString(36)}`;
    const load = await runLoad({
      sandbox: stack.sandbox,
      instances: stack.instances,
      tally,
      ops,
      clients: options.clients,
      runTag,
      tokenSpacingMs: stack.tokenSpacingMs,
      maxRetryWaitMs: Math.min(10_000, stack.tokenSpacingMs),
      maxRetries: 2,
      midRun: {
        at: Math.floor(ops.length / 2),
        ahead: Math.max(options.clients, Math.floor(ops.length / 20)),
        run: async (control) => {
          say('key rotation: client key and platform key, secret file replaced');
          rotation = await rotateMidRun(stack, tally, control, 15_000);
        },
      },
      progress: (done, total) => {
        if (done % 250 === 0) say(`  ${done}/${total}`);
      },
    });
    const loads = [load];
    // 3. Token rounds: each waits until the platform allows a new token, kills the token under a short load
    //    and queues the round's fault on the token call the fleet then makes; its clients wait out the
    //    Retry-After a 503 TOKEN_UNAVAILABLE gives, as a campus system would, and must then be paid.
    tally.phase = 'token rounds';
    const tokenFaults = tokenFaultRounds(options.seed, options.tokenFaults, options.platformTimeoutMs);
    const roundCount = Math.max(tokenFaults.length, (load.faultsQueued.invalidateToken ?? 0) === 0 ? 1 : 0);
    for (let round = 0; round < roundCount; round++) {
      const tokenFault = tokenFaults[round];
      const lastCall = lastTokenCallAt(stack.sandbox) ?? 0;
      const waitMs = Math.max(0, lastCall + stack.tokenSpacingMs + 1_500 - stack.sandbox.clock.now().getTime());
      say(`token round ${round + 1}/${roundCount}: waiting ${(waitMs / 1000).toFixed(0)} s until a new token is allowed, then a token invalidation under load${tokenFault ? `, the token call meeting ${faultName(tokenFault)}` : ''}`);
      await sleep(waitMs);
      const callsBefore = stack.sandbox.state.calls.length;
      if (tokenFault) stack.sandbox.faults.inject(tokenFault, { methods: [SANDBOX_METHODS.accessToken] });
      const [first, ...rest] = buildSchedule({ ...options, ...options.tokenRound, seed: options.seed + 1 + round, faultRate: 0, instances: stack.instances.length });
      const tailOps = [{ ...(first as Op), fault: { type: 'invalidateToken' } as const }, ...rest];
      const tail = await runLoad({
        sandbox: stack.sandbox,
        instances: stack.instances,
        tally,
        ops: tailOps,
        clients: options.clients,
        runTag: `${runTag}t${round}`,
        tokenSpacingMs: stack.tokenSpacingMs,
        maxRetryWaitMs: stack.tokenSpacingMs + 2_000,
        maxRetries: 2,
      });
      stack.sandbox.faults.clear();
      loads.push(tail);
      const tokenCalls = stack.sandbox.state.calls.slice(callsBefore).filter((call) => call.method === SANDBOX_METHODS.accessToken);
      tokenRounds.push({ ...(tokenFault ? { fault: faultName(tokenFault) } : {}), calls: tokenCalls, counts: tail.counts });
    }
    days.add(chinaDate());
    // Answers the platform still holds back (latency past the timeout) land before the day is closed.
    await sleep(options.platformTimeoutMs * 3);

    // 4. The back office: the next China day after BILL_FINAL_AFTER, on both clocks.
    const lastDay = [...days].sort().at(-1) as string;
    const finalAfter = parseFinalAfter(options.billFinalAfter) ?? 180;
    const offsetMs = finalFrom(lastDay, finalAfter).getTime() + 60_000 - Date.now();
    stack.sandbox.clock.setOffsetMs(offsetMs);
    const backOffice = await stack.startBackOffice(() => offsetMs);
    tally.phase = 'back office';
    say('settlement schedule, then the daily bill of the day, final by the clock');
    const settled: unknown[] = [];
    for (let pass = 0; pass < 3; pass++) settled.push(await backOffice.invoke('pay-query', { kind: 'settle-pending' }));
    for (const day of days) await backOffice.invoke('down-bill', { kind: 'daily-bill', bill_date: day });

    const runtime = await backOffice.scope.runtime();
    const store = createLedgerStore({ client: runtime.dynamo, tableName: stack.tables.ledgerTable });
    const ledger = new Map<string, LedgerRecord>();
    for (const day of days) for await (const record of store.listByDay(day)) ledger.set(record.orderNo, record);

    const reconciliation: string[] = [];
    let reconciledOk = true;
    for (const day of days) {
      const bill = await tally.send(backOffice.url, 0, { method: 'GET', path: `/v1/bills/${day}?crypt_type=1&limit=1`, caller: 'finance' });
      const r = bill?.body?.reconciliation;
      const differences = r ? Number(r.counts?.missing_local ?? 0) + Number(r.counts?.missing_remote ?? 0) + Number(r.counts?.mismatched ?? 0) : Number.NaN;
      reconciledOk &&= bill?.status === 200 && bill.body.final === true && differences === 0;
      reconciliation.push(`${day}: HTTP ${bill?.status} final ${bill?.body?.final} rows ${bill?.body?.count} matched ${r?.matched} settled ${r?.settled} differences ${differences}`);
    }
    const exceptions = await openExceptions(tally, backOffice.url, [...days]);

    // 5. The verdict.
    const sent = sumOf(loads.map((entry) => entry.counts));
    const queued = sumOf(loads.map((entry) => entry.faultsQueued));
    const violations = loads.flatMap((entry) => entry.violations);
    // Throughput and latency are of the main load: the token rounds mostly wait out the token spacing.
    const seconds = (entry: LoadResult): number => (entry.endedAt - entry.startedAt) / 1000;
    const loadSeconds = seconds(load);
    const roundSeconds = loads.slice(1).reduce((sum, entry) => sum + seconds(entry), 0);
    const faults = Object.entries(queued).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ×${n}`).join(', ');
    lines.push(
      line('volume', (sent['payments sent'] ?? 0) >= options.require.payments && (sent['refunds sent'] ?? 0) >= options.require.refunds,
        `sent: ${sent['payments sent'] ?? 0} payments, ${sent['refunds sent'] ?? 0} refunds, ${sent['replays sent'] ?? 0} replays, ${sent['conflicting reuses sent'] ?? 0} conflicting reuses (${sent['conflicts answered 409'] ?? 0} answered 409), ${sent['card queries sent'] ?? 0} card queries, ${sent['pay.query batches sent'] ?? 0} pay.query batches; ${sent['503 retried'] ?? 0} retries after 503`),
      line('faults', undefined, `faults queued: ${faults || 'none'}; on the token call: ${tokenRounds.flatMap((round) => round.fault ?? []).join(', ') || 'none'}; token invalidations put off until a new token was allowed: ${loads.reduce((sum, entry) => sum + entry.invalidationsDeferred, 0)}`),
      ...moneyLines(stack.sandbox, CAMPAIGN_ACCOUNTS, ledger),
      ...(await eventLines(stack.eventsFile, ledger)),
      ...fiveHundredLines(tally.samples, tally.transportFailures),
      exceptions,
      line('reconciliation', reconciledOk, `reconciliation of the final bill: ${reconciliation.join('; ')}`),
      line('answers', violations.length === 0, `answers that broke a promise at once (a SUCCESS replayed differently, a SUCCESS order_no reused without 409): ${violations.length}${violations.length ? ` (${violations.slice(0, 3).join('; ')})` : ''}`),
      line('bad input', bad.notRefused.length === 0 && bad.platformCalls === 0 && bad.fiveHundreds === 0 && bad.refusedSent >= options.require.badInput,
        `bad input: ${bad.refusedSent} refused-class requests on ${[...bad.routes].sort().join(', ')}, not refused with a 4xx: ${bad.notRefused.length}, platform calls for them: ${bad.platformCalls}; ${bad.edgeSent} edge cases; 5xx: ${bad.fiveHundreds}${bad.notRefused.length ? ` (${bad.notRefused.slice(0, 3).join(' | ')})` : ''}`),
      rotationLine(rotation),
      ...tokenLines(stack.sandbox, stack.tokenSpacingMs, queued.invalidateToken ?? 0),
      ...tokenFaultLines(tokenRounds, options.tokenFaults),
      ...latencyLines(tally.samples, 'load', loadSeconds),
      line('wall', undefined, `load ${loadSeconds.toFixed(1)} s, ${loads.length - 1} token round(s) ${roundSeconds.toFixed(1)} s, whole campaign ${((performance.now() - wallStart) / 1000).toFixed(1)} s; settlement passes: ${JSON.stringify(settled.map(summary))}`),
    );
  } finally {
    await stack.close();
  }
  return { lines, ok: lines.every((entry) => entry.ok !== false), wallSeconds: (performance.now() - wallStart) / 1000, logFile: stack.logFile };
}

function sumOf(records: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const record of records) for (const [name, n] of Object.entries(record)) sum[name] = (sum[name] ?? 0) + n;
  return sum;
}

function summary(result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return result;
  const { events: _events, ...rest } = result as Record<string, unknown>;
  return rest;
}

function rotationLine(rotation: RotationReport | undefined): Line {
  if (!rotation) return line('rotation', false, 'key rotation: did not run');
  const per = [...rotation.recovered.keys()].map((index) => `#${index} ${rotation.recovered.get(index) ? 'recovered' : 'NOT recovered'} after ${rotation.failuresBeforeRecovery.get(index)} failure(s), ${rotation.failuresAfterRecovery.get(index)} later`);
  const ok = [...rotation.recovered.keys()].every(
    (index) => rotation.recovered.get(index) === true && (rotation.failuresBeforeRecovery.get(index) ?? 0) <= 1 && (rotation.failuresAfterRecovery.get(index) ?? 0) === 0,
  );
  return line('rotation', ok, `key rotation mid-run: ${per.join('; ')}; platform 40004 answers retried with the new key: ${rotation.platformSignRefusals}; ${rotation.ordersInWindow} payments/refunds in its window (all in the checks above)`);
}

/** Open exceptions of the run's days, by GET /v1/reconciliation/exceptions (pending until that route exists). */
async function openExceptions(tally: Tally, url: string, days: readonly string[]): Promise<Line> {
  let open = 0;
  const shown: string[] = [];
  for (const day of days) {
    let cursor: string | undefined;
    do {
      const query = `status=open&bill_date=${day}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await tally.send(url, 0, { method: 'GET', path: `/v1/reconciliation/exceptions?${query}`, caller: 'finance' });
      if (answer?.status === 404 && /no route/.test(String(answer.body?.error?.message))) {
        return line('exceptions', undefined, 'open reconciliation exceptions: PENDING, not checked (GET /v1/reconciliation/exceptions is not on this main yet)');
      }
      if (answer?.status !== 200 || !Array.isArray(answer.body?.exceptions)) {
        return line('exceptions', false, `open reconciliation exceptions: GET answered ${answer?.status} ${answer?.code ?? ''}`);
      }
      for (const entry of answer.body.exceptions as { order_no?: string; kind?: string }[]) {
        open += 1;
        if (shown.length < 5) shown.push(`${entry.order_no} ${entry.kind}`);
      }
      cursor = typeof answer.body.next_cursor === 'string' ? answer.body.next_cursor : undefined;
    } while (cursor);
  }
  return line('exceptions', open === 0, `open reconciliation exceptions: ${open}${shown.length ? ` (${shown.join(', ')})` : ''}`);
}
