/**
 * A Map that keeps its most recently set entries within a count and an estimate of their bytes:
 * setting an entry makes it the most recent (a Map iterates in insertion order), and the least
 * recent go while either bound is passed.
 *
 * @example
 * const m = new BoundedMap<string>(2, 1_000); m.set('a', 'x', 10); m.set('b', 'y', 10); m.set('c', 'z', 10);
 * m.get('a') // -> undefined
 */
export class BoundedMap<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.used;
  }

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** The estimate an entry was set with. */
  bytesOf(key: string): number | undefined {
    return this.entries.get(key)?.bytes;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    while (this.entries.size > this.maxEntries || (this.used > this.maxBytes && this.entries.size > 1)) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.used -= old.bytes;
  }

  /** Removes every entry whose key starts with `prefix`. */
  deleteWithPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  countWithPrefix(prefix: string): number {
    let n = 0;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }
}
