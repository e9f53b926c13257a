// Yuan as the sandbox platform reads and writes it, independent of the client's money module:
// `tranamt` arrives as a JSON string or number of yuan; the platform keeps integer fen.

/** At most 8 whole digits and 2 decimals ("10", "10.5", "100.0", "0.01"). */
const YUAN = /^(\d{1,8})(?:\.(\d{1,2}))?$/;

/** Integer fen of a tranamt (string or number); undefined when it is not a positive yuan amount. */
export function yuanToFen(sent: unknown): number | undefined {
  let text: string;
  if (typeof sent === 'number') {
    if (!Number.isFinite(sent)) return undefined;
    text = String(sent);
  } else if (typeof sent === 'string') {
    text = sent;
  } else {
    return undefined;
  }
  const match = YUAN.exec(text);
  if (!match) return undefined;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return fen >= 1 ? fen : undefined;
}

/** "12.50" from 1250 fen. */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const absolute = Math.abs(fen);
  return `${sign}${Math.trunc(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

/** Yuan as the platform's Java side prints a double: "100.0", "10.5", "0.01". */
export function platformYuan(fen: number): string {
  const text = fenToYuan(fen);
  return text.endsWith('0') ? text.slice(0, -1) : text;
}
