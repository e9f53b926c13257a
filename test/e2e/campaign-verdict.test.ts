// The campaign's verdict lines fail when their promise is broken: a platform order the ledger lacks, a
// SUCCESS the platform never applied, a PENDING left, a refund over its payment, an event missing or
// stray, an undocumented 5xx, two token calls too close or one refused as too frequent, a token call fault
// the fleet did not recover from. Each is planted on a real sandbox and ledger records.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from '../../lib/events/event.js';
import type { LedgerRecord } from '../../lib/ledger/records.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { CAMPAIGN_ACCOUNTS } from '../campaign/stack.js';
import { SANDBOX_METHODS, type SandboxCall } from '../../lib/sandbox/index.js';
import { manualClock, sandboxCall, startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { eventLines, fiveHundredLines, moneyLines, tokenFaultLines, tokenLines, type Line, type TokenRound } from '../campaign/verdict.js';

let sandbox: TestSandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await startTestSandbox({ accounts: CAMPAIGN_ACCOUNTS, minTokenIntervalMs: 0 });
  dir = await mkdtemp(join(tmpdir(), 'onecard-verdict-test-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function record(orderNo: string, fields: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    orderNo,
    type: 'PAYMENT',
    status: 'SUCCESS',
    account: '32718',
    acctype: '###',
    mercacc: '1001',
    amountFen: 100,
    createdAt: '2026-12-01T10:00:00.000+08:00',
    updatedAt: '2026-12-01T10:00:00.000+08:00',
    tradeDay: chinaDate(),
    requestHash: 'h',
    version: 2,
    attempts: 1,
    settledFrom: 'NEW',
    ...fields,
  } as LedgerRecord;
}
const byName = (lines: readonly Line[], name: string): Line => lines.find((entry) => entry.name === name) as Line;

describe('the campaign verdict', () => {
  it('holds on an empty run, and fails for a platform order the ledger lacks and a SUCCESS the platform never applied', () => {
    expect(moneyLines(sandbox, CAMPAIGN_ACCOUNTS, new Map()).every((entry) => entry.ok)).toBe(true);
    const ghost = new Map([['never-applied', record('never-applied')]]);
    const lines = moneyLines(sandbox, CAMPAIGN_ACCOUNTS, ghost);
    expect(byName(lines, 'lost').ok).toBe(false);
    expect(byName(lines, 'lost').text).toContain('never-applied: SUCCESS in the ledger, not applied by the platform');
    expect(byName(lines, 'debits').ok).toBe(false); // the ledger says 32718 moved 1.00, the platform did not move it

    sandbox.seedDay(chinaDate(), 2, { seed: 3 });
    const seeded = moneyLines(sandbox, CAMPAIGN_ACCOUNTS, new Map());
    expect(byName(seeded, 'lost').ok).toBe(false);
    expect(byName(seeded, 'lost').text).toMatch(/applied by the platform, ledger absent/);
  });

  it('fails for a PENDING order and for refunds over their payment', () => {
    const ledger = new Map([
      ['p', record('p', { status: 'PENDING' })],
      ['paid', record('paid', { amountFen: 100 })],
      ['r1', record('r1', { type: 'REFUND', amountFen: 60, refundOrderNo: 'paid' })],
      ['r2', record('r2', { type: 'REFUND', amountFen: 60, refundOrderNo: 'paid' })],
    ]);
    const lines = moneyLines(sandbox, CAMPAIGN_ACCOUNTS, ledger);
    expect(byName(lines, 'pending')).toMatchObject({ ok: false, text: 'PENDING left after the bill: 1 (p)' });
    expect(byName(lines, 'refunds').ok).toBe(false);
    expect(byName(lines, 'refunds').text).toContain('paid: 1.20 refunded of 1.00');
  });

  it('counts events: a final transition without one fails, a duplicate delivery does not, a stray one fails', async () => {
    const done = record('done');
    const file = join(dir, 'events.jsonl');
    const event = { source: 'onecard.gateway', 'detail-type': 'Order Settled', detail: { order_no: 'done', status: 'SUCCESS', event_id: eventId(done, 'NEW') } };
    await writeFile(file, `${JSON.stringify(event)}\n${JSON.stringify(event)}\n`);
    const ok = await eventLines(file, new Map([['done', done]]));
    expect(ok[0]).toMatchObject({ ok: true });
    expect(ok[0]?.text).toContain('duplicates 1');
    const missing = await eventLines(file, new Map([['done', done], ['other', record('other')]]));
    expect(missing[0]?.ok).toBe(false);
    expect(missing[0]?.text).toMatch(/^events missing per final transition: 1 of 2/);
    const stray = await eventLines(file, new Map([['done', record('done', { createdAt: '2026-12-01T11:00:00.000+08:00' })]]));
    expect(stray[0]?.ok).toBe(false);
  });

  it('fails for a 500 and for a request without an answer, not for the documented 502/503/504', () => {
    const sample = (status: number) => ({ route: 'payments.create' as const, instance: 1, status, ms: 1, startedAt: 0, phase: 'load' });
    expect(fiveHundredLines([sample(502), sample(503), sample(504), sample(200)], [])[0]?.ok).toBe(true);
    expect(fiveHundredLines([sample(500)], [])[0]?.ok).toBe(false);
    expect(fiveHundredLines([sample(200)], ['socket hang up'])[0]?.ok).toBe(false);
  });

  it('fails when two token calls are closer than the rule, or no token was ever killed', async () => {
    const rule = 60_000;
    expect(tokenLines(sandbox, rule, 1)[0]?.ok).toBe(true); // no token call yet
    expect(tokenLines(sandbox, rule, 0)[0]?.ok).toBe(false);
    // Two token calls straight to the sandbox (its own spacing is off), as an instance ignoring the rule would make them.
    expect((await sandboxCall(sandbox, 'accessToken', {})).envelope?.errcode).toBe('0');
    expect((await sandboxCall(sandbox, 'accessToken', {})).envelope?.errcode).toBe('0');
    const [line] = tokenLines(sandbox, rule, 1);
    expect(line?.ok).toBe(false);
    expect(line?.text).toMatch(/^token calls: 2 .*closest two \d+\.\d s apart \(rule 60 s\); refused as too frequent: 0$/);
  });

  it('fails when the platform refused a token call as too frequent, even with the calls far enough apart for the rule checked', async () => {
    const clock = manualClock(new Date(Date.UTC(2026, 11, 1, 2, 0, 0)));
    const strict = await startTestSandbox({ accounts: CAMPAIGN_ACCOUNTS, minTokenIntervalMs: 120_000, now: clock.now });
    try {
      expect((await sandboxCall(strict, 'accessToken', {}, { at: clock.now() })).envelope?.errcode).toBe('0');
      clock.advance(30_000);
      await sandboxCall(strict, 'accessToken', {}, { at: clock.now() }); // 60066: the platform's own 120 s
      const [line] = tokenLines(strict, 20_000, 1);
      expect(line?.ok).toBe(false);
      expect(line?.text).toMatch(/closest two 30\.0 s apart \(rule 20 s\); refused as too frequent: 1$/);
    } finally {
      await strict.close();
    }
  });

  it('fails a token round whose faulted token call was not followed by a token, or whose clients were left without one', async () => {
    const clock = manualClock(new Date(Date.UTC(2026, 11, 1, 4, 0, 0)));
    const platform = await startTestSandbox({ accounts: CAMPAIGN_ACCOUNTS, minTokenIntervalMs: 60_000, now: clock.now });
    try {
      platform.faults.inject({ type: 'busy' }, { methods: [SANDBOX_METHODS.accessToken] });
      await sandboxCall(platform, 'accessToken', {}, { at: clock.now() });
      clock.advance(61_000);
      expect((await sandboxCall(platform, 'accessToken', {}, { at: clock.now() })).envelope?.errcode).toBe('0');
      const [faulted, recovered] = platform.state.calls;
      expect(faulted?.fault).toBe('busy');
      const good: TokenRound = { fault: 'busy', calls: [faulted as SandboxCall, recovered as SandboxCall], counts: { 'no token, then SUCCESS': 3 } };
      const [held] = tokenFaultLines([good], 1);
      expect(held).toMatchObject({ ok: true, text: 'token call faults: 1 (busy → a token 61.0 s later, 3 paid after 503 TOKEN_UNAVAILABLE)' });

      const noToken = tokenFaultLines([{ ...good, calls: [faulted as SandboxCall] }], 1)[0];
      expect(noToken?.ok).toBe(false);
      expect(noToken?.text).toContain('busy: no token call gave a token after it');
      expect(tokenFaultLines([{ ...good, calls: [recovered as SandboxCall] }], 1)[0]?.text).toContain('busy: no token call met it');
      const stuck = tokenFaultLines([{ ...good, counts: { 'no token, then SUCCESS': 2, 'no token to the end': 1 } }], 1)[0];
      expect(stuck?.ok).toBe(false);
      expect(stuck?.text).toContain('1 request(s) still 503 TOKEN_UNAVAILABLE after their retries');
      expect(tokenFaultLines([{ ...good, counts: {} }], 1)[0]?.ok).toBe(false);
      expect(tokenFaultLines([good], 2)[0]?.text).toContain('1 of 2 token rounds ran with a fault');
    } finally {
      await platform.close();
    }
  });
});
