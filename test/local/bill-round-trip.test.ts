// Issue 10's property: any payment that passes the edge's input rules comes back byte for byte in the
// sandbox's bill (crypt 0 and 1, a UTF-8 and a GBK platform) and reconciles as matched, commas in attach included.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/local/stack.js';
import { chinaDate } from '../../lib/protocol/timestamp.js';
import type { SandboxAccountSeed } from '../../lib/sandbox/types.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

interface Payment {
  readonly order_no: string;
  readonly account: string;
  readonly acctype: string;
  readonly mercacc: string;
  readonly tranamt: string;
  readonly fen: number;
  readonly attach?: string;
}

const alnum = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9A-Za-z]{1,${max}}$`));
/** Characters a campus system puts in attach: ASCII, commas of both widths, CJK, accents, and (UTF-8 only) emoji. */
const ATTACH_CHARS = ['a', 'Z', '7', ' ', ',', ';', '"', "'", '=', '&', '%', '+', '张', '三', '食', '堂', '，', '。', 'é', '😀', '€'];

function isValidAttach(text: string, encoding: 'utf8' | 'gbk'): boolean {
  if (text.length === 0 || text.trim() !== text || Buffer.byteLength(text, 'utf8') > 128) return false;
  // A GBK platform can hold only what GBK encodes; that is the platform's limit, not an input rule.
  return encoding === 'utf8' || iconv.decode(iconv.encode(text, 'gbk'), 'gbk') === text;
}

/** The yuan forms the edge accepts for an amount: "12", "12.5", "12.50". */
function yuanForms(fen: number): string[] {
  const whole = String(Math.floor(fen / 100));
  const cents = String(fen % 100).padStart(2, '0');
  return [`${whole}.${cents}`, ...(cents.endsWith('0') ? [`${whole}.${cents[0]}`] : []), ...(cents === '00' ? [whole] : [])];
}

function payments(encoding: 'utf8' | 'gbk', seed: number): Payment[] {
  const payment = fc
    .record({
      order_no: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
      account: alnum(10),
      acctype: fc.oneof(fc.constant('###'), alnum(3)),
      mercacc: alnum(10),
      // Whole yuan and tenths as often as any fen, so every written form ("12", "12.5", "12.50") is sent.
      fen: fc.oneof(fc.integer({ min: 1, max: 9_999_999 }), fc.integer({ min: 1, max: 99_999 }).map((yuan) => yuan * 100), fc.integer({ min: 1, max: 999_999 }).map((dimes) => dimes * 10)),
      form: fc.nat(),
      attach: fc.option(fc.array(fc.constantFrom(...ATTACH_CHARS), { minLength: 1, maxLength: 60 }).map((chars) => chars.join('')), { nil: undefined }),
    })
    .filter(({ attach }) => attach === undefined || isValidAttach(attach, encoding))
    .map(({ form, fen, attach, ...rest }): Payment => {
      const forms = yuanForms(fen);
      return { ...rest, fen, tranamt: forms[form % forms.length] ?? forms[0]!, ...(attach === undefined ? {} : { attach }) };
    });
  const [sample] = fc.sample(
    fc.uniqueArray(payment, { minLength: 40, maxLength: 40, selector: (p) => p.order_no }).filter(
      (list) => new Set(list.map((p) => p.account)).size === list.length,
    ),
    { seed, numRuns: 1 },
  );
  return sample!;
}

/** One sandbox account per payment, funded on the card and on the e-account type the payment names. */
function accountsFor(list: readonly Payment[]): SandboxAccountSeed[] {
  return list.map((p, index) => ({
    account: p.account,
    name: `holder-${index}`,
    balanceFen: 10_000_000,
    ...(p.acctype === '###' ? {} : { eAccounts: { [p.acctype]: 10_000_000 } }),
  }));
}

interface BillAnswer {
  readonly count: number;
  readonly rows: readonly Record<string, string>[];
  readonly reconciliation: {
    readonly matched: number;
    readonly missing_local: readonly unknown[];
    readonly missing_remote: readonly unknown[];
    readonly mismatched: readonly unknown[];
  };
}

describe.each(['utf8', 'gbk'] as const)('a %s platform', (encoding) => {
  const list = payments(encoding, encoding === 'utf8' ? 20261201 : 20261202);
  let sandbox: TestSandbox;
  let server: LocalServer;
  let dataRoot: string;

  beforeAll(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'onecard-bill-round-trip-'));
    sandbox = await startTestSandbox({ minTokenIntervalMs: 0, logger: () => undefined, accounts: accountsFor(list), billEncoding: encoding });
    server = await startLocalServer({
      port: 0,
      sandbox,
      dataDir: join(dataRoot, 'data'),
      logSink: () => undefined,
      config: { ...loadConfig({}), platformTimeoutMs: 5_000 },
      runtime: { tokenOptions: { minIssueIntervalMs: 0 } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  });

  it('is a sample worth having: attach with commas and with CJK, e-account types, every amount form', () => {
    expect(list.some((p) => p.attach?.includes(','))).toBe(true);
    expect(list.some((p) => /[\u4e00-\u9fff]/u.test(p.attach ?? ''))).toBe(true);
    expect(list.some((p) => p.acctype !== '###')).toBe(true);
    expect(list.some((p) => !p.tranamt.includes('.'))).toBe(true);
  });

  it('takes every generated payment (each passes the input rules) and charges it', async () => {
    for (const { fen: _fen, ...body } of list) {
      const answer = await fetch(`${server.url}/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await answer.json()) as Record<string, unknown>;
      expect(answer.status, JSON.stringify({ body, json })).toBeLessThan(300);
      expect(json.status).toBe('SUCCESS');
    }
  });

  it.each(['0', '1'])('finds each one unchanged in the crypt_type=%s bill, reconciled as matched', async (crypt) => {
    const answer = await fetch(`${server.url}/v1/bills/${chinaDate(new Date())}?crypt_type=${crypt}`);
    const bill = (await answer.json()) as BillAnswer;
    expect(answer.status, JSON.stringify(bill).slice(0, 500)).toBe(200);
    expect(bill.count).toBe(list.length);
    const rows = new Map(bill.rows.map((row) => [row.order_no, row]));
    for (const p of list) {
      const row = rows.get(p.order_no);
      expect(row, p.order_no).toBeDefined();
      expect({ account: row?.account, acctype: row?.acctype, mercacc: row?.mercacc, attach: row?.attach ?? '' }).toEqual({
        account: p.account,
        acctype: p.acctype,
        mercacc: p.mercacc,
        attach: p.attach ?? '',
      });
      expect(row?.tranamt).toBe(yuanForms(p.fen)[0]);
    }
    expect(bill.reconciliation.matched).toBe(list.length);
    expect([bill.reconciliation.missing_local, bill.reconciliation.missing_remote, bill.reconciliation.mismatched]).toEqual([[], [], []]);
  });
});
