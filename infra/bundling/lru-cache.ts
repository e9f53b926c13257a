// Bundled in place of mnemonist/lru-cache (esbuild alias, see gateway-functions.ts): @aws-sdk/endpoint-cache,
// which every DynamoDB client builds, uses only new/get/peek/has/set/clear of it; a Map does those in ~0.3 KB
// where mnemonist and obliterator are ~7 KB of every bundle.

/** A least-recently-used cache of `capacity` entries: get and set refresh an entry, peek and has do not. */
export default class LRUCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (typeof capacity !== 'number' || !(capacity > 0) || !Number.isFinite(capacity)) {
      throw new Error('mnemonist/lru-cache: capacity should be positive number.');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }

  clear(): void {
    this.entries.clear();
  }
}
