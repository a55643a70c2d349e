/**
 * The profile read cache's bookkeeping, pure (no I/O, time passed in): views kept per canonical
 * profile, a map from each ref a reader used to the canonical profile it named, least recently used
 * eviction by count and bytes, a TTL, and the generation check that keeps a read which raced a
 * write from storing what it read.
 *
 * Entries are keyed by canonical profile id, so a writer only has to name the profiles it changed
 * (a merge names its winner and losers): dropping an entry drops every ref that pointed at it, and
 * the next read of any of those refs resolves it again in D1.
 */

/** How big the cache may grow and how long an entry may serve without a writer touching it. */
export interface CacheLimits {
  /** Safety net for a writer that forgets to invalidate: an entry older than this is read again. */
  ttlMs: number;
  maxEntries: number;
  /** Sum of the sizes callers give with each stored value (their serialised length, say). */
  maxBytes: number;
}

export const DEFAULT_LIMITS: CacheLimits = { ttlMs: 60_000, maxEntries: 20_000, maxBytes: 32 * 1024 * 1024 };

/** A read that went to storage: where the invalidation sequence stood when it started. */
export interface Ticket {
  readonly seq: number;
}

interface Slot<V> {
  value: V;
  bytes: number;
  storedAt: number;
}

interface Entry<S> {
  slots: { [K in keyof S]?: Slot<S[K]> };
  refs: Set<string>;
  bytes: number;
}

/**
 * @example
 * const cache = new ViewCache<{ profile: string }>();
 * const ticket = cache.begin();
 * const view = await readFromD1(ref);            // writers may invalidate meanwhile
 * cache.store(ticket, ref, view.id, 'profile', body, body.length, Date.now());
 * cache.end(ticket);
 * cache.lookup(ref, 'profile', Date.now());      // -> body, until a writer calls invalidate([view.id])
 */
export class ViewCache<S extends object> {
  private readonly entries = new Map<string, Entry<S>>();
  private readonly refs = new Map<string, string>();
  private bytes = 0;
  /** Bumped by every invalidation; a ticket remembers its value. */
  private seq = 0;
  /** Where `invalidateAll` last left `seq`. */
  private allAt = 0;
  /** Profiles invalidated while reads were in flight, with the `seq` of their invalidation. */
  private readonly invalidatedAt = new Map<string, number>();
  private inFlight = 0;

  constructor(private readonly limits: CacheLimits = DEFAULT_LIMITS) {}

  /** The value kept for `ref` in `slot`, or undefined (unknown ref, never stored, or older than the TTL). */
  lookup<K extends keyof S>(ref: string, slot: K, now: number): S[K] | undefined {
    const id = this.refs.get(ref);
    const entry = id === undefined ? undefined : this.entries.get(id);
    const kept = entry?.slots[slot];
    if (!entry || !kept) return undefined;
    if (now - kept.storedAt >= this.limits.ttlMs) {
      this.dropSlot(id!, entry, slot);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order, so eviction takes the first.
    this.entries.delete(id!);
    this.entries.set(id!, entry);
    return kept.value;
  }

  /** Call before reading storage on a miss, and `end` after (in a finally). */
  begin(): Ticket {
    this.inFlight++;
    return { seq: this.seq };
  }

  end(_ticket: Ticket): void {
    // With no read in flight nothing can be compared against old invalidations any more.
    if (--this.inFlight === 0) this.invalidatedAt.clear();
  }

  /**
   * Keeps what a read found, unless a writer invalidated that profile (or everything) after the
   * read began: then what it read may predate the write, and it is only answered, not kept.
   * Returns whether it was kept.
   */
  store<K extends keyof S>(ticket: Ticket, ref: string, canonicalId: string, slot: K, value: S[K], bytes: number, now: number): boolean {
    if (this.allAt > ticket.seq || (this.invalidatedAt.get(canonicalId) ?? 0) > ticket.seq) return false;
    const entry: Entry<S> = this.entries.get(canonicalId) ?? { slots: {}, refs: new Set<string>(), bytes: 0 };
    const previous = this.refs.get(ref);
    if (previous !== undefined && previous !== canonicalId) this.entries.get(previous)?.refs.delete(ref);
    this.refs.set(ref, canonicalId);
    entry.refs.add(ref);
    const old = entry.slots[slot];
    if (old) this.resize(entry, -old.bytes);
    entry.slots[slot] = { value, bytes, storedAt: now };
    this.resize(entry, bytes);
    this.entries.delete(canonicalId);
    this.entries.set(canonicalId, entry);
    this.evict();
    return true;
  }

  /** Drops these canonical profiles and every ref that named them. Call after the write committed. */
  invalidate(profileIds: Iterable<string>): void {
    this.seq++;
    for (const id of profileIds) {
      if (this.inFlight > 0) this.invalidatedAt.set(id, this.seq);
      this.drop(id);
    }
  }

  /** Drops everything (rebuilds, model fits, trait definitions, settings, a moved workspace). */
  invalidateAll(): void {
    this.seq++;
    this.allAt = this.seq;
    this.entries.clear();
    this.refs.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; refs: number; bytes: number } {
    return { entries: this.entries.size, refs: this.refs.size, bytes: this.bytes };
  }

  private resize(entry: Entry<S>, by: number): void {
    entry.bytes += by;
    this.bytes += by;
  }

  private dropSlot<K extends keyof S>(id: string, entry: Entry<S>, slot: K): void {
    this.resize(entry, -(entry.slots[slot]?.bytes ?? 0));
    delete entry.slots[slot];
    if (Object.keys(entry.slots).length === 0) this.drop(id);
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    for (const ref of entry.refs) if (this.refs.get(ref) === id) this.refs.delete(ref);
    this.bytes -= entry.bytes;
    this.entries.delete(id);
  }

  private evict(): void {
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) return;
      this.drop(id);
    }
  }
}
