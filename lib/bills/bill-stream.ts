// The downloaded bill's bytes (lib/platform downloadBillStream) → rows as a stream, through the pure chunk
// decoder and parser of lib/protocol, so no step holds the whole bill text or all its rows.
import type { BillRow } from '../platform/types.js';
import { BillTextDecoder, type BillEncoding } from '../protocol/bill-decode.js';
import { BillParser, type BillFooter } from '../protocol/bill-parser.js';

export type { BillFooter } from '../protocol/bill-parser.js';
export type { BillEncoding } from '../protocol/bill-decode.js';

/** Rows as they are parsed, in batches (one per decoded chunk); `footer()` once the iteration has finished. */
export interface BillRowBatches extends AsyncIterable<readonly BillRow[]> {
  /** The footer the rows agreed with. @throws Error before the iteration has finished. */
  footer(): BillFooter;
  /** The text encoding the bill was read in (known for sure only at the end). */
  encoding(): BillEncoding;
}

/**
 * Rows of bill bytes, batch by batch: decoded as UTF-8 or GBK (BillTextDecoder), parsed by BillParser,
 * the footer checked at the end of the iteration. Iterate once.
 * @throws GarbledResponseError (during iteration) for a corrupt bill; BillEncodingRestart when the bytes must
 * be read again with `{ encoding: 'gbk' }` (see BillTextDecoder).
 */
export interface BillRowOptions {
  readonly encoding?: BillEncoding;
  /** Given the decoded text chunk by chunk before its rows are parsed (the raw archive); awaited. */
  readonly onText?: (text: string) => Promise<void> | void;
}

export function billRowBatches(plain: AsyncIterable<Uint8Array>, options: BillRowOptions = {}): BillRowBatches {
  let footer: BillFooter | undefined;
  const decoder = new BillTextDecoder(options.encoding);
  async function* run(): AsyncGenerator<readonly BillRow[]> {
    const parser = new BillParser();
    const onText = options.onText;
    for await (const chunk of plain) {
      const text = decoder.push(chunk);
      if (onText && text.length > 0) await onText(text);
      const rows = parser.push(text);
      if (rows.length > 0) yield rows;
    }
    const end = decoder.end();
    if (onText && end.length > 0) await onText(end);
    const tail = parser.push(end);
    const last = parser.end();
    const rows = tail.length === 0 ? last.rows : [...tail, ...last.rows];
    if (rows.length > 0) yield rows;
    footer = last.footer;
  }
  return {
    [Symbol.asyncIterator]: () => run(),
    footer() {
      if (!footer) throw new Error('the bill footer is known only after every row was read');
      return footer;
    },
    encoding: () => decoder.encoding,
  };
}

/** Row by row over billRowBatches (the convenient form; batches are cheaper at a million rows). */
export async function* billRows(batches: AsyncIterable<readonly BillRow[]>): AsyncGenerator<BillRow> {
  for await (const batch of batches) yield* batch;
}

export { chunksOf } from '../platform/bill-body.js';
