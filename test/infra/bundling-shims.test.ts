// The stand-ins the bundles carry for SDK internals (infra/bundling/): the LRU cache answers as mnemonist's
// does for the calls @aws-sdk/endpoint-cache makes, the event-stream stand-in builds an S3 client but
// refuses any event stream, and the CRC classes digest as the package's.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import * as packagedCrc from '@aws-sdk/checksums/crc';
import mnemonistLruCache from 'mnemonist/lru-cache.js';
import { describe, expect, it } from 'vitest';
import * as crcShim from '../../infra/bundling/crc.js';
import LRUCache from '../../infra/bundling/lru-cache.js';
import { EventStreamSerde, eventStreamSerdeProvider, resolveEventStreamSerdeConfig } from '../../infra/bundling/no-event-streams.js';

// The package's typings describe its CommonJS export awkwardly under NodeNext; the calls compared are the shim's own.
const MnemonistLRUCache = mnemonistLruCache as unknown as new <K, V>(capacity: number) => LRUCache<K, V>;

describe('mnemonist/lru-cache stand-in', () => {
  it('answers has/peek/get/size exactly as mnemonist after the same calls, evicting the least recently used', () => {
    const ours = new LRUCache<string, number>(3);
    const theirs = new MnemonistLRUCache<string, number>(3);
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const answers = (cache: { has(k: string): boolean; peek(k: string): number | undefined; size: number }) => ({
      size: cache.size,
      entries: keys.map((key) => [key, cache.has(key), cache.peek(key)]),
    });
    const steps: ((cache: LRUCache<string, number>) => unknown)[] = [
      (c) => c.set('a', 1), (c) => c.set('b', 2), (c) => c.set('c', 3), (c) => c.get('a'), (c) => c.set('d', 4),
      (c) => c.peek('c'), (c) => c.set('e', 5), (c) => c.set('a', 6), (c) => c.get('zz'), (c) => c.set('b', 7),
    ];
    for (const step of steps) {
      expect(step(ours) ?? null).toEqual(step(theirs) ?? null);
      expect(answers(ours)).toEqual(answers(theirs));
    }
    expect(answers(ours).entries.filter(([, has]) => has).map(([key]) => key).sort()).toEqual(['a', 'b', 'e']);
    ours.clear();
    theirs.clear();
    expect(answers(ours)).toEqual(answers(theirs));
    expect(ours.size).toBe(0);
  });

  it('refuses a capacity that is not a positive number, as mnemonist does', () => {
    for (const capacity of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new LRUCache(capacity)).toThrow(/capacity/);
    }
  });
});

describe('@smithy/core/event-streams stand-in', () => {
  it('resolves the client config with its provider, and an S3 client builds with it', () => {
    const config = resolveEventStreamSerdeConfig({ eventStreamSerdeProvider });
    expect(config.eventStreamMarshaller).toBeDefined();
    const client = new S3Client({ region: 'cn-north-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, eventStreamSerdeProvider });
    expect(client.config.eventStreamMarshaller).toBeDefined();
    client.destroy();
  });

  it('refuses any event-stream use', () => {
    const marshaller = eventStreamSerdeProvider();
    expect(() => marshaller.serialize()).toThrow(/event streams are not bundled/);
    expect(() => marshaller.deserialize()).toThrow(/event streams are not bundled/);
    expect(() => new EventStreamSerde({})).toThrow(/event streams are not bundled/);
  });
});

describe('@aws-sdk/checksums/crc stand-in', () => {
  const chunks = [new TextEncoder().encode('bill row 1,20241130,'), new Uint8Array(0), new Uint8Array(70_000).map((_, index) => index * 31)];
  const digestOf = async (checksum: { update(data: Uint8Array): void; digest(): Promise<Uint8Array> }): Promise<string> => {
    for (const chunk of chunks) checksum.update(chunk);
    return Buffer.from(await checksum.digest()).toString('hex');
  };

  it("CRC32 digests as the package's Node class does, over several updates and after a reset", async () => {
    const expected = await digestOf(new packagedCrc.Crc32());
    expect(expected).toBe(zlibCrc32(Buffer.concat(chunks)).toString(16).padStart(8, '0'));
    const ours = new crcShim.Crc32();
    expect(ours.digestLength).toBe(4);
    expect(await digestOf(ours)).toBe(expected);
    ours.reset();
    expect(await digestOf(ours)).toBe(expected);
    expect(await digestOf(new crcShim.Crc32Js())).toBe(expected);
    expect(crcShim.Crc32Node).toBe(crcShim.Crc32);
  });

  it("keeps the package's own CRC32C and CRC64NVME classes (its ES build: Node here loads its CommonJS one)", async () => {
    expect(crcShim.Crc32cNode).toBe(crcShim.Crc32c);
    expect(await digestOf(new crcShim.Crc32c())).toBe(await digestOf(new packagedCrc.Crc32c()));
    expect(await digestOf(new crcShim.Crc64Nvme())).toBe(await digestOf(new packagedCrc.Crc64Nvme()));
    expect(await digestOf(new crcShim.Crc64NvmeJs())).toBe(await digestOf(new packagedCrc.Crc64NvmeJs()));
    expect(crcShim.crc64NvmeCrtContainer).toEqual(packagedCrc.crc64NvmeCrtContainer);
  });
});
