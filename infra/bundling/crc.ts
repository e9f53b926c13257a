// Bundled in place of @aws-sdk/checksums/crc (esbuild alias, see gateway-functions.ts): the same checksum classes, but
// CRC32's native one (what S3 puts and reads are checked with) takes node:zlib when its first checksum is made, where
// the package's `import * as zlib` loads zlib at module load: ~1–1.5 ms of down-bill's init for its first S3 call.
import { createRequire } from 'node:module';
import { Crc32Js } from '@smithy/core/checksum';
import type { Checksum } from '@smithy/types';

// The package's own ES build for the classes kept as they are (a path its exports map does not list, so by file),
// typed by the package's declarations of the same names.
import {
  Crc32c as packagedCrc32c,
  Crc32cJs as packagedCrc32cJs,
  Crc64Nvme as packagedCrc64Nvme,
  Crc64NvmeJs as packagedCrc64NvmeJs,
  crc64NvmeCrtContainer as packagedCrtContainer,
  // @ts-expect-error TS7016: the ES build has no declaration file beside it
} from '../../node_modules/@aws-sdk/checksums/dist-es/submodules/crc/index.js';
import type * as declared from '@aws-sdk/checksums/crc';

export const Crc32c: typeof declared.Crc32c = packagedCrc32c;
export const Crc32cNode: typeof declared.Crc32cNode = packagedCrc32c;
export const Crc32cJs: typeof declared.Crc32cJs = packagedCrc32cJs;
export const Crc64Nvme: typeof declared.Crc64Nvme = packagedCrc64Nvme;
export const Crc64NvmeJs: typeof declared.Crc64NvmeJs = packagedCrc64NvmeJs;
export const crc64NvmeCrtContainer: typeof declared.crc64NvmeCrtContainer = packagedCrtContainer;
export { Crc32Js };

type NativeCrc32 = (data: Uint8Array, value?: number) => number;

let native: NativeCrc32 | null | undefined;

/** zlib.crc32 (Node ≥ 20.15), loaded on the first call; null where this Node lacks it (then Crc32Js does the work). */
function nativeCrc32(): NativeCrc32 | null {
  if (native === undefined) {
    const zlib = createRequire(import.meta.url)('node:zlib') as { crc32?: NativeCrc32 };
    native = typeof zlib.crc32 === 'function' ? zlib.crc32 : null;
  }
  return native;
}

/** As @smithy/core's Crc32Node: zlib's crc32 over the updates, big-endian digest; Crc32Js where zlib has none. */
export class Crc32Node implements Checksum {
  readonly digestLength = 4;
  private value = 0;
  private readonly crc32 = nativeCrc32();
  private readonly fallback = this.crc32 ? undefined : new Crc32Js();

  update(data: Uint8Array): void {
    if (this.fallback) this.fallback.update(data);
    else this.value = (this.crc32 as NativeCrc32)(data, this.value);
  }

  digestSync(): number {
    return this.fallback ? this.fallback.digestSync() : this.value >>> 0;
  }

  async digest(): Promise<Uint8Array> {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.digestSync(), false);
    return out;
  }

  reset(): void {
    this.value = 0;
    this.fallback?.reset();
  }
}

export { Crc32Node as Crc32 };
