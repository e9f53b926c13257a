// A set of order numbers held as sorted 64-bit digests (8 bytes each, no strings kept): how the exception feed
// remembers which orders it must watch for without holding a day's worth of order numbers.
import { createHash } from 'node:crypto';

/** 64 bits of MD5 (not for secrecy): two order numbers share it with odds of about 1 in 10^19 per pair. */
export function orderDigest(orderNo: string): bigint {
  return createHash('md5').update(orderNo, 'utf8').digest().readBigUInt64BE(0);
}

export class OrderDigests {
  private digests = new BigUint64Array(64);
  /** How many distinct orders (after `seal`). */
  length = 0;

  add(orderNo: string): void {
    if (this.length === this.digests.length) {
      const grown = new BigUint64Array(this.digests.length * 2);
      grown.set(this.digests);
      this.digests = grown;
    }
    this.digests[this.length++] = orderDigest(orderNo);
  }

  /** Sorts and drops repeats; call once the adds are done, before indexOf. */
  seal(): this {
    const view = this.digests.subarray(0, this.length).sort();
    let distinct = 0;
    for (let i = 0; i < view.length; i++) {
      if (distinct === 0 || view[i] !== view[distinct - 1]) view[distinct++] = view[i] as bigint;
    }
    this.digests = this.digests.slice(0, Math.max(distinct, 1));
    this.length = distinct;
    return this;
  }

  /** The order's position among the sealed digests (stable: usable to index a parallel array), or -1. */
  indexOf(orderNo: string): number {
    if (this.length === 0) return -1;
    const value = orderDigest(orderNo);
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = this.digests[middle] as bigint;
      if (at === value) return middle;
      if (at < value) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}
