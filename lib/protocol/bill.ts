// The daily bill (对账单) whole, for small bills and tests: text decoding, DES-ECB decryption, parsing with the
// footer check (BillParser, ./bill-parser.ts, which reads downloads over chunks), and the formatter of bills.
import type { Bill, BillRow } from './types.js';
import { decodeBase64Strict, desEcbDecryptNoPadding } from './crypto.js';
import { GarbledResponseError } from './errors.js';
import { formatYuan } from './money.js';
import { isoToCompactChinaTime } from './timestamp.js';
import { BillParser } from './bill-parser.js';

export const BILL_HEADER = '#交易时间,账号,账户类型,商户号,一卡通业务流水号,第三方系统订单号,交易类型,交易状态,总金额,附加数据';
export const BILL_FOOTER_HEADER = '#总行数,总金额';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
// Made on the first GBK bill, not at module load: every function bundles this module (the platform client), and
// a GBK decoder opens ICU's converter (~0.2 ms of init).
let gbk: InstanceType<typeof TextDecoder> | undefined;

/** Bytes → text: UTF-8 when valid (BOM dropped), else GBK. */
export function decodeBillText(bytes: Buffer): string {
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    text = (gbk ??= new TextDecoder('gbk')).decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** crypt_type 1 body: base64 of DES/ECB/NoPadding, NUL-padded plaintext → the bill text. */
export function decryptBill(base64Body: string, desKey: Buffer): string {
  const bytes = decodeBase64Strict(base64Body, false);
  if (!bytes || bytes.length % 8 !== 0) {
    throw new GarbledResponseError('encrypted bill is not base64 of whole DES blocks');
  }
  const plain = desEcbDecryptNoPadding(bytes, desKey);
  let end = plain.length;
  while (end > 0) {
    const byte = plain[end - 1];
    if (byte === 0x00 || byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) end -= 1;
    else break;
  }
  return decodeBillText(plain.subarray(0, end));
}

/**
 * Parses a whole bill text (small bills, tests, the sandbox): optional `#` header, rows of ten fields (attach
 * last, may hold commas), physical lines starting with `,` continuing the previous row, blank lines ignored,
 * `\n` or `\r\n`; then a `#` footer line and `count,total`, which the rows must agree with. The same
 * BillParser reads downloads chunk by chunk (lib/bills/bill-stream.ts).
 */
export function parseBill(text: string): Bill {
  const parser = new BillParser();
  const rows = parser.push(text);
  const last = parser.end();
  for (const row of last.rows) rows.push(row);
  return { rows, count: last.footer.count, totalFen: last.footer.totalFen };
}

/**
 * Bill text for rows: header, one line per row, footer. CR/LF inside attach are written as spaces
 * (a bill row is one line). `lineEnding` defaults to "\n".
 */
export function formatBill(rows: readonly BillRow[], options: { lineEnding?: '\n' | '\r\n' } = {}): string {
  const eol = options.lineEnding ?? '\n';
  const lines = [BILL_HEADER];
  let totalFen = 0;
  for (const row of rows) {
    totalFen += row.amountFen;
    lines.push(
      [
        isoToCompactChinaTime(row.tradeTime),
        row.account,
        row.acctype,
        row.mercacc,
        row.outId,
        row.orderNo,
        row.tradeType,
        row.orderStatus,
        formatYuan(row.amountFen),
        row.attach.replace(/[\r\n]/g, ' '),
      ].join(','),
    );
  }
  lines.push(BILL_FOOTER_HEADER, `${rows.length},${formatYuan(totalFen)}`);
  return lines.join(eol) + eol;
}
