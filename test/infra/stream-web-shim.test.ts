// The node:stream/web stand-in the bundles carry (infra/bundling/stream-web.ts): middy's only use of the
// module, `instanceof ReadableStream`, answers as it does with the real class.
import { Readable } from 'node:stream';
import { ReadableStream as RealReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../infra/bundling/stream-web.js';

describe('node:stream/web shim', () => {
  it('recognises web streams, including node:stream/web\'s own, and nothing else', () => {
    expect(new RealReadableStream() instanceof ReadableStream).toBe(true);
    expect(new globalThis.ReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.toWeb(Readable.from(['a'])) instanceof ReadableStream).toBe(true);
    expect(Readable.from(['a']) instanceof ReadableStream).toBe(false);
    expect({ getReader: () => undefined } instanceof ReadableStream).toBe(false);
    expect((null as unknown) instanceof ReadableStream).toBe(false);
    expect(('text' as unknown) instanceof ReadableStream).toBe(false);
  });
});
