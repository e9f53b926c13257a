// The control routes' guard (loopback only, by listening address and by caller) and the in-process
// clock and seeding behind them.
import { afterAll, describe, expect, it } from 'vitest';
import { handleControl, isLoopback } from '../../lib/sandbox/control.js';
import { startSandbox, type Sandbox } from '../../lib/sandbox/index.js';

const opened: Sandbox[] = [];
afterAll(async () => {
  for (const sandbox of opened) await sandbox.close();
});

describe('the loopback guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['::ffff:192.168.1.2', false],
    ['128.0.0.1', false],
    [undefined, false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });

  it('refuses every control route (403) when the sandbox listens on all interfaces, even to a loopback caller', async () => {
    const wide = await startSandbox({ host: '0.0.0.0' });
    opened.push(wide);
    const port = new URL(wide.url).port;
    for (const [method, path] of [['GET', '/control/faults'], ['POST', '/control/faults'], ['GET', '/control/accounts'], ['PUT', '/control/clock']] as const) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{"type":"busy"}' }) });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('only on loopback');
    }
    expect(wide.faults.pending).toHaveLength(0);
  });

  it('refuses a caller that is not on loopback even when the sandbox listens on loopback', async () => {
    const sandbox = await startSandbox();
    opened.push(sandbox);
    const answered: { status?: number; body?: string } = {};
    const response = {
      writeHead(status: number) {
        answered.status = status;
        return response;
      },
      end(body: string) {
        answered.body = body;
      },
    };
    const request = { method: 'DELETE', headers: {}, socket: { remoteAddress: '192.0.2.7' } };
    sandbox.faults.inject({ type: 'busy' });
    const deps = { faults: sandbox.faults as never, state: sandbox.state, clock: sandbox.clock, seedDay: sandbox.seedDay, listenHost: '127.0.0.1' };
    await handleControl(request as never, response as never, '/control/faults', deps);
    expect(answered.status).toBe(403);
    expect(answered.body).toContain('only on loopback');
    expect(sandbox.faults.pending).toHaveLength(1); // the DELETE did nothing
    request.socket.remoteAddress = '127.0.0.1';
    await handleControl(request as never, response as never, '/control/faults', deps);
    expect(answered.status).toBe(200);
    expect(sandbox.faults.pending).toHaveLength(0);
  });

  it('serves no control routes at all with control: false (404)', async () => {
    const closed = await startSandbox({ control: false });
    opened.push(closed);
    expect((await fetch(`${closed.controlUrl}/faults`)).status).toBe(404);
  });
});

describe('clock and seeding in process', () => {
  it('offsets the clock the sandbox uses, and seeds orders without touching balances', async () => {
    const base = new Date('2026-11-30T04:00:00Z');
    const sandbox = await startSandbox({ now: () => base });
    opened.push(sandbox);
    sandbox.clock.setOffsetMs(-60_000);
    expect(sandbox.clock.now().toISOString()).toBe('2026-11-30T03:59:00.000Z');
    expect(() => sandbox.clock.setOffsetMs(0.5)).toThrow(/integer/);
    const balances = sandbox.state.accounts.map((account) => account.balanceFen);
    const first = sandbox.seedDay('20261129', 300, { seed: 3 });
    const again = sandbox.seedDay('20261129', 300, { seed: 3 });
    expect(again).toMatchObject({ payments: first.payments, refunds: first.refunds, failed: first.failed, ordersThatDay: 600 });
    expect(sandbox.state.accounts.map((account) => account.balanceFen)).toEqual(balances);
    const seeded = sandbox.state.orders.filter((order) => order.orderNo.startsWith('SEED20261129'));
    expect(new Set(seeded.map((order) => order.orderNo)).size).toBe(600);
    // Every trade falls inside the China day 2026-11-29 (UTC 2026-11-28T16:00 .. 2026-11-29T16:00).
    for (const order of seeded) {
      expect(order.tradeTime.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-11-28T16:00:00Z'));
      expect(order.tradeTime.getTime()).toBeLessThan(Date.parse('2026-11-29T16:00:00Z'));
    }
    const refunds = seeded.filter((order) => order.type === 'REFUND');
    for (const refund of refunds) {
      const original = sandbox.state.order(refund.refundOrderNo ?? '');
      expect(original).toMatchObject({ type: 'PAYMENT', status: '80', amountFen: refund.amountFen, account: refund.account });
    }
  });
});
