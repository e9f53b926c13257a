// The bill endpoint's body as a stream: the bill's own bytes (crypt_type 1: base64 + DES-ECB over chunks, NUL
// padding dropped at the end), and the first bytes looked at before the caller gets the stream.
import { BillBodyDecryptor } from '../protocol/bill-decode.js';
import type { DesEcbMode } from '../protocol/crypto.js';

export interface PlainBytesOptions {
  readonly cryptType: '0' | '1';
  /** The 8-byte DES key (credentials.billDesKey); needed for crypt_type 1. */
  readonly desKey?: Uint8Array;
  /** Force a DES path (tests, bench); default desEcbMode(). */
  readonly desMode?: DesEcbMode;
}

/**
 * The bill's bytes as the platform meant them (what the raw archive keeps): the body itself for crypt_type 0,
 * base64-decoded and DES-decrypted with the trailing NUL padding dropped for crypt_type 1.
 * @throws GarbledResponseError when a crypt_type 1 body is not base64 of whole DES blocks.
 */
export async function* billPlainBytes(body: AsyncIterable<Uint8Array>, options: PlainBytesOptions): AsyncGenerator<Uint8Array> {
  if (options.cryptType === '0') {
    yield* body;
    return;
  }
  if (!options.desKey) throw new Error('a crypt_type 1 bill needs the DES key');
  const decryptor = new BillBodyDecryptor(options.desKey, options.desMode);
  for await (const chunk of body) {
    const plain = decryptor.push(chunk);
    if (plain.length > 0) yield plain;
  }
  const last = decryptor.end();
  if (last.length > 0) yield last;
}

/** Chunks of an in-memory body (tests, small bills, a buffered transport), `size` bytes each. */
export async function* chunksOf(bytes: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}

/** The head of a body: its first chunks up to `limit` bytes, whether that was all of it, and the rest to read. */
export interface BodyHead {
  readonly head: Buffer;
  readonly complete: boolean;
  readonly rest: AsyncIterable<Uint8Array>;
}

/** Reads chunks until `limit` bytes or the end; the rest stays unread (iterate `rest` once). */
export async function readHead(body: AsyncIterable<Uint8Array>, limit: number): Promise<BodyHead> {
  const iterator = body[Symbol.asyncIterator]();
  const parts: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) {
      complete = true;
      break;
    }
    parts.push(next.value);
    size += next.value.length;
  }
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
  };
  return { head: Buffer.concat(parts), complete, rest };
}

/** The head, then the rest, as one body again. */
export async function* rejoin(head: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  yield* rest;
}
