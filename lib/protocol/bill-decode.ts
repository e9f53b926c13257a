// The bill body's bytes → text over chunks: base64 and DES-ECB of a crypt_type 1 body (blocks split across
// any chunk boundary, NUL padding stripped only at the very end), then UTF-8 or, when not valid UTF-8, GBK.
import { isAscii } from 'node:buffer';
import { createDesEcb, type DesEcbMode } from './crypto.js';
import { BillEncodingRestart, GarbledResponseError } from './errors.js';

const EMPTY = new Uint8Array(0);
const NOT_BASE64_OR_SPACE = /[^A-Za-z0-9+/=\s]/;
const WHITESPACE = /\s+/g;

function notBase64(): GarbledResponseError {
  return new GarbledResponseError('encrypted bill is not base64 of whole DES blocks');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A crypt_type 1 body, chunk by chunk: base64 text (whitespace ignored, `=` only at the end) → DES-ECB
 * plaintext. Trailing NUL bytes are held back until later bytes show they were not the padding, so only
 * the final padding is dropped.
 * @throws GarbledResponseError for a byte outside base64, padding before the end, or a partial block.
 */
export class BillBodyDecryptor {
  private readonly cipher;
  private base64Carry = '';
  private padded = false;
  private heldNuls = 0;

  constructor(key8: Uint8Array, mode?: DesEcbMode) {
    this.cipher = createDesEcb(false, key8, mode);
  }

  push(chunk: Uint8Array | string): Uint8Array {
    let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    if (this.base64Carry.length > 0) text = this.base64Carry + text;
    // Fast path, no regular expression over the chunk: Node's decoder skips what is not base64 (and reads the
    // URL-safe - and _), so whole quads of the standard alphabet are exactly those that decode to 3 bytes each.
    if (!this.padded) {
      const whole = text.length - (text.length % 4);
      const quads = whole === text.length ? text : text.slice(0, whole);
      const bytes = Buffer.from(quads, 'base64');
      if (bytes.length === (whole / 4) * 3 && quads.indexOf('-') < 0 && quads.indexOf('_') < 0) {
        this.base64Carry = text.slice(whole);
        return whole === 0 ? EMPTY : this.plain(this.cipher.update(bytes));
      }
    }
    text = this.careful(text);
    const whole = text.length - (text.length % 4);
    this.base64Carry = text.slice(whole);
    if (whole === 0) return EMPTY;
    return this.plain(this.cipher.update(Buffer.from(whole === text.length ? text : text.slice(0, whole), 'base64')));
  }

  end(): Uint8Array {
    // The fast path carries a chunk's last characters as they came, whitespace included (a body ending in a line
    // break): only base64 left over, once the whitespace is gone, is a partial block.
    if (this.base64Carry.length > 0 && this.careful(this.base64Carry).length > 0) throw notBase64();
    let last: Buffer;
    try {
      last = this.cipher.final();
    } catch (error) {
      throw new GarbledResponseError('encrypted bill is not base64 of whole DES blocks', undefined, { cause: error });
    }
    const out = this.plain(last);
    this.heldNuls = 0; // the padding
    return out;
  }

  /** Whitespace removed, the alphabet checked, `=` allowed only as the last one or two characters. */
  private careful(text: string): string {
    if (NOT_BASE64_OR_SPACE.test(text)) throw notBase64();
    const compact = text.replace(WHITESPACE, '');
    if (this.padded && compact.length > 0) throw notBase64();
    const firstPad = compact.indexOf('=');
    if (firstPad >= 0) {
      const tail = compact.slice(firstPad);
      if ((tail !== '=' && tail !== '==') || firstPad % 4 < 2) throw notBase64();
      // A padded quad ends the base64; once it is whole, nothing but whitespace may follow.
      if (compact.length % 4 === 0) this.padded = true;
    }
    return compact;
  }

  /** Decrypted bytes with a trailing run of NULs held back (and the previously held run put in front). */
  private plain(bytes: Buffer): Uint8Array {
    if (bytes.length === 0) return EMPTY;
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end -= 1;
    if (end === 0) {
      this.heldNuls += bytes.length;
      return EMPTY;
    }
    const body = bytes.subarray(0, end);
    const out = this.heldNuls > 0 ? concat(new Uint8Array(this.heldNuls), body) : body;
    this.heldNuls = bytes.length - end;
    return out;
  }
}

export type BillEncoding = 'utf-8' | 'gbk';

/**
 * Bill bytes → text over chunks: UTF-8 (BOM dropped) until the first invalid sequence. If every byte up to
 * there was ASCII (where GBK and UTF-8 agree) it switches to GBK and goes on; otherwise text already given out
 * would have read differently, and it throws BillEncodingRestart: start again from the raw bytes with
 * `new BillTextDecoder('gbk')`. Holds at most three bytes of a sequence split across chunks.
 */
export class BillTextDecoder {
  /**
   * Called with `stream` although every call gets whole sequences (completeUtf8End): on Node 20 the streaming decoder
   * (ICU) is ~40% faster on CJK text than the one-shot path. The BOM is dropped by decodeUtf8, at the bill's start only.
   */
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private gbk: InstanceType<typeof TextDecoder> | undefined;
  private carry: Uint8Array = EMPTY;
  private nonAscii = false;
  private started = false;

  constructor(forced?: BillEncoding) {
    if (forced === 'gbk') this.gbk = new TextDecoder('gbk');
  }

  get encoding(): BillEncoding {
    return this.gbk ? 'gbk' : 'utf-8';
  }

  push(bytes: Uint8Array): string {
    if (this.gbk) return this.gbk.decode(bytes, { stream: true });
    const data = concat(this.carry, bytes);
    const end = completeUtf8End(data);
    this.carry = end === data.length ? EMPTY : data.slice(end);
    return this.decodeUtf8(data, end);
  }

  end(): string {
    if (this.gbk) return this.gbk.decode();
    const rest = this.carry;
    this.carry = EMPTY;
    // What is left is a sequence cut short by the end of the bill: not UTF-8.
    return rest.length === 0 ? '' : this.notUtf8(rest, undefined);
  }

  /** Invalid UTF-8 in `data` (nothing of it given out yet): GBK from here on, or a restart (see the class). */
  private notUtf8(data: Uint8Array, cause: unknown): string {
    if (this.nonAscii) {
      throw new BillEncodingRestart('the bill is not valid UTF-8 after non-ASCII text: read it again as GBK', { cause });
    }
    this.gbk = new TextDecoder('gbk');
    return this.gbk.decode(data, { stream: true });
  }

  /**
   * data[0, end) (whole sequences) as UTF-8, or (see the class) the switch to GBK for data and everything after it.
   * An all-ASCII chunk (checked at memory speed) is copied as Latin-1, which is the same text, without the decoder.
   */
  private decodeUtf8(data: Uint8Array, end: number): string {
    if (end === 0) return '';
    let bytes = data.subarray(0, end);
    if (!this.started) {
      this.started = true;
      // A BOM is dropped only at the very start of the bill.
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    let text: string;
    try {
      text = this.utf8.decode(bytes, { stream: true });
    } catch (error) {
      this.carry = EMPTY;
      return this.notUtf8(data, error);
    }
    this.nonAscii = true;
    return text;
  }
}

/** The length of the prefix of `data` that ends on a UTF-8 sequence boundary (at most 3 bytes shorter). */
function completeUtf8End(data: Uint8Array): number {
  const length = data.length;
  let i = length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (data[i]! & 0xc0) === 0x80) {
    i -= 1;
    continuation += 1;
  }
  if (i < 0) return length;
  const lead = data[i]!;
  if (lead < 0xc0) return length; // ASCII (or a stray continuation byte: let the decoder reject it)
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return length - i < needed ? i : length;
}
