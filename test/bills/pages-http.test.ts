// API.md "Bills" paging over HTTP through the local server: a 100,000-row day paged to the end (each
// row exactly once, every answer under 1 MB, the same header on every page), cursors that are not
// ours refused with 400, and a cursor of a replaced download refused with 409 CURSOR_STALE.
import { describe, expect, it } from 'vitest';
import { useLocalHttp } from '../support/local-http.js';

const DAY = '20260105';
const ROWS = 100_000;
const rig = useLocalHttp({
  prefix: 'onecard-bill-pages-',
  timeoutMs: 120_000,
  // The seeded day is 100,000 rows the ledger lacks: a final day's re-run opens an exception for each, for as long
  // as its invocation allows (down-bill's 300 s by default, as deployed). Paging is what is tested here: 29 s.
  server: { invocationTimeoutMs: 29_000 },
  setup: async ({ sandbox }) => {
    const seeded = sandbox.seedDay(DAY, ROWS, { seed: 7 });
    expect(seeded.created).toBe(ROWS);
  },
});

interface Answer {
  status: number;
  bytes: number;
  body: any;
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${rig.server.url}${path}`);
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

const page = (cursor?: string, limit?: number) =>
  get(`/v1/bills/${DAY}?${new URLSearchParams({ ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) })}`);

describe('a 100,000-row bill paged over HTTP', () => {
  let firstCursor: string;

  it('returns every row exactly once, each answer < 1 MB, the same header on every page', async () => {
    const first = await page();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ bill_date: DAY, bill_type: 'ALL', count: ROWS, final: true });
    expect(first.body.rows).toHaveLength(1000);
    expect(first.body.fetched_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
    // Nothing of this day is in the ledger: every money-moving row is missing_local, the list capped, the count complete.
    const reconciliation = first.body.reconciliation;
    expect(reconciliation.missing_local).toHaveLength(1000);
    expect(reconciliation.counts.missing_local).toBeGreaterThan(90_000);
    const header = { ...first.body, rows: undefined, next_cursor: undefined };
    firstCursor = first.body.next_cursor;

    const seen = new Set<string>();
    let rows = 0;
    let biggest = first.bytes;
    let biggestAt5000 = 0;
    let payments = 0;
    for (const row of first.body.rows) seen.add(row.order_no);
    rows += first.body.rows.length;
    let cursor: string | null = first.body.next_cursor;
    let pages = 1;
    while (cursor) {
      // Mostly the default 1000; every tenth page the largest limit.
      const next = await page(cursor, pages % 10 === 0 ? 5000 : undefined);
      expect(next.status).toBe(200);
      expect({ ...next.body, rows: undefined, next_cursor: undefined }).toEqual(header);
      if (next.body.rows.length > 1000) biggestAt5000 = Math.max(biggestAt5000, next.bytes);
      else biggest = Math.max(biggest, next.bytes);
      for (const row of next.body.rows) {
        seen.add(row.order_no);
        if (row.trade_type === '01' && (row.order_status === '60' || row.order_status === '80')) payments++;
      }
      rows += next.body.rows.length;
      cursor = next.body.next_cursor;
      pages++;
    }
    for (const row of first.body.rows) {
      if (row.trade_type === '01' && (row.order_status === '60' || row.order_status === '80')) payments++;
    }
    expect(rows).toBe(ROWS);
    expect(seen.size).toBe(ROWS);
    expect(biggest).toBeLessThan(1024 * 1024);
    // The largest limit stays far below Lambda's 6 MB too (rows of these sizes: about 1.2 MB).
    expect(biggestAt5000).toBeGreaterThan(0);
    expect(biggestAt5000).toBeLessThan(2 * 1024 * 1024);
    expect(header.summary.payments.count).toBe(payments);
  }, 180_000);

  it('400 for a limit outside 1–5000 and for cursors that are not ours', async () => {
    for (const limit of ['0', '5001', '-1', '1.5', 'abc', '01']) {
      const answer = await get(`/v1/bills/${DAY}?limit=${limit}`);
      expect(answer.status, limit).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION');
    }
    const [payload, signature] = firstCursor.split('.') as [string, string];
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = `${Buffer.from(JSON.stringify({ ...fields, o: 2000 })).toString('base64url')}.${signature}`;
    const otherDay = `${Buffer.from(JSON.stringify({ ...fields, b: '20260106' })).toString('base64url')}.${signature}`;
    for (const cursor of ['garbage', `${payload}.${'A'.repeat(43)}`, forged, `${payload}x.${signature}`]) {
      const answer = await page(cursor);
      expect(answer.status, cursor).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION');
    }
    // A genuine cursor of this day asked on another day.
    expect((await get(`/v1/bills/20260106?cursor=${firstCursor}`)).status).toBe(400);
    expect((await get(`/v1/bills/20260106?cursor=${otherDay}`)).status).toBe(400);
    // A cursor of the ALL bill asked for the SUCCESS bill.
    expect((await get(`/v1/bills/${DAY}?bill_type=SUCCESS&cursor=${firstCursor}`)).status).toBe(400);
    // The genuine one still works.
    expect((await page(firstCursor, 10)).body.rows).toHaveLength(10);
  }, 60_000);

  it('a re-run replaces the download: an old cursor is 409 CURSOR_STALE, a new first page gives a working one', async () => {
    const before = await page(firstCursor, 1);
    expect(before.status).toBe(200);
    await rig.server.invoke('down-bill', { kind: 'daily-bill', bill_date: DAY });
    const stale = await page(firstCursor, 1);
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CURSOR_STALE', retryable: false });
    const fresh = await page();
    expect(fresh.body.fetched_at).not.toBe(before.body.fetched_at);
    const next = await page(fresh.body.next_cursor, 1);
    expect(next.status).toBe(200);
    expect(next.body.rows[0].order_no).toBe(before.body.rows[0].order_no);
  }, 120_000);
});
