// The held orders' hash table (held-orders.ts) apart from its lookups: the order_no hash, the entry's form, and the
// building of the table, (hash, slot) pairs sorted by their home entry so that a day's orders are placed in one sweep.

/** A table entry's parts: the slot + 1 (24 bits; 0: empty), and the hash's top 8 bits (a tag: 255 of 256 other
 * order_nos met on a probe are passed over without reading their record). */
export const SLOT = 0x00ffffff;
export const TAG = ~SLOT;

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

/**
 * The table with slots `from` to `size` placed (their hashes in `hashes`), grown first to stay at most half full
 * (then every slot is placed again). Placed one by one as they come, a day's million orders would each write a
 * random page of the table (a TLB walk on this VM); sorted by home entry first (an LSD radix sort, 8 bits a pass),
 * the writes sweep the table once, in order. Returns the table (a new one when grown).
 */
export function indexSlots(current: Int32Array, hashes: Int32Array, from: number, size: number): Int32Array {
  let entries = current.length;
  while (size * 2 > entries) entries *= 2;
  // Grown: every slot placed again in the larger table; else only those added since the last time.
  const first = entries === current.length ? from : 0;
  const table = first === 0 ? new Int32Array(entries) : current;
  let keys: Int32Array = hashes.slice(first, size);
  let slots: Int32Array = new Int32Array(keys.length);
  for (let i = 0; i < slots.length; i++) slots[i] = first + i;
  if (keys.length > 4096) [keys, slots] = sortedByHome(keys, slots, entries - 1);
  const mask = entries - 1;
  for (let i = 0; i < keys.length; i++) {
    const hash = keys[i]!;
    let index = hash & mask;
    while (table[index] !== 0) index = (index + 1) & mask;
    table[index] = (hash & TAG) | (slots[i]! + 1);
  }
  return table;
}
