// The campaign's verdict: the promises checked on what the run left behind (the platform's orders and
// balances, the ledger as stored, the events file, every HTTP answer), one printed line each, and
// whether each holds. Nothing here sends a request.
import { readFile } from 'node:fs/promises';
import { eventId } from '../../lib/events/event.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import { formatYuan } from '../../lib/protocol/money.js';
import { SANDBOX_METHODS, type Sandbox, type SandboxAccountSeed, type SandboxCall } from '../../lib/sandbox/index.js';
import { DOCUMENTED_5XX, percentile, type RouteName, type Sample } from './http.js';

export interface Line {
  readonly name: string;
  readonly text: string;
  /** undefined: printed, not asserted (a figure, or a check whose route has not landed). */
  readonly ok: boolean | undefined;
}

export const line = (name: string, ok: boolean | undefined, text: string): Line => ({ name, ok, text });

/** Money: the platform's orders and balances against the ledger, order by order. */
export function moneyLines(sandbox: Sandbox, initial: readonly SandboxAccountSeed[], ledger: ReadonlyMap<string, LedgerRecord>): Line[] {
  const platform = sandbox.state.orders;
  const perOrderNo = new Map<string, number>();
  for (const order of platform) if (order.outId !== undefined && order.retcode === '0') perOrderNo.set(order.orderNo, (perOrderNo.get(order.orderNo) ?? 0) + 1);
  const maxDebits = Math.max(0, ...[...perOrderNo.values()]);
  // The sandbox forgives a second pay of one order_no (it answers the first result); a platform that does
  // not would debit again. So the gateway must never send a pay or refund the platform processed twice.
  const processedSends = new Map<string, number>();
  for (const call of sandbox.state.calls) {
    if (call.processed && call.orderNo !== undefined) processedSends.set(call.orderNo, (processedSends.get(call.orderNo) ?? 0) + 1);
  }
  const resent = [...processedSends].filter(([, n]) => n > 1);
  const maxSends = Math.max(0, ...processedSends.values());
  // Every account moved by exactly what the ledger's SUCCESS orders say, and by what the platform's orders say.
  const drift: string[] = [];
  for (const seed of initial) {
    const moved = seed.balanceFen - sandbox.state.balanceFen(seed.account);
    let ledgerNet = 0;
    for (const record of ledger.values()) {
      if (record.account === seed.account && record.status === 'SUCCESS') ledgerNet += record.type === 'PAYMENT' ? record.amountFen : -record.amountFen;
    }
    let platformNet = 0;
    for (const order of platform) {
      if (order.account === seed.account && order.outId !== undefined && order.retcode === '0') platformNet += order.type === 'PAYMENT' ? order.amountFen : -order.amountFen;
    }
    if (moved !== ledgerNet || moved !== platformNet) drift.push(`${seed.account}: moved ${moved}, ledger ${ledgerNet}, platform orders ${platformNet} fen`);
  }

  const applied = new Map(platform.filter((order) => order.outId !== undefined && order.retcode === '0').map((order) => [order.orderNo, order]));
  const lost: string[] = [];
  for (const [orderNo, order] of applied) {
    const record = ledger.get(orderNo);
    if (record?.status !== 'SUCCESS') lost.push(`${orderNo}: applied by the platform, ledger ${record?.status ?? 'absent'}`);
    else if (record.outId !== order.outId || record.amountFen !== order.amountFen) lost.push(`${orderNo}: ledger ${record.outId}/${record.amountFen}, platform ${order.outId}/${order.amountFen}`);
  }
  for (const record of ledger.values()) {
    if (record.status === 'SUCCESS' && !applied.has(record.orderNo)) lost.push(`${record.orderNo}: SUCCESS in the ledger, not applied by the platform`);
  }

  const over: string[] = [];
  const refundedInLedger = new Map<string, number>();
  for (const record of ledger.values()) {
    if (record.type === 'REFUND' && record.status === 'SUCCESS' && record.refundOrderNo) refundedInLedger.set(record.refundOrderNo, (refundedInLedger.get(record.refundOrderNo) ?? 0) + record.amountFen);
  }
  const refundedAtPlatform = new Map<string, number>();
  for (const order of applied.values()) if (order.type === 'REFUND' && order.refundOrderNo) refundedAtPlatform.set(order.refundOrderNo, (refundedAtPlatform.get(order.refundOrderNo) ?? 0) + order.amountFen);
  for (const [paymentNo, fen] of [...refundedInLedger, ...refundedAtPlatform]) {
    const paidFen = ledger.get(paymentNo)?.amountFen ?? applied.get(paymentNo)?.amountFen ?? 0;
    if (fen > paidFen) over.push(`${paymentNo}: ${formatYuan(fen)} refunded of ${formatYuan(paidFen)}`);
  }
  const pending = [...ledger.values()].filter((record) => record.status === 'PENDING').map((record) => record.orderNo);
  const refundsDone = [...ledger.values()].filter((record) => record.type === 'REFUND' && record.status === 'SUCCESS').length;

  return [
    line(
      'debits',
      maxDebits <= 1 && maxSends <= 1 && drift.length === 0,
      `platform debits per order_no: max ${maxDebits} over ${applied.size} applied orders; pay/refund calls the platform processed per order_no: max ${maxSends} over ${processedSends.size}; balances moved as the ledger says on ${initial.length - drift.length}/${initial.length} accounts${drift.length ? ` (${drift.slice(0, 3).join('; ')})` : ''}${resent.length ? ` (sent again: ${resent.slice(0, 3).map(([no, n]) => `${no} ×${n}`).join(', ')})` : ''}`,
    ),
    line('lost', lost.length === 0, `orders lost: ${lost.length} (${ledger.size} ledger orders, ${applied.size} applied by the platform)${lost.length ? `: ${lost.slice(0, 5).join('; ')}` : ''}`),
    line('pending', pending.length === 0, `PENDING left after the bill: ${pending.length}${pending.length ? ` (${pending.slice(0, 5).join(', ')})` : ''}`),
    line('refunds', over.length === 0, `refunds exceeding their payment: ${over.length} (${refundsDone} refunds made, on ${refundedInLedger.size} payments)${over.length ? `: ${over.slice(0, 3).join('; ')}` : ''}`),
  ];
}

interface EventLine {
  readonly detail?: { readonly order_no?: string; readonly status?: string; readonly event_id?: string };
}

/** Events: one per final transition of every ledger order, at least once (duplicates counted, never missing). */
export async function eventLines(eventsFile: string, ledger: ReadonlyMap<string, LedgerRecord>): Promise<Line[]> {
  const text = await readFile(eventsFile, 'utf8').catch(() => '');
  const deliveries = new Map<string, number>();
  const statusOf = new Map<string, string>();
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let event: EventLine;
    try {
      event = JSON.parse(raw) as EventLine;
    } catch {
      unreadable += 1;
      continue;
    }
    const id = event.detail?.event_id;
    if (!id) {
      unreadable += 1;
      continue;
    }
    deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    statusOf.set(id, `${event.detail?.order_no}:${event.detail?.status}`);
  }
  let transitions = 0;
  const missing: string[] = [];
  const expected = new Set<string>();
  for (const record of ledger.values()) {
    if (record.status === 'PENDING' || record.settledFrom === undefined) continue;
    transitions += 1;
    const id = eventId(record, record.settledFrom);
    expected.add(id);
    if (!deliveries.has(id)) missing.push(`${record.orderNo} ${record.status}`);
  }
  const stray = [...deliveries.keys()].filter((id) => !expected.has(id));
  const duplicates = [...deliveries.values()].reduce((sum, n) => sum + n - 1, 0);
  return [
    line(
      'events',
      missing.length === 0 && stray.length === 0 && unreadable === 0,
      `events missing per final transition: ${missing.length} of ${transitions}; duplicates ${duplicates} (at-least-once, deduped by event_id); not of a final transition ${stray.length}; unreadable ${unreadable}${missing.length ? `: ${missing.slice(0, 5).join(', ')}` : ''}${stray.length ? ` stray: ${stray.slice(0, 3).map((id) => statusOf.get(id)).join(', ')}` : ''}`,
    ),
  ];
}

/** 5xx outside the documented 502/503/504, and requests that got no HTTP answer at all. */
export function fiveHundredLines(samples: readonly Sample[], transportFailures: readonly string[]): Line[] {
  const bad = samples.filter((sample) => sample.status >= 500 && !DOCUMENTED_5XX.has(sample.status));
  const documented: Record<string, number> = {};
  for (const sample of samples) if (DOCUMENTED_5XX.has(sample.status)) documented[`${sample.status} ${sample.code ?? ''}`.trim()] = (documented[`${sample.status} ${sample.code ?? ''}`.trim()] ?? 0) + 1;
  const shown = Object.entries(documented).sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ×${n}`).join(', ');
  return [
    line('5xx', bad.length === 0 && transportFailures.length === 0, `HTTP 5xx other than 502/503/504: ${bad.length} of ${samples.length} answers; no answer at all: ${transportFailures.length}${bad.length ? ` (${bad.slice(0, 3).map((s) => `${s.route} ${s.status} ${s.code ?? ''}`).join('; ')})` : ''}${transportFailures.length ? ` (${transportFailures.slice(0, 2).join('; ')})` : ''}; documented ones: ${shown || 'none'}`),
  ];
}

/** Throughput and p50/p99 latency of the successful calls per route in the load phase. */
export function latencyLines(samples: readonly Sample[], phase: string, seconds: number): Line[] {
  const byRoute = new Map<RouteName, number[]>();
  for (const sample of samples) {
    if (sample.phase !== phase || sample.status < 200 || sample.status > 299) continue;
    const list = byRoute.get(sample.route) ?? [];
    list.push(sample.ms);
    byRoute.set(sample.route, list);
  }
  return [...byRoute.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([route, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return line(`latency ${route}`, undefined, `${route.padEnd(15)} ${String(list.length).padStart(5)} ok  ${(list.length / seconds).toFixed(1).padStart(6)}/s  p50 ${percentile(sorted, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(sorted, 99).toFixed(0).padStart(5)} ms`);
    });
}

/** The token rule over the whole run, from the platform's own record of the token calls. */
export function tokenLines(sandbox: Sandbox, spacingMs: number, invalidations: number): Line[] {
  const calls = sandbox.state.calls.filter((call) => call.method === SANDBOX_METHODS.accessToken);
  const times = calls.map((call) => call.at.getTime()).sort((a, b) => a - b);
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) minGap = Math.min(minGap, (times[i] as number) - (times[i - 1] as number));
  const tooFrequent = calls.filter((call) => call.retcode === '60066').length;
  const gap = Number.isFinite(minGap) ? `${(minGap / 1000).toFixed(1)} s` : 'n/a (one call)';
  return [
    line('token', minGap >= spacingMs && tooFrequent === 0 && invalidations > 0, `token calls: ${calls.length} (the tokens killed by the platform: ${invalidations}), closest two ${gap} apart (rule ${spacingMs / 1000} s); refused as too frequent: ${tooFrequent}`),
  ];
}

/** One token round of the run: the fault its token call met, the token calls the platform saw in it, its load's counts. */
export interface TokenRound {
  readonly fault?: string;
  readonly calls: readonly SandboxCall[];
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Recovery from a failed token call, round by round: the fault hit a token call, a later token call of the
 * round gave a token, and the requests answered 503 TOKEN_UNAVAILABLE meanwhile were paid when retried
 * after their Retry-After (none still without a token at the end).
 */
export function tokenFaultLines(rounds: readonly TokenRound[], expected: number): Line[] {
  const faulted = rounds.filter((round) => round.fault !== undefined);
  const problems: string[] = [];
  const shown: string[] = [];
  for (const round of faulted) {
    const hit = round.calls.findIndex((call) => call.fault !== undefined);
    const hitCall = round.calls[hit];
    const recovered = hit < 0 ? undefined : round.calls.slice(hit + 1).find((call) => call.errcode === '0' && call.retcode === '0' && call.fault === undefined);
    const paid = round.counts['no token, then SUCCESS'] ?? 0;
    const stuck = round.counts['no token to the end'] ?? 0;
    if (!hitCall) problems.push(`${round.fault}: no token call met it`);
    else if (!recovered) problems.push(`${round.fault}: no token call gave a token after it`);
    if (paid === 0) problems.push(`${round.fault}: no request answered 503 TOKEN_UNAVAILABLE was paid on its retry`);
    if (stuck > 0) problems.push(`${round.fault}: ${stuck} request(s) still 503 TOKEN_UNAVAILABLE after their retries`);
    const after = hitCall && recovered ? `a token ${((recovered.at.getTime() - hitCall.at.getTime()) / 1000).toFixed(1)} s later` : 'no token after it';
    shown.push(`${round.fault} → ${after}, ${paid} paid after 503 TOKEN_UNAVAILABLE`);
  }
  if (faulted.length < expected) problems.push(`${faulted.length} of ${expected} token rounds ran with a fault`);
  return [
    line(
      'token faults',
      problems.length === 0,
      `token call faults: ${faulted.length}${shown.length ? ` (${shown.join('; ')})` : ''}${problems.length ? `; FAILED: ${problems.slice(0, 3).join('; ')}` : ''}`,
    ),
  ];
}
