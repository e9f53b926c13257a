// The held orders' hash table helpers (held-orders.ts): the order_no hash, and (hash, slot) pairs sorted by their
// home entry so that a day's orders are placed in the table in one sweep.

/**
 * FNV-1a over pairs of code units (one multiply per two: the multiplies chain, so this halves the hash's latency),
 * then murmur3's finaliser: order_nos differ in their last digits, and the table uses the low bits.
 */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  const length = text.length;
  let i = 0;
  for (; i + 1 < length; i += 2) hash = Math.imul(hash ^ (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)), 0x01000193);
  if (i < length) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0;
}

/** The same values in twice the room. */
export function grown(values: Int32Array): Int32Array {
  const next = new Int32Array(values.length * 2);
  next.set(values);
  return next;
}

/** (hash, slot) pairs sorted by home entry (hash & mask), stable: an LSD radix sort over 8-bit digits. */
export function sortedByHome(keys: Int32Array, slots: Int32Array, mask: number): [Int32Array, Int32Array] {
  const n = keys.length;
  let fromKeys: Int32Array = keys;
  let fromSlots: Int32Array = slots;
  let toKeys: Int32Array = new Int32Array(n);
  let toSlots: Int32Array = new Int32Array(n);
  const counts = new Int32Array(257);
  for (let shift = 0; shift < 32 && mask >>> shift !== 0; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(((fromKeys[i]! & mask) >>> shift) & 0xff) + 1]! += 1;
    for (let d = 1; d <= 256; d++) counts[d]! += counts[d - 1]!;
    for (let i = 0; i < n; i++) {
      const key = fromKeys[i]!;
      const at = counts[((key & mask) >>> shift) & 0xff]!++;
      toKeys[at] = key;
      toSlots[at] = fromSlots[i]!;
    }
    [fromKeys, toKeys] = [toKeys, fromKeys];
    [fromSlots, toSlots] = [toSlots, fromSlots];
  }
  return [fromKeys, fromSlots];
}
