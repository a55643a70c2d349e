import type { LoadedProfile, Plan } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { versionAfterUpsert } from '../store/identity-writes';
import { rowTextLength } from '../store/profile-rows';
import { BoundedMap } from './bounded-map';

/**
 * Memory for held profiles, shared by every inbox object of an isolate (Durable Objects of one class
 * may share an isolate's 128 MB, and an object per workspace would each hold its own): 24 MB of
 * profiles and 6 MB of identifier hints at most, by estimate, however many workspaces there are.
 * A held profile is estimated at 1.5 times the JSON text it was read from or written as, plus 128
 * bytes (one of bench/ingest's people, an 888-byte row text, measured about 1.3 KB of heap with its
 * hints), so about 17,000 such people fit, bench/ingest's 10,000 with room.
 */
export const HELD_PROFILE_BYTES = 24 * 1024 * 1024;
export const HELD_HINT_BYTES = 6 * 1024 * 1024;
const DEFAULT_TEXT = 1024;
const profileBytes = (textLength: number) => Math.ceil(textLength * 1.5) + 128;
const hintBytes = (key: string, id: string) => 2 * (key.length + id.length) + 96;

/** The maps behind one or more ProfileCache scopes, within their bounds. */
export class HeldStore {
  readonly profiles: BoundedMap<ProfileState>;
  /** Identifier key -> the canonical profile that owned it when last seen (a hint: D1 decides). */
  readonly owners: BoundedMap<string>;
  /** Absorbed profile -> the one it was merged into, for the identifiers that still name it. */
  readonly survivors: BoundedMap<string>;

  constructor(bounds: { maxProfiles?: number; maxOwners?: number; maxProfileBytes?: number; maxHintBytes?: number } = {}) {
    const { maxProfiles = 100_000, maxProfileBytes = HELD_PROFILE_BYTES, maxHintBytes = HELD_HINT_BYTES } = bounds;
    const maxOwners = bounds.maxOwners ?? maxProfiles * 4;
    this.profiles = new BoundedMap(maxProfiles, maxProfileBytes);
    this.owners = new BoundedMap(maxOwners, maxHintBytes);
    this.survivors = new BoundedMap(maxOwners, maxHintBytes / 4);
  }
}

const isolateStore = new HeldStore();

/** The held profiles of a workspace's rows in `database`, in this isolate's shared store. */
export const heldProfilesOf = (workspaceId: string, database: string): ProfileCache =>
  new ProfileCache(isolateStore, `${workspaceId}\u0000${database}\u0000`);

/** Lets go of everything held for a workspace, in every database (a rebuild re-creates its profiles). */
export const forgetHeldProfiles = (workspaceId: string): void => new ProfileCache(isolateStore, `${workspaceId}\u0000`).clear();

/** What a batch read: its canonical profiles and which of them owns each known identifier. */
export interface BatchRead {
  profiles: ReadonlyMap<string, LoadedProfile>;
  known: ReadonlyMap<string, string>;
}

/**
 * The canonical profiles the resolver last read or wrote for one workspace (the scope of
 * heldProfilesOf), in the memory of the isolate its inbox object runs in, so that the read phase of the next batch takes
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
  /**
   * `scope` prefixes every key: one workspace's rows in one database (heldProfilesOf). Profile ids
   * are unique, but identifier values repeat across workspaces, and a workspace that moved to
   * another database starts with nothing held there.
   */
  constructor(
    private readonly store = new HeldStore(),
    private readonly scope = '',
  ) {}

  /** Profiles held in this scope (counted: for tests and diagnostics). */
  get size(): number {
    return this.store.profiles.countWithPrefix(this.scope);
  }

  /** Identifiers with a known owner in this scope. */
  get identifiers(): number {
    return this.store.owners.countWithPrefix(this.scope);
  }

  clear(): void {
    for (const map of [this.store.profiles, this.store.owners, this.store.survivors]) map.deleteWithPrefix(this.scope);
  }

  /**
   * The held profile of each of these identifier keys' last known owners. (Recency is kept by
   * `committed`, which holds again every profile a batch read.)
   */
  held(keys: Iterable<string>): Map<string, ProfileState> {
    const out = new Map<string, ProfileState>();
    for (const key of keys) {
      let id = this.store.owners.get(this.scope + key);
      // Bounded: the chains cannot loop (see committed), and a hang here would stop the inbox.
      for (let hops = 0, next = id && this.survivor(id); next !== undefined && hops < 64; hops++, next = this.survivor(next)) id = next;
      const p = id === undefined ? undefined : this.store.profiles.get(this.scope + id);
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
      if (p.canonicalId === p.id) this.hold({ ...p, version: versionAfterUpsert(p) }, rowTextLength.get(p));
      else this.store.profiles.delete(this.scope + p.id);
    }
    for (const [id, p] of read.profiles) if (!written.has(id)) this.hold(p.state, rowTextLength.get(p.state));
    // A survivor is live: whatever it pointed to before goes (so the chains never loop).
    for (const m of plan.merges) {
      this.store.survivors.delete(this.scope + m.survivorId);
      this.store.survivors.set(this.scope + m.absorbedId, m.survivorId, hintBytes(m.absorbedId, m.survivorId));
    }
    // Hints go in arrival order (a Map re-ordered for every identifier of every batch showed in
    // CPU profiles); one evicted while its person is still active costs one read of their text.
    for (const [key, id] of read.known) this.own(key, id);
    for (const i of plan.identities) this.own(`${i.type}:${i.value}`, i.profileId);
  }

  /** A batch's write failed or may not have happened: nothing it read or planned stays held. */
  failed(read: BatchRead, plan: Pick<Plan, 'profiles'>): void {
    for (const id of read.profiles.keys()) this.store.profiles.delete(this.scope + id);
    for (const p of plan.profiles) this.store.profiles.delete(this.scope + p.id);
  }

  private survivor(id: string): string | undefined {
    return this.store.survivors.get(this.scope + id);
  }

  /**
   * Holds a canonical profile: it is live, so identifiers that name it stop there. Its size is
   * estimated from the text it was read from or written as; a held state read again without
   * its text (unchanged) keeps the estimate it had.
   */
  private hold(p: ProfileState, textLength: number | undefined): void {
    this.store.survivors.delete(this.scope + p.id);
    const key = this.scope + p.id;
    const bytes = textLength !== undefined ? profileBytes(textLength) : (this.store.profiles.bytesOf(key) ?? profileBytes(DEFAULT_TEXT));
    this.store.profiles.set(key, p, bytes);
  }

  private own(key: string, profileId: string): void {
    if (this.store.owners.get(this.scope + key) === profileId) return;
    this.store.owners.set(this.scope + key, profileId, hintBytes(key, profileId));
  }
}
