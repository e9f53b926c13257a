// The bill text parser over chunks: lines split across any chunk boundary, continuation lines (a physical
// line starting with `,` continues the previous row), the header, the footer and its count/total check; a row line in
// the usual shape is read with one regular-expression match (USUAL_ROW), every other line field by field.
import type { BillRow } from './types.js';
import { GarbledResponseError } from './errors.js';
import { formatYuan, parseSignedYuan } from './money.js';
import { compactChinaTimeToIso } from './timestamp.js';

/**
 * A parsed row, made by a constructor rather than an object literal: V8 tracks a literal's allocation site and,
 * when one scavenge finds every object it made since the last still alive (a batch of rows waiting to be judged),
 * allocates all its later objects straight in the old generation, so a million short-lived rows each pass through
 * a full mark-compact (54 of them in a 1,000,000-row pass, ~1 s of CPU). Constructed objects carry no such site.
 */
class ParsedRow implements BillRow {
  constructor(
    readonly tradeTime: string,
    readonly account: string,
    readonly acctype: string,
    readonly mercacc: string,
    readonly outId: string,
    readonly orderNo: string,
    readonly tradeType: string,
    readonly orderStatus: string,
    readonly amountFen: number,
    readonly attach: string,
  ) {}
}

/** The footer of a bill: its own row count and total, which the rows agreed with. */
export interface BillFooter {
  readonly count: number;
  readonly totalFen: number;
}

const FIELD_COUNT = 10;
/**
 * The longest row the parser takes, its continuation lines joined (characters). The spec's longest row is ~250
 * bytes (account String(10), acctype String(3), mercacc String(10), order_no String(32), attach String(128), …);
 * a longer one is not a row of the platform's but a corrupt or hostile bill, refused before it is held whole
 * (a bill's one line could otherwise grow to the size of the body).
 */
export const MAX_ROW_CHARS = 8192;
/**
 * The longest field of a row (characters), attach apart: 4–40 times the spec's byte lengths (account String(10),
 * order_no String(32), …; a character may be several bytes where the platform stores GBK), and the longest attach
 * (String(128) in the spec). What a row holds reaches every answer (pages, reconciliation lists, exceptions), so a
 * longer field is a corrupt bill, refused here rather than carried into an answer past 6 MB.
 */
export const MAX_FIELD_CHARS = 128;
export const MAX_ATTACH_CHARS = 512;
/** The wire names of a row's fields before attach, in their order. */
const FIELD_NAMES = ['trade_time', 'account', 'acctype', 'mercacc', 'out_id', 'order_no', 'trade_type', 'order_status', 'tranamt'] as const;

/** Refuses a row whose field (index in FIELD_NAMES) or attach is longer than its limit. */
function checkLengths(fields: readonly string[], from: number, attach: string, lineNumber: number): void {
  for (let i = 1; i <= 7; i++) {
    if (fields[i + from]!.length > MAX_FIELD_CHARS) throw billCorrupt(`line ${lineNumber} has a ${FIELD_NAMES[i]} longer than ${MAX_FIELD_CHARS} characters`);
  }
  if (attach.length > MAX_ATTACH_CHARS) throw billCorrupt(`line ${lineNumber} has an attach longer than ${MAX_ATTACH_CHARS} characters`);
}
const FOOTER_PATTERN = /^(\d{1,9})\s*,\s*(-?)(\d{1,13})(?:\.(\d{1,2}))?$/;
const COMMA = 0x2c;
const HASH = 0x23;

export function billCorrupt(reason: string): GarbledResponseError {
  return new GarbledResponseError(`bill is corrupt: ${reason}`);
}

/** A line or row past MAX_ROW_CHARS (`what`: "line 7", "the row of line 7"). */
const tooLong = (what: string): GarbledResponseError => billCorrupt(`${what} is longer than ${MAX_ROW_CHARS} characters`);

/** A line that trim() empties; the common first characters are answered without trimming. */
function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const first = line.charCodeAt(0);
  if ((first >= 0x30 && first <= 0x39) || first === HASH || first === COMMA) return false;
  return line.trim() === '';
}

/** The two decimal digits at `at` as a number, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 0x30;
  const ones = text.charCodeAt(at + 1) - 0x30;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** line[start, end) trimmed, without calling trim() when neither end is whitespace (the usual case). */
function trimmed(line: string, start: number, end: number): string {
  if (end > start && line.charCodeAt(start) > 0x20 && line.charCodeAt(end - 1) > 0x20) {
    const first = line.charCodeAt(start);
    const last = line.charCodeAt(end - 1);
    if (first < 0x7f && last < 0x7f) return line.slice(start, end);
  }
  return line.slice(start, end).trim();
}

/**
 * "12.34" → 1234 without a regular expression for the usual shape (digits, a dot, two digits);
 * anything else goes through parseSignedYuan, which owns the rules.
 */
function parseAmount(text: string): number {
  const length = text.length;
  if (length >= 4 && length <= 11 && text.charCodeAt(length - 3) === 0x2e) {
    let fen = 0;
    for (let i = 0; i < length; i += 1) {
      if (i === length - 3) continue;
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return parseSignedYuan(text, 'amount');
      fen = fen * 10 + digit;
    }
    return fen;
  }
  return parseSignedYuan(text, 'amount');
}

/** A field with nothing for trim() to remove: empty, or starting and ending with neither whitespace nor a comma. */
const CLEAN_FIELD = String.raw`((?:[^\s,](?:[^,\n]*[^\s,])?)?)`;

/**
 * A row line in the usual shape, up to and including its LF, when the next line starts with a digit or `#` (so it is
 * not continued): a 14-digit time (captured as yyyyMMdd and HHmmss), seven clean fields, an amount of up to 8 digits
 * and exactly 2 decimals, and attach (the rest of the line, as it is). Such a line reads the same as parseRow reads
 * it; every other line takes parseRow's path. Sticky: matched at lastIndex only.
 */
const USUAL_ROW = new RegExp(
  String.raw`(\d{8})(\d{6}),${Array(7).fill(CLEAN_FIELD).join(',')},(\d{1,8}\.\d\d),([^\n]*)\n(?=[\d#])`,
  'y',
);

/** Where the first line break of `text` ends (after its CR, LF or CRLF), or -1 when there is none. */
function firstBreakEnd(text: string): number {
  const lf = text.indexOf('\n');
  // A CR is the first break when there is one before the first LF (or anywhere, without an LF).
  const cr = lf < 0 || text.lastIndexOf('\r', lf) >= 0 ? text.indexOf('\r') : -1;
  if (cr < 0) return lf < 0 ? -1 : lf + 1;
  return text.charCodeAt(cr + 1) === 0x0a ? cr + 2 : cr + 1;
}

/** CR and CRLF as LF. */
function normalizeBreaks(text: string): string {
  return text.indexOf('\r') >= 0 ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Incremental parser: push text chunks as they are decoded, take the rows each push completes, and
 * end() for the footer. Holds only the current line and the row it may still continue.
 * @throws GarbledResponseError (from push or end) for a malformed row, content after the footer, a
 * missing footer or one the rows disagree with.
 */
export class BillParser {
  private carry = '';
  private lineNumber = 0;
  private sawContent = false;
  private sawHeader = false;
  private footerMarkerLine = 0;
  private footer: { text: string; lineNumber: number } | undefined;
  private pending: string | undefined;
  private pendingLine = 0;
  private rowCount = 0;
  private sumFen = 0;
  private lastCompactTime = '';
  private lastIsoTime = '';
  private ended = false;
  private started = false;
  /** Reused for every row: the nine fields before attach. */
  private readonly fields: string[] = new Array<string>(FIELD_COUNT - 1).fill('');
  private lastDate = '';
  private lastIsoDate = '';
  /** The last time a USUAL_ROW match gave (yyyyMMdd, HHmmss) and its ISO form. */
  private usualDay = '';
  private usualClock = '';
  private usualIso = '';

  /** The rows completed by this chunk (a row completes when the next line shows it is not continued). */
  push(chunk: string): BillRow[] {
    const out: BillRow[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR at the very end may be the first half of CRLF: decide with the next chunk.
    let hold = '';
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) {
      hold = '\r';
      text = text.slice(0, -1);
    }
    if (this.carry.length > 0) {
      // The carried line ends at this chunk's first line break: read it alone, not the carry joined to the chunk.
      const at = firstBreakEnd(text);
      if (at < 0) {
        this.carry += text + hold;
        this.checkCarry(hold.length);
        return out;
      }
      this.lines(normalizeBreaks(this.carry + text.slice(0, at)), out);
      text = text.slice(at);
    }
    this.carry = this.lines(normalizeBreaks(text), out) + hold;
    this.checkCarry(hold.length);
    return out;
  }

  /** The line not yet ended (less the CR held at its end, maybe half a CRLF): refused once longer than any row may be. */
  private checkCarry(held: number): void {
    if (this.carry.length - held > MAX_ROW_CHARS) throw tooLong(`line ${this.lineNumber + 1}`);
  }

  /** The last rows and the footer, after checking the rows agree with it. */
  end(): { rows: BillRow[]; footer: BillFooter } {
    if (this.ended) throw new Error('BillParser.end() called twice');
    this.ended = true;
    const out: BillRow[] = [];
    const rest = this.carry.replace(/\r/g, '\n');
    this.carry = '';
    for (const line of rest.split('\n')) this.line(line, out);
    this.closePending(out);
    return { rows: out, footer: this.checkFooter() };
  }

  /**
   * Every whole line of `text` (no CR in it), the text after its last LF returned. A row line in the usual shape (see
   * USUAL_ROW) followed in this text by a line that starts with a digit or `#` is complete and is read in one match;
   * any other line goes through line(), as every line did before.
   */
  private lines(text: string, out: BillRow[]): string {
    const usual = USUAL_ROW;
    let start = 0;
    for (;;) {
      if (this.footerMarkerLine === 0) {
        usual.lastIndex = start;
        const match = usual.exec(text);
        if (match !== null) {
          // What line() and then closePending() do for this line, with nothing to trim or check but the time.
          this.lineNumber += 1;
          if (usual.lastIndex - start > MAX_ROW_CHARS + 1) throw tooLong(`line ${this.lineNumber}`);
          this.closePending(out);
          this.sawContent = true;
          this.usualRow(match, out);
          start = usual.lastIndex;
          continue;
        }
      }
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      this.line(text.slice(start, newline), out);
      start = newline + 1;
    }
    return start === 0 ? text : text.slice(start);
  }

  /** A row matched by USUAL_ROW: its fields as matched, the amount's digits read, the time as the last one's when equal. */
  private usualRow(match: RegExpExecArray, out: BillRow[]): void {
    // match[3..9] are the fields account … order_status (FIELD_NAMES 1..7), match[11] attach. A line no longer than
    // the field limit holds no field past it (nearly every row): nothing to look at.
    if (match[0].length > MAX_FIELD_CHARS) checkLengths(match, 2, match[11]!, this.lineNumber);
    const day = match[1]!;
    const clock = match[2]!;
    let tradeTime = this.usualIso;
    if (clock !== this.usualClock || day !== this.usualDay) {
      tradeTime = this.tradeTime(day + clock, this.lineNumber);
      this.usualDay = day;
      this.usualClock = clock;
      this.usualIso = tradeTime;
    }
    const amount = match[10]!;
    let amountFen = 0;
    for (let i = 0; i < amount.length; i += 1) {
      const code = amount.charCodeAt(i);
      if (code !== 0x2e) amountFen = amountFen * 10 + (code - 0x30);
    }
    this.rowCount += 1;
    this.sumFen += amountFen;
    out.push(new ParsedRow(tradeTime, match[3]!, match[4]!, match[5]!, match[6]!, match[7]!, match[8]!, match[9]!, amountFen, match[11]!));
  }

  private line(raw: string, out: BillRow[]): void {
    this.lineNumber += 1;
    if (raw.length > MAX_ROW_CHARS) throw tooLong(`line ${this.lineNumber}`);
    if (isBlank(raw)) return;
    if (this.footer) throw billCorrupt(`unexpected content after the footer on line ${this.lineNumber}`);
    if (this.footerMarkerLine) {
      this.footer = { text: raw.trim(), lineNumber: this.lineNumber };
      return;
    }
    const first = raw.charCodeAt(0);
    if (first === COMMA) {
      if (this.pending === undefined) throw billCorrupt(`line ${this.lineNumber} continues a row that does not exist`);
      this.pending += raw;
      if (this.pending.length > MAX_ROW_CHARS) throw tooLong(`the row of line ${this.pendingLine}`);
      return;
    }
    this.closePending(out);
    if (first === HASH) {
      if (!this.sawHeader && !this.sawContent) this.sawHeader = true;
      else this.footerMarkerLine = this.lineNumber;
      return;
    }
    this.sawContent = true;
    this.pending = raw;
    this.pendingLine = this.lineNumber;
  }

  private closePending(out: BillRow[]): void {
    if (this.pending === undefined) return;
    const row = this.parseRow(this.pending, this.pendingLine);
    this.pending = undefined;
    this.rowCount += 1;
    this.sumFen += row.amountFen;
    out.push(row);
  }

  /**
   * yyyyMMddHHmmss → ISO +08:00. The date is validated once per day it changes to (compactChinaTimeToIso), the
   * time of day by digit ranges: a bill is a day of rows in time order.
   */
  private tradeTime(compact: string, lineNumber: number): string {
    if (compact === this.lastCompactTime && compact.length === 14) return this.lastIsoTime;
    let iso: string | undefined;
    if (compact.length === 14 && this.lastDate !== '' && compact.startsWith(this.lastDate)) {
      const hour = twoDigits(compact, 8);
      const minute = twoDigits(compact, 10);
      const second = twoDigits(compact, 12);
      if (hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
        iso = `${this.lastIsoDate}T${compact.slice(8, 10)}:${compact.slice(10, 12)}:${compact.slice(12, 14)}+08:00`;
      }
    }
    if (iso === undefined) {
      try {
        iso = compactChinaTimeToIso(compact);
      } catch {
        throw billCorrupt(`line ${lineNumber} has a bad trade time`);
      }
      this.lastDate = compact.slice(0, 8);
      this.lastIsoDate = iso.slice(0, 10);
    }
    this.lastCompactTime = compact;
    this.lastIsoTime = iso;
    return iso;
  }

  private parseRow(line: string, lineNumber: number): BillRow {
    const fields = this.fields;
    let start = 0;
    for (let i = 0; i < FIELD_COUNT - 1; i += 1) {
      const comma = line.indexOf(',', start);
      if (comma < 0) throw billCorrupt(`line ${lineNumber} has ${i + 1} fields, expected ${FIELD_COUNT}`);
      fields[i] = trimmed(line, start, comma);
      start = comma + 1;
    }
    const attach = line.slice(start);
    if (line.length > MAX_FIELD_CHARS) checkLengths(fields, 0, attach, lineNumber);
    let amountFen: number;
    try {
      amountFen = parseAmount(fields[8]!);
    } catch {
      throw billCorrupt(`line ${lineNumber} has a bad amount`);
    }
    return new ParsedRow(this.tradeTime(fields[0]!, lineNumber), fields[1]!, fields[2]!, fields[3]!, fields[4]!, fields[5]!, fields[6]!, fields[7]!, amountFen, attach);
  }

  private checkFooter(): BillFooter {
    const footer = this.footer;
    if (!footer) throw billCorrupt('the footer (count,total) is missing');
    const match = FOOTER_PATTERN.exec(footer.text);
    if (!match) throw billCorrupt(`the footer on line ${footer.lineNumber} is not "count,total"`);
    const count = Number(match[1]);
    // The total may exceed a single amount's limit; 13 whole digits keep fen a safe integer.
    const magnitude = Number(match[3]) * 100 + Number((match[4] ?? '').padEnd(2, '0'));
    const totalFen = match[2] === '-' && magnitude !== 0 ? -magnitude : magnitude;
    if (this.rowCount !== count) throw billCorrupt(`the footer says ${count} rows, found ${this.rowCount}`);
    if (this.sumFen !== totalFen) {
      throw billCorrupt(`the footer says ${formatYuan(totalFen)} yuan, rows add up to ${formatYuan(this.sumFen)}`);
    }
    return { count, totalFen };
  }
}
