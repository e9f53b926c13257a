// report.csv lines (lib/bills/report-csv.ts, written by pipeline.ts's ReportWriterSink) from the streaming
// reconciliation: one per matched or settled row, one per difference of a mismatched row, duplicates,
// missing_local, missing_remote from the ledger (field, ledger and bill only on mismatched lines), fields with
// commas or quotes quoted as RFC 4180 says.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fanOut, ReportWriterSink } from '../../lib/bills/pipeline.js';
import { reconcileStream } from '../../lib/bills/reconcile.js';
import { csvField, matchedEntry, reportCsvLine } from '../../lib/bills/report-csv.js';
import { ReportText } from '../../lib/bills/report-text.js';
import { OrderStatus, OrderType, type LedgerRecord } from '../../lib/ledger/records.js';
import type { BillRow } from '../../lib/platform/types.js';
import { billRow } from '../support/bill-fakes.js';

const row = (orderNo: string, over: Partial<BillRow> = {}): BillRow =>
  billRow(orderNo, { tradeTime: '2026-01-01T10:00:00+08:00', outId: `O-${orderNo}`, amountFen: 100, ...over });

const record = (orderNo: string, over: Partial<LedgerRecord> = {}): LedgerRecord =>
  ({
    orderNo,
    type: OrderType.PAYMENT,
    status: OrderStatus.SUCCESS,
    account: '32718',
    acctype: '###',
    mercacc: '1001',
    amountFen: 100,
    outId: `O-${orderNo}`,
    createdAt: '2026-01-01T02:00:00.000Z',
    updatedAt: '2026-01-01T02:00:00.000Z',
    tradeDay: '20260101',
    requestHash: 'h',
    version: 1,
    ...over,
  }) as LedgerRecord;

describe('report.csv lines', () => {
  it('classify every row and list the ledger orders the bill lacks', async () => {
    const rows = [
      row('A'),
      row('B', { account: '99999', amountFen: 200 }),
      row('C'),
      row('D'),
      row('D'),
      row('E', { orderStatus: '77' }),
    ];
    const { outId: _none, ...pendingD } = record('D', { status: OrderStatus.PENDING });
    const ledger = [record('A'), record('B'), pendingD as LedgerRecord, record('R', { amountFen: 550, mercacc: '10,01' })];
    let text = '';
    const sink = new ReportWriterSink(async (part) => void (text += part));
    await reconcileStream(rows, ledger, { sink });
    await sink.flush();
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('order_no,trade_type,category,field,ledger,bill,account,mercacc,tranamt,out_id,trade_time');
    const tail = (r: BillRow) => `${r.account},${r.mercacc},${(r.amountFen / 100).toFixed(2)},${r.outId},${r.tradeTime}`;
    expect(lines.slice(1)).toEqual([
      `A,01,matched,,,,${tail(rows[0]!)}`,
      `B,01,mismatched,account,32718,99999,${tail(rows[1]!)}`,
      `B,01,mismatched,tranamt,1.00,2.00,${tail(rows[1]!)}`,
      `C,01,missing_local,,,,${tail(rows[2]!)}`,
      `D,01,settled,,,,${tail(rows[3]!)}`,
      `D,01,mismatched,order_no,one row,duplicate row,${tail(rows[4]!)}`,
      `E,01,matched,,,,${tail(rows[5]!)}`,
      'R,01,missing_remote,,,,32718,"10,01",5.50,O-R,2026-01-01T10:00:00+08:00',
    ]);
  });

  it('quotes a field with a comma, quote or line break, and only then', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});

describe('matched lines straight from the row', () => {
  it('property: a matched row written straight from its fields is the checked line of its entry, quoting and wide characters included', () => {
    const field = fc.oneof(fc.stringMatching(/^[0-9A-Z#]{0,12}$/), fc.string({ maxLength: 8 }), fc.constantFrom('a,b', 'say "hi"', 'x\r\ny', '食堂', 'café'));
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field, field, field, fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.boolean()), { maxLength: 6 }), (specs) => {
        const text = new ReportText();
        let expected = '';
        for (const [orderNo, account, mercacc, outId, amountFen, asEntry] of specs) {
          const r = row(orderNo, { account, mercacc, outId, amountFen });
          const line = `${reportCsvLine(matchedEntry(r), true)}\r\n`;
          expected += line;
          if (asEntry) text.line(line);
          else text.matched(r);
        }
        expect(text.length).toBe(expected.length);
        expect(text.take()).toBe(expected);
        expect(text.take()).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('property: rows sharing a trade time (copied from the line before) stay exact across takes and growth', () => {
    const time = fc.constantFrom('2026-11-26T10:00:00+08:00', '2026-11-26T10:00:01+08:00', 'say "hi"', '食堂', `2026-11-26T10:00:00.${'1'.repeat(60)}+08:00`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.stringMatching(/^[0-9A-Z]{1,40}$/), time, fc.integer({ min: 0, max: 3 })), { maxLength: 40 }), (specs) => {
        const text = new ReportText();
        let expected = '';
        let got = '';
        for (const [orderNo, tradeTime, action] of specs) {
          const r = { ...row(orderNo), tradeTime };
          expected += `${reportCsvLine(matchedEntry(r), true)}\r\n`;
          text.matched(r);
          if (action === 0) got += text.take();
          if (action === 1) text.line('');
        }
        expect(got + text.take()).toBe(expected);
      }),
      { numRuns: 300 },
    );
    // Past the first buffer (128 KiB): growth keeps the earlier time where the next line copies it from.
    const text = new ReportText();
    let expected = '';
    for (let i = 0; i < 20_000; i++) {
      const r = { ...row(`O${i}`.padEnd(20 + (i % 7), 'x')), tradeTime: `2026-11-26T10:00:0${Math.floor(i / 5000)}.${'1'.repeat(60)}+08:00` };
      expected += `${reportCsvLine(matchedEntry(r), true)}\r\n`;
      text.matched(r);
    }
    expect(text.take()).toBe(expected);
  });

  it('fanOut gives a sink without matched() the entry, one with it the row', async () => {
    const entries: string[] = [];
    const rows: string[] = [];
    const both = fanOut([{ write: (e) => void entries.push(`${e.orderNo}:${e.category}:${e.amountFen}`) }, { write: () => undefined, matched: (r) => void rows.push(r.orderNo) }]);
    await both.matched!(row('M1', { amountFen: 7 }));
    expect(entries).toEqual(['M1:matched:7']);
    expect(rows).toEqual(['M1']);
  });
});
