import type { LoadedProfile, Plan } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { versionAfterUpsert } from '../store/identity-writes';

/**
 * Profiles held per inbox object. One of bench/ingest's people (an 888-byte row text: touches,
 * device, os, browser, event counts) takes about 1.3 KB of heap with its identifier hints, so
 * 20,000 take about 27 MB of an isolate's 128 MB; profiles with many traits take about 1.5 times
 * their row text. Objects of one class may share an isolate, and each holds its own.
 */
export const HELD_PROFILES = 20_000;

/** What a batch read: its canonical profiles and which of them owns each known identifier. */
export interface BatchRead {
  profiles: ReadonlyMap<string, LoadedProfile>;
  known: ReadonlyMap<string, string>;
}

/**
 * The canonical profiles the resolver last read or wrote, in the memory of the workspace's inbox
 * object (the one writer of its identity state), so that the read phase of the next batch takes
 * the body of an unchanged row from here instead of shipping and parsing its text (identity-reads.ts,
 * `held`). D1 stays the authority: it still says which profile owns each identifier and each
 * row's version, and a held profile is used only while its row has the version held. Every writer
 * of a profile row bumps its version (the resolver's upsert and tree moves, a split, a
 * force-merge, a consent change; an erasure or a rebuild deletes the row, and new rows get new
 * ids), so an operator's change is read afresh at once. Least recently used entries go first.
 *
 * Held states are never changed in place: the planner works on clones (cloneProfile) and what a
 * write leaves here are the plan's own final states, which nothing edits after the plan.
 */
export class ProfileCache {
  private readonly profiles = new Map<string, ProfileState>();
  /** Identifier key -> the canonical profile that owned it when last seen (a hint: D1 decides). */
  private readonly owners = new Map<string, string>();
  /** Absorbed profile -> the one it was merged into, for the identifiers that still name it. */
  private readonly survivors = new Map<string, string>();
  private database: string | null = null;

  constructor(
    readonly maxProfiles = HELD_PROFILES,
    /** People carry a few identifiers each (anonymous ids, user id, email). */
    readonly maxOwners = maxProfiles * 4,
  ) {}

  get size(): number {
    return this.profiles.size;
  }

  /** Identifiers with a known owner (bounded by maxOwners). */
  get identifiers(): number {
    return this.owners.size;
  }

  /** This cache for the workspace's rows in `database`: emptied when the workspace has moved. */
  in(database: string): this {
    if (database !== this.database) this.clear();
    this.database = database;
    return this;
  }

  clear(): void {
    this.profiles.clear();
    this.owners.clear();
    this.survivors.clear();
  }

  /**
   * The held profile of each of these identifier keys' last known owners. (Recency is kept by
   * `committed`, which holds again every profile a batch read.)
   */
  held(keys: Iterable<string>): Map<string, ProfileState> {
    const out = new Map<string, ProfileState>();
    for (const key of keys) {
      let id = this.owners.get(key);
      // Bounded: the chains cannot loop (see committed), and a hang here would stop the inbox.
      for (let hops = 0, next = id && this.survivors.get(id); next !== undefined && hops < 64; hops++, next = this.survivors.get(next)) id = next;
      const p = id === undefined ? undefined : this.profiles.get(id);
      if (p) out.set(key, p);
    }
    return out;
  }

  /**
   * A batch's write committed: its profiles are held at the versions they now have in D1 (the
   * ones it read and left alone at theirs), the profiles it absorbed leave, and its identifiers
   * point at the profiles that own them now.
   */
  committed(read: BatchRead, plan: Pick<Plan, 'profiles' | 'identities' | 'merges'>): void {
    const written = new Set<string>();
    for (const p of plan.profiles) {
      written.add(p.id);
      if (p.canonicalId === p.id) this.hold({ ...p, version: versionAfterUpsert(p) });
      else this.profiles.delete(p.id);
    }
    for (const [id, p] of read.profiles) if (!written.has(id)) this.hold(p.state);
    // A survivor is live: whatever it pointed to before goes (so the chains never loop).
    for (const m of plan.merges) {
      this.survivors.delete(m.survivorId);
      bounded(this.survivors, m.absorbedId, m.survivorId, this.maxOwners);
    }
    // Hints go in arrival order (a Map re-ordered for every identifier of every batch showed in
    // CPU profiles); one evicted while its person is still active costs one read of their text.
    for (const [key, id] of read.known) this.own(key, id);
    for (const i of plan.identities) this.own(`${i.type}:${i.value}`, i.profileId);
  }

  /** A batch's write failed or may not have happened: nothing it read or planned stays held. */
  failed(read: BatchRead, plan: Pick<Plan, 'profiles'>): void {
    for (const id of read.profiles.keys()) this.profiles.delete(id);
    for (const p of plan.profiles) this.profiles.delete(p.id);
  }

  /** Holds a canonical profile: it is live, so identifiers that name it stop there. */
  private hold(p: ProfileState): void {
    this.survivors.delete(p.id);
    bounded(this.profiles, p.id, p, this.maxProfiles);
  }

  private own(key: string, profileId: string): void {
    if (this.owners.get(key) === profileId) return;
    bounded(this.owners, key, profileId, this.maxOwners);
  }
}

/** Sets `key` as the most recent entry of `map` (a Map iterates in insertion order) and drops the least recent past `max`. */
function bounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
