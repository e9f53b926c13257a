// The daily bill (对账单): text decoding, DES-ECB decryption, the row/footer parser with its
// corruption checks, and the formatter the sandbox and tests use to produce bills.
import type { Bill, BillRow } from './types.js';
import { decodeBase64Strict, desEcbDecryptNoPadding } from './crypto.js';
import { GarbledResponseError } from './errors.js';
import { formatYuan, parseSignedYuan } from './money.js';
import { compactChinaTimeToIso, isoToCompactChinaTime } from './timestamp.js';

export const BILL_HEADER = '#交易时间,账号,账户类型,商户号,一卡通业务流水号,第三方系统订单号,交易类型,交易状态,总金额,附加数据';
export const BILL_FOOTER_HEADER = '#总行数,总金额';

const FIELD_COUNT = 10;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const gbk = new TextDecoder('gbk');

function corrupt(reason: string): GarbledResponseError {
  return new GarbledResponseError(`bill is corrupt: ${reason}`);
}

/** Bytes → text: UTF-8 when valid (BOM dropped), else GBK. */
export function decodeBillText(bytes: Buffer): string {
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    text = gbk.decode(bytes);
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

function splitRow(line: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < FIELD_COUNT - 1; i += 1) {
    const comma = line.indexOf(',', start);
    if (comma < 0) throw corrupt(`line ${lineNumber} has ${i + 1} fields, expected ${FIELD_COUNT}`);
    fields.push(line.slice(start, comma));
    start = comma + 1;
  }
  fields.push(line.slice(start));
  return fields;
}

function parseRow(line: string, lineNumber: number): BillRow {
  const fields = splitRow(line, lineNumber);
  const [time, account, acctype, mercacc, outId, orderNo, tradeType, orderStatus, amount, attach] = fields.map(
    (field, index) => (index < FIELD_COUNT - 1 ? field.trim() : field),
  ) as [string, string, string, string, string, string, string, string, string, string];
  let tradeTime: string;
  let amountFen: number;
  try {
    tradeTime = compactChinaTimeToIso(time);
  } catch {
    throw corrupt(`line ${lineNumber} has a bad trade time`);
  }
  try {
    amountFen = parseSignedYuan(amount, 'amount');
  } catch {
    throw corrupt(`line ${lineNumber} has a bad amount`);
  }
  return { tradeTime, account, acctype, mercacc, outId, orderNo, tradeType, orderStatus, amountFen, attach };
}

/**
 * Parses bill text: optional `#` header, rows of ten fields (attach last, may hold commas), physical
 * lines starting with `,` continuing the previous row, blank lines ignored, `\n` or `\r\n`; then a
 * `#` footer line and `count,total`, which the rows must agree with.
 */
export function parseBill(text: string): Bill {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  const logical: Array<{ text: string; lineNumber: number }> = [];
  let sawHeader = false;
  let footerMarkerLine = 0;
  let footer: { text: string; lineNumber: number } | undefined;

  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    if (raw.trim() === '') return;
    if (footer) throw corrupt(`unexpected content after the footer on line ${lineNumber}`);
    if (footerMarkerLine) {
      footer = { text: raw.trim(), lineNumber };
      return;
    }
    if (raw.startsWith('#')) {
      if (!sawHeader && logical.length === 0) sawHeader = true;
      else footerMarkerLine = lineNumber;
      return;
    }
    if (raw.startsWith(',')) {
      const previous = logical[logical.length - 1];
      if (!previous) throw corrupt(`line ${lineNumber} continues a row that does not exist`);
      previous.text += raw;
      return;
    }
    logical.push({ text: raw, lineNumber });
  });

  if (!footer) throw corrupt('the footer (count,total) is missing');
  const footerMatch = /^(\d{1,9})\s*,\s*(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(footer.text);
  if (!footerMatch) throw corrupt(`the footer on line ${footer.lineNumber} is not "count,total"`);
  const count = Number(footerMatch[1]);
  // The total may exceed a single amount's limit; 13 whole digits keep fen a safe integer.
  const totalMagnitude = Number(footerMatch[3]) * 100 + Number((footerMatch[4] ?? '').padEnd(2, '0'));
  const totalFen = footerMatch[2] === '-' && totalMagnitude !== 0 ? -totalMagnitude : totalMagnitude;

  const rows = logical.map((line) => parseRow(line.text, line.lineNumber));
  const sumFen = rows.reduce((sum, row) => sum + row.amountFen, 0);
  if (rows.length !== count) throw corrupt(`the footer says ${count} rows, found ${rows.length}`);
  if (sumFen !== totalFen) {
    throw corrupt(`the footer says ${formatYuan(totalFen)} yuan, rows add up to ${formatYuan(sumFen)}`);
  }
  return { rows, count, totalFen };
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
