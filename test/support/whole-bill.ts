// Tests' whole-bill download: downloadBillStream's bytes collected, decoded and parsed at once (what the
// platform client's old buffered downloadBill returned), so a test can compare whole bills and their text.
import type { Bill, BillRequest, PlatformClient } from '../../lib/platform/types.js';
import { decodeBillText, parseBill } from '../../lib/protocol/bill.js';

export interface DownloadedBill {
  readonly bill: Bill;
  /** The decrypted bill text as the platform sent it. */
  readonly text: string;
}

/** The day's bill whole: a small body's checked text as it is, a longer one's bytes decoded (UTF-8, else GBK). */
export async function downloadWholeBill(client: Pick<PlatformClient, 'downloadBillStream'>, request: BillRequest): Promise<DownloadedBill> {
  const streamed = await client.downloadBillStream(request);
  let text = streamed.wholeText;
  if (text === undefined) {
    const parts: Uint8Array[] = [];
    for await (const part of streamed.plain) parts.push(part);
    text = decodeBillText(Buffer.concat(parts));
  }
  return { bill: parseBill(text), text };
}
