// GET /v1/bills/{date}/merchants and …/report.csv over HTTP, checked against sums and categories the
// test computes itself from the paged rows and the orders it made: a matched payment, a PENDING one
// the bill settles, a refund, payments made past the gateway (missing_local), a generated day, and two
// orders the bill lacks (one FAILED, one PENDING): every row and every ledger order has its line.
import { describe, expect, it } from 'vitest';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import { fen, payPastGateway, useLocalHttp, yuan } from '../support/local-http.js';

const day = chinaDate();

const post = async (path: string, body: object) => {
  const response = await fetch(`${rig.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const rig = useLocalHttp({
  prefix: 'onecard-bill-views-',
  setup: async ({ sandbox }) => {
    expect((await post('/v1/payments', { order_no: 'v-paid', account: '32718', tranamt: '3.30', mercacc: '1001', attach: 'a,"b"' })).status).toBe(200);
    expect((await post('/v1/payments', { order_no: 'v-paid-2', account: '32718', tranamt: '7.00', mercacc: '1002' })).status).toBe(200);
    expect((await post('/v1/refunds', { order_no: 'v-refund', refund_order_no: 'v-paid-2', account: '32718', tranamt: '2.50', mercacc: '1002' })).status).toBe(200);
    sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    expect((await post('/v1/payments', { order_no: 'v-pending', account: '32718', tranamt: '4.40', mercacc: '1001' })).status).toBe(202);
    await payPastGateway(sandbox, { tranamt: '1.10', mercacc: '1003', order_no: 'v-direct' });
    // Two ledger orders the bill never holds: one the platform refused, one it was too busy to take.
    sandbox.faults.inject({ type: 'retcode', retcode: '60010', errmsg: 'balance' }, { methods: ['synjones.onecard.gdccard.pay'] });
    expect((await post('/v1/payments', { order_no: 'v-failed', account: '32718', tranamt: '5.50', mercacc: '1002' })).status).toBe(422);
    sandbox.faults.inject({ type: 'busy' }, { methods: ['synjones.onecard.gdccard.pay'] });
    expect((await post('/v1/payments', { order_no: 'v-busy', account: '32718', tranamt: '6.60', mercacc: '1001' })).status).toBe(202);
    sandbox.seedDay(day, 3000, { seed: 11 });
  },
});

interface Row {
  order_no: string;
  trade_type: string;
  order_status: string;
  mercacc: string;
  account: string;
  tranamt: string;
  out_id: string;
  trade_time: string;
}


/** The whole download, paged (rows as the API gives them). */
async function allRows(): Promise<{ rows: Row[]; first: Record<string, any> }> {
  const response = await fetch(`${rig.server.url}/v1/bills/${day}?limit=700`);
  const first = (await response.json()) as Record<string, any>;
  const rows: Row[] = [...first.rows];
  let cursor: string | null = first.next_cursor;
  while (cursor) {
    const next = (await (await fetch(`${rig.server.url}/v1/bills/${day}?limit=700&cursor=${cursor}`)).json()) as Record<string, any>;
    rows.push(...next.rows);
    cursor = next.next_cursor;
  }
  return { rows, first };
}

/** RFC 4180 lines (quoted fields may hold commas and doubled quotes; no line breaks in these). */
function parseCsv(text: string): string[][] {
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => {
      const fields: string[] = [];
      let at = 0;
      while (at <= line.length) {
        if (line[at] === '"') {
          let value = '';
          at++;
          while (at < line.length) {
            if (line[at] === '"' && line[at + 1] === '"') (value += '"'), (at += 2);
            else if (line[at] === '"') break;
            else value += line[at++];
          }
          fields.push(value);
          at += 2;
        } else {
          const end = line.indexOf(',', at);
          fields.push(line.slice(at, end === -1 ? line.length : end));
          at = end === -1 ? line.length + 1 : end + 1;
        }
      }
      return fields;
    });
}

const moved = (row: Row): boolean => row.order_status === '60' || row.order_status === '80';

describe('the day views', () => {
  it('merchants: per mercacc, the money-moving payments and refunds of the bill, sorted', async () => {
    const answer = await fetch(`${rig.server.url}/v1/bills/${day}/merchants`);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { bill_date: string; final: boolean; merchants: any[] };
    expect(body).toMatchObject({ bill_date: day, final: false });

    const { rows } = await allRows();
    const expected = new Map<string, { pc: number; pf: number; rc: number; rf: number }>();
    for (const row of rows.filter(moved)) {
      const entry = expected.get(row.mercacc) ?? { pc: 0, pf: 0, rc: 0, rf: 0 };
      if (row.trade_type === '01') (entry.pc += 1), (entry.pf += fen(row.tranamt));
      if (row.trade_type === '02') (entry.rc += 1), (entry.rf += fen(row.tranamt));
      expected.set(row.mercacc, entry);
    }
    const want = [...expected.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([mercacc, e]) => ({
        mercacc,
        payments: { count: e.pc, amount: yuan(e.pf) },
        refunds: { count: e.rc, amount: yuan(e.rf) },
        net: yuan(e.pf - e.rf),
      }));
    expect(body.merchants).toEqual(want);
    expect(want.map((m) => m.mercacc)).toEqual(expect.arrayContaining(['1001', '1002', '1003']));
    expect(want.find((m) => m.mercacc === '1002')).toMatchObject({ payments: { amount: expect.any(String) }, refunds: { count: expect.any(Number) } });
  });

  it('report.csv: the API.md columns, one line per row (categories as the test derives them) and totals that add up', async () => {
    const answer = await fetch(`${rig.server.url}/v1/bills/${day}/report.csv`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = parseCsv(await answer.text());
    expect(lines[0]).toEqual(['order_no', 'trade_type', 'category', 'field', 'ledger', 'bill', 'account', 'mercacc', 'tranamt', 'out_id', 'trade_time']);
    const body = lines.slice(1);

    // The download the CSV came from is the current one: page it and derive each row's category.
    const { rows, first } = await allRows();
    const ledgerOrders = new Set(['v-paid', 'v-paid-2', 'v-refund', 'v-pending']);
    const category = (row: Row): string => {
      if (ledgerOrders.has(row.order_no)) return 'matched'; // v-pending was settled by the first download already
      return moved(row) ? 'missing_local' : 'matched';
    };
    // One line per row, then one per ledger order of the day the bill lacks, each with its category.
    expect(body).toHaveLength(rows.length + 2);
    const byOrder = new Map(body.map((fields) => [fields[0], fields]));
    expect(rows.map((row) => row.order_no)).not.toContain('v-failed');
    expect(rows.map((row) => row.order_no)).not.toContain('v-busy');
    // Stored form: field, ledger and bill are written on mismatched lines only.
    expect(byOrder.get('v-failed')).toEqual(['v-failed', '01', 'matched', '', '', '', '32718', '1002', '5.50', '', expect.stringMatching(/\+08:00$/)]);
    expect(byOrder.get('v-busy')).toEqual(['v-busy', '01', 'mismatched', 'status', 'PENDING', '(none)', '32718', '1001', '6.60', '', expect.stringMatching(/\+08:00$/)]);
    // Neither is a difference: the FAILED order agrees with the bill (matched), the PENDING one is no mismatch but
    // a pending order, so the CSV's mismatched lines are the answer's mismatched and pending together.
    expect(first.reconciliation.counts).toMatchObject({ missing_remote: 0, mismatched: 0, pending: 1 });
    expect(first.reconciliation.pending).toEqual(['v-busy']);
    expect(body.filter((f) => f[2] === 'mismatched')).toHaveLength(first.reconciliation.counts.mismatched + first.reconciliation.counts.pending);
    expect(first.reconciliation.matched).toBe(body.filter((f) => f[2] === 'matched' && (ledgerOrders.has(f[0]!) || f[0] === 'v-failed')).length);
    for (const row of rows) {
      const fields = byOrder.get(row.order_no);
      expect(fields, row.order_no).toEqual([row.order_no, row.trade_type, category(row), '', '', '', row.account, row.mercacc, row.tranamt, row.out_id, row.trade_time]);
    }
    const sum = (wanted: string): number => body.filter((f) => f[2] === wanted).reduce((total, f) => total + fen(f[8]!), 0);
    const expectedMissing = rows.filter((row) => category(row) === 'missing_local').reduce((total, row) => total + fen(row.tranamt), 0);
    expect(sum('missing_local')).toBe(expectedMissing);
    expect(body.filter((f) => f[2] === 'missing_local')).toHaveLength(first.reconciliation.counts.missing_local);
    expect(byOrder.get('v-direct')?.[2]).toBe('missing_local');
  });

  it('report.csv: a PENDING order the download settles is "settled" in the report of that download', async () => {
    rig.sandbox.faults.inject({ type: 'dropAfterCommit' }, { methods: ['synjones.onecard.gdccard.pay'] });
    expect((await post('/v1/payments', { order_no: 'v-pending-2', account: '32718', tranamt: '0.70', mercacc: '1001' })).status).toBe(202);
    const lines = parseCsv(await (await fetch(`${rig.server.url}/v1/bills/${day}/report.csv`)).text());
    expect(lines.find((fields) => fields[0] === 'v-pending-2')?.[2]).toBe('settled');
    const page = (await (await fetch(`${rig.server.url}/v1/bills/${day}?limit=1`)).json()) as Record<string, any>;
    // The next download finds it SUCCESS in the ledger already: matched, not settled again.
    expect(page.reconciliation.settled).toBe(0);
  });
});
