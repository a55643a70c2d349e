import type { StoredEvent } from '../ingest/normalise';
import { eventIdentifiers, identifierKey, identifierPriority, type EventIdentifiers, type Identifier } from './identifiers';
import { applyEvent, cloneProfile, emptyProfile, foldProfile, type ProfileState } from './profile-state';
import { applyTraitWrites, traitOpsOf, type TraitState } from './traits';

/** A canonical profile as read: its state plus what the guards need to know about its identities. */
export interface LoadedProfile {
  state: ProfileState;
  identityCount: number;
  userIds: string[];
}

export interface AccountState extends TraitState {
  groupId: string;
  /** Row version read; -1 for an account this batch creates. */
  version: number;
  createdAt: number;
}

export interface IdentityCaps {
  /** Identifiers per profile; past it, new identifiers are not linked (events still resolve). */
  maxIdentifiers: number;
  /** Merges folded into one profile; past it, no more merges. */
  maxMerges: number;
}

export const DEFAULT_CAPS: IdentityCaps = { maxIdentifiers: 100, maxMerges: 50 };

export interface PlanInput {
  /** Events to store, in arrival order, duplicates already removed. */
  events: readonly StoredEvent[];
  /** identifier key (`type:value`) -> canonical profile id, for the batch's known identifiers. */
  known: ReadonlyMap<string, string>;
  /** Canonical profiles referenced by `known`. */
  profiles: ReadonlyMap<string, LoadedProfile>;
  accounts: ReadonlyMap<string, AccountState>;
  /** Pairs of canonical ids (`a|b`, sorted) split apart on purpose: never merged again automatically. */
  blockedPairs: ReadonlySet<string>;
  caps: IdentityCaps;
  defaultCountry?: string;
  now: number;
  newId: (prefix: 'prof' | 'mrg') => string;
  /** The identifiers of each event when the caller has them already (same result as eventIdentifiers). */
  identified?: ReadonlyMap<StoredEvent, EventIdentifiers>;
}

export interface IdentityCounters {
  junkIds: number;
  invalidIds: number;
  userIdConflicts: number;
  identifierCap: number;
  mergeCap: number;
  splitBlocks: number;
  merges: number;
  profilesCreated: number;
}

export interface MergeRecord {
  id: string;
  survivorId: string;
  absorbedId: string;
  reason: 'ingest' | 'alias' | 'force';
  cause: string | null;
  /** The event whose identifiers caused the merge (a split gives it to the person taken out); null for force-merges. */
  causeMessageId: string | null;
}

export interface Plan {
  /** Per input event: the profile it resolved to (null when it carried no usable identifier). */
  eventProfileIds: (string | null)[];
  /** Rows to insert or update, in their final state. */
  profiles: ProfileState[];
  /** Every profile read, with the version the guard must still find. */
  guard: { id: string; version: number }[];
  /** Pre-existing canonical roots absorbed by this batch: re-point their whole tree. */
  canonicalMoves: { from: string; to: string; parent: string }[];
  identities: (Identifier & { profileId: string })[];
  merges: MergeRecord[];
  accounts: AccountState[];
  members: { groupId: string; profileId: string }[];
  counters: IdentityCounters;
  /** Canonical profiles after the batch that it changed, and the ones it absorbed. */
  touchedProfileIds: string[];
  absorbedProfileIds: string[];
}

interface Work {
  state: ProfileState;
  identityCount: number;
  userIds: Set<string>;
  loaded: boolean;
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * The merge planner: resolves every event of a batch to a profile and decides which profiles to
 * create, which identifiers to link and which profiles to merge, under the guards (no two
 * user_ids merged, caps, split pairs). Pure: the read phase hands in what the database holds,
 * the store turns the plan into one atomic batch.
 *
 * Per event, identifiers are walked best first (user_id > email > phone > others > anonymous_id).
 * The first known one names the target; unknown ones are linked to it; another known profile is
 * merged into it unless a guard refuses, and then that identifier is dropped for this event.
 *
 * @example
 * planBatch({ events: [identify(userId 'u1', anonymousId 'a1')], known: new Map([['anonymous_id:a1', 'prof_A']]), ... })
 * // -> user_id:u1 linked to prof_A, the event resolves to prof_A
 */
export function planBatch(input: PlanInput): Plan {
  const counters: IdentityCounters = { junkIds: 0, invalidIds: 0, userIdConflicts: 0, identifierCap: 0, mergeCap: 0, splitBlocks: 0, merges: 0, profilesCreated: 0 };
  const work = new Map<string, Work>();
  for (const [id, p] of input.profiles) {
    work.set(id, { state: cloneProfile(p.state), identityCount: p.identityCount, userIds: new Set(p.userIds), loaded: true });
  }
  const owner = new Map(input.known);
  const redirect = new Map<string, { to: string }>();
  const root = (id: string): string => {
    let r = id;
    for (let next = redirect.get(r); next; next = redirect.get(r)) r = next.to;
    return r;
  };
  const lookup = (key: string) => {
    const id = owner.get(key);
    return id === undefined ? undefined : root(id);
  };
  const identities: Plan['identities'] = [];
  const merges: MergeRecord[] = [];
  const accounts = new Map<string, AccountState>();
  const members = new Map<string, { groupId: string; profileId: string }>();
  const touched = new Set<string>();
  const eventProfileIds: (string | null)[] = [];

  const mergeRefusal = (target: Work, other: Work, allowUserIds: boolean): keyof IdentityCounters | null => {
    if (!allowUserIds && target.userIds.size > 0 && other.userIds.size > 0) return 'userIdConflicts';
    if (input.blockedPairs.has(pairKey(target.state.id, other.state.id))) return 'splitBlocks';
    if (target.state.mergeCount + other.state.mergeCount + 1 > input.caps.maxMerges) return 'mergeCap';
    if (target.identityCount + other.identityCount > input.caps.maxIdentifiers) return 'identifierCap';
    return null;
  };

  for (const event of input.events) {
    const found = input.identified?.get(event) ?? eventIdentifiers(event, input.defaultCountry);
    for (const r of found.refused) counters[r.reason === 'junk' ? 'junkIds' : 'invalidIds']++;
    const ids = [...found.ids];
    // alias: the sender says previousId and userId are one person. Senders use previousId for an
    // old user id or for an anonymous id, so it names the person under both types: whichever
    // arrives first or later, the same profile ends up with the same identifiers.
    const aliasKeys = new Set<string>();
    if (found.previousId !== undefined) {
      for (const type of ['user_id', 'anonymous_id']) {
        const prev = { type, value: found.previousId };
        aliasKeys.add(identifierKey(prev));
        if (!ids.some((i) => identifierKey(i) === identifierKey(prev))) ids.push(prev);
      }
      ids.sort((a, b) => identifierPriority(b.type) - identifierPriority(a.type));
    }

    let target: Work | undefined;
    const pending: Identifier[] = [];
    const pendingUserIds = () => pending.filter((i) => i.type === 'user_id').map((i) => i.value);
    for (const id of ids) {
      const key = identifierKey(id);
      const ownerId = lookup(key);
      if (ownerId === undefined) {
        pending.push(id);
        continue;
      }
      const other = work.get(ownerId)!;
      if (target === other) continue;
      if (!target) {
        // Only unknown identifiers so far: adopt this profile unless it holds another user_id
        // (a shared device without reset(): the new user must not inherit the old user's profile).
        // alias is the sender saying "these are the same person": a rename is allowed.
        if (!aliasKeys.has(key) && pendingUserIds().length > 0 && other.userIds.size > 0) {
          counters.userIdConflicts++;
          continue;
        }
        target = other;
        continue;
      }
      // An alias may join two profiles that each hold a user_id (a rename whose new id was used
      // before the alias arrived); identify links never do.
      const refusal = mergeRefusal(target, other, aliasKeys.has(key));
      if (refusal) {
        counters[refusal]++;
        continue;
      }
      foldProfile(target.state, other.state);
      target.identityCount += other.identityCount;
      for (const u of other.userIds) target.userIds.add(u);
      other.state.canonicalId = target.state.id;
      other.state.mergedInto = target.state.id;
      redirect.set(other.state.id, { to: target.state.id });
      merges.push({ id: input.newId('mrg'), survivorId: target.state.id, absorbedId: other.state.id, reason: aliasKeys.has(key) ? 'alias' : 'ingest', cause: key, causeMessageId: event.messageId });
      counters.merges++;
      touched.add(other.state.id);
    }
    if (!target && pending.length > 0) {
      const id = input.newId('prof');
      target = { state: emptyProfile(id, input.now), identityCount: 0, userIds: new Set(), loaded: false };
      work.set(id, target);
      counters.profilesCreated++;
    }
    if (!target) {
      eventProfileIds.push(null);
    } else {
      for (const id of pending) {
        if (target.identityCount >= input.caps.maxIdentifiers) {
          counters.identifierCap++;
          continue;
        }
        owner.set(identifierKey(id), target.state.id);
        identities.push({ ...id, profileId: target.state.id });
        target.identityCount++;
        if (id.type === 'user_id') target.userIds.add(id.value);
      }
      applyEvent(target.state, event);
      target.state.updatedAt = input.now;
      touched.add(target.state.id);
      eventProfileIds.push(target.state.id);
    }
    if (event.type === 'group' && event.groupId !== null) {
      const account = accountFor(event.groupId);
      applyTraitWrites(account, event.traits, traitOpsOf(event.context), event.timestamp);
      if (target) members.set(`${event.groupId}\u0000${target.state.id}`, { groupId: event.groupId, profileId: target.state.id });
    }
  }

  function accountFor(groupId: string): AccountState {
    let a = accounts.get(groupId);
    if (!a) {
      const read = input.accounts.get(groupId);
      a = read ? structuredClone(read) : { groupId, traits: {}, times: {}, version: -1, createdAt: input.now };
      accounts.set(groupId, a);
    }
    return a;
  }

  const profiles: ProfileState[] = [];
  const canonicalMoves: Plan['canonicalMoves'] = [];
  for (const w of work.values()) {
    const final = root(w.state.id);
    if (final !== w.state.id) {
      w.state.canonicalId = final;
      if (w.loaded) canonicalMoves.push({ from: w.state.id, to: final, parent: w.state.mergedInto! });
    }
    if (touched.has(w.state.id) || !w.loaded) profiles.push(w.state);
  }
  const guard = [...input.profiles.values()].map((p) => ({ id: p.state.id, version: p.state.version }));
  const touchedFinal = new Set([...touched].map(root));
  return {
    eventProfileIds,
    profiles,
    guard,
    canonicalMoves,
    identities,
    merges,
    accounts: [...accounts.values()],
    members: [...members.values()],
    counters,
    touchedProfileIds: [...touchedFinal],
    absorbedProfileIds: [...touched].filter((id) => root(id) !== id && work.get(id)?.loaded),
  };
}
