// report.csv's text as it is gathered for its writer: lines into one-byte (Latin-1) chunks, a matched row's line
// written field by field straight from the row. The bill is decoded whole, so a row's fields are two-byte strings
// as soon as the bill holds one Chinese character (an attach); lines made of them, joined and encoded to UTF-8
// cost more than the rest of the report. Bytes here are the text's code units up to U+00FF; a line with a wider
// one is kept as a string piece instead, in its place, so a chunk is exactly the text its lines make.
import type { BillRow } from '../platform/types.js';
import { matchedEntry, reportCsvLine } from './report-csv.js';

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;
/** What a matched line holds between trade_type and account, as bytes (read from a typed array, not a string). */
const MATCHED = Uint8Array.from(',matched,,,,', (c) => c.charCodeAt(0));
/** Room kept free after each field copied: the separators and line end written between copies without a check. */
const SLACK = 32;

export class ReportText {
  private bytes = Buffer.allocUnsafe(1 << 17);
  private at = 0;
  private pieces: string[] = [];
  private pieceChars = 0;

  /** Characters gathered since the last take. */
  get length(): number {
    return this.pieceChars + this.at;
  }

  /** Appends text as it is (a whole line with its line end). */
  line(text: string): void {
    const start = this.at;
    if (this.copy(text, false)) return;
    this.at = start;
    this.spill();
    this.pieces.push(text);
    this.pieceChars += text.length;
  }

  /**
   * Appends the line of a bill row that matched its order, reportCsvLine(matchedEntry(row), true) + CRLF: straight
   * from the row's fields while none needs quoting (a row's fields come split on commas and line ends, so they
   * hardly ever do), else that checked line itself.
   */
  matched(row: BillRow): void {
    const start = this.at;
    if (Number.isSafeInteger(row.amountFen) && this.copy(row.orderNo, true)) {
      // this.bytes is read afresh after each copy: a copy may grow it.
      this.bytes[this.at++] = COMMA;
      if (this.copy(row.tradeType, true)) {
        const bytes = this.bytes;
        let at = this.at;
        for (let i = 0; i < MATCHED.length; i++) bytes[at++] = MATCHED[i]!;
        this.at = at;
        if (this.copy(row.account, true)) {
          this.bytes[this.at++] = COMMA;
          if (this.copy(row.mercacc, true)) {
            this.bytes[this.at++] = COMMA;
            this.yuan(row.amountFen);
            this.bytes[this.at++] = COMMA;
            if (this.copy(row.outId, true)) {
              this.bytes[this.at++] = COMMA;
              if (this.time(row.tradeTime)) {
                this.bytes[this.at++] = CR;
                this.bytes[this.at++] = LF;
                return;
              }
            }
          }
        }
      }
    }
    this.at = start;
    this.line(`${reportCsvLine(matchedEntry(row), true)}\r\n`);
  }

  /** The last trade time copied and where (rows of one second share the string): copied again from there. */
  private lastTime = '';
  private lastTimeAt = -1;

  private time(text: string): boolean {
    const from = this.lastTimeAt;
    if (text === this.lastTime && from >= 0) {
      if (this.at + text.length + SLACK > this.bytes.length) this.grow(text.length + SLACK);
      const at = this.at;
      this.bytes.copyWithin(at, from, from + text.length);
      this.lastTimeAt = at;
      this.at = at + text.length;
      return true;
    }
    const at = this.at;
    if (!this.copy(text, true)) return false;
    this.lastTime = text;
    this.lastTimeAt = at;
    return true;
  }

  /** The text gathered, and a fresh start. */
  take(): string {
    this.spill();
    const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
    this.pieces = [];
    this.pieceChars = 0;
    return text;
  }

  /** Copies `text` in as bytes; false (partly copied) at a code unit above U+00FF, or one CSV must quote if `field`. */
  private copy(text: string, field: boolean): boolean {
    const length = text.length;
    if (this.at + length + SLACK > this.bytes.length) this.grow(length + SLACK);
    const bytes = this.bytes;
    let at = this.at;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      // Nearly every character is above '"', not a comma and at most U+00FF: only the others are looked at again.
      if (c <= QUOTE || c === COMMA || c > 0xff) {
        if (c > 0xff || (field && (c === COMMA || c === QUOTE || c === CR || c === LF))) return false;
      }
      bytes[at++] = c;
    }
    this.at = at;
    return true;
  }

  /** formatYuan(fen)'s digits (a safe integer): [-]whole.cents. */
  private yuan(fen: number): boolean {
    if (this.at + 24 > this.bytes.length) this.grow(24);
    const bytes = this.bytes;
    let at = this.at;
    if (fen < 0) bytes[at++] = 45; // -
    const absolute = fen < 0 ? -fen : fen;
    let whole = Math.trunc(absolute / 100);
    const cents = absolute - whole * 100;
    const first = at;
    do {
      bytes[at++] = 48 + (whole % 10);
      whole = Math.trunc(whole / 10);
    } while (whole > 0);
    for (let low = first, high = at - 1; low < high; low++, high--) {
      const digit = bytes[low]!;
      bytes[low] = bytes[high]!;
      bytes[high] = digit;
    }
    bytes[at++] = 46; // .
    bytes[at++] = 48 + Math.trunc(cents / 10);
    bytes[at++] = 48 + (cents % 10);
    this.at = at;
    return true;
  }

  private spill(): void {
    this.lastTimeAt = -1;
    if (this.at === 0) return;
    this.pieces.push(this.bytes.toString('latin1', 0, this.at));
    this.pieceChars += this.at;
    this.at = 0;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + need));
    this.bytes.copy(next, 0, 0, this.at);
    this.bytes = next;
  }
}
