import type { JsonObject, Message } from '../../../sdk/src/contract';
import { normaliseMessage, type StoredEvent } from '../ingest/normalise';
import { inEventOrder } from './event-order';
import { DEFAULT_CAPS, planBatch, type AccountState, type LoadedProfile } from './planner';
import type { Computed, ConsentEntry, ProfileState } from './profile-state';

// What a delivery of a journey (test-journeys.ts) leaves behind, and the id-free form in which two
// deliveries are compared: the planner's in memory here, the whole resolver's on D1 in
// collector/test/delivery-order.test.ts. Test code only.

/** Final state as read back, with raw profile ids (which differ between runs). */
export interface World {
  /** identifier key (`type:value`) -> canonical profile id */
  identities: [string, string][];
  /** Canonical profiles only. */
  profiles: {
    id: string;
    traits: JsonObject;
    eventCount: number;
    revenue: number;
    firstSeen: number | null;
    lastSeen: number | null;
    computed: Pick<Computed, 'eventCounts' | 'firstTouch' | 'lastTouch' | 'device' | 'os' | 'browser'>;
    consent: Record<string, ConsentEntry>;
  }[];
  /** messageId -> canonical profile id (null: resolved to no profile). */
  events: [string, string | null][];
  accounts: { groupId: string; traits: JsonObject; members: string[] }[];
  /** segment key -> canonical ids of its members (an absorbed id is kept as `absorbed:` + its survivor). */
  segments?: Record<string, string[]>;
}

/**
 * A form of the final state that does not depend on generated ids: each canonical profile is
 * named by its sorted identifiers (so equal forms mean the same partition of identifiers into
 * profiles), with its traits, counters and events; accounts with their traits and members;
 * segments with their members.
 */
export function canonicalForm(w: World) {
  const idsOf = new Map<string, string[]>();
  for (const [key, profile] of w.identities) idsOf.set(profile, [...(idsOf.get(profile) ?? []), key]);
  const eventsOf = new Map<string | null, string[]>();
  for (const [messageId, profile] of w.events) eventsOf.set(profile, [...(eventsOf.get(profile) ?? []), messageId]);
  const label = (id: string): string => {
    if (id.startsWith('absorbed:')) return `absorbed:${label(id.slice('absorbed:'.length))}`;
    const ids = idsOf.get(id);
    return ids ? ids.sort().join(' ') : `(no identifiers; events ${(eventsOf.get(id) ?? []).sort().join(' ')})`;
  };
  const profiles: Record<string, unknown> = {};
  for (const p of w.profiles) {
    const { id, computed, ...rest } = p;
    const { eventCounts, firstTouch, lastTouch, device, os, browser } = computed;
    profiles[label(id)] = { ...rest, computed: { eventCounts, firstTouch, lastTouch, device, os, browser }, events: (eventsOf.get(id) ?? []).sort() };
  }
  const accounts: Record<string, unknown> = {};
  for (const a of w.accounts) accounts[a.groupId] = { traits: a.traits, members: [...new Set(a.members.map(label))].sort() };
  const segments: Record<string, string[]> = {};
  for (const [key, members] of Object.entries(w.segments ?? {})) segments[key] = members.map(label).sort();
  return { profiles, unresolved: (eventsOf.get(null) ?? []).sort(), accounts, segments };
}

/**
 * What the store does with a plan, in memory: the planner fed batch after batch, with what the
 * database would hand back (canonical profiles, identifier owners, identity counts and user_ids of
 * each merge tree, accounts). The whole-resolver version of these properties on real D1 is
 * collector/test/delivery-order.test.ts; this one runs hundreds of journeys a second.
 */
export function memoryResolver() {
  const owner = new Map<string, string>(); // identifier key -> canonical profile id
  const profiles = new Map<string, ProfileState>(); // canonical profiles
  const canonicalOf = new Map<string, string>(); // every profile id -> its canonical id
  const accounts = new Map<string, AccountState>();
  const members: { groupId: string; profileId: string }[] = [];
  const events = new Map<string, string | null>();
  let n = 0;
  let clock = Date.parse('2026-06-01T00:00:00.000Z'); // after every journey's events (a future timestamp is replaced)
  const canonical = (id: string) => canonicalOf.get(id) ?? id;

  return {
    deliver(messages: readonly Message[]) {
      const receivedAt = ++clock;
      const fresh = messages
        .map((m) => normaliseMessage(m, { receivedAt, newMessageId: () => `gen-${++n}` }))
        .filter((e) => !events.has(e.messageId));
      if (fresh.length === 0) return;
      const loaded = new Map<string, LoadedProfile>();
      for (const [id, state] of profiles) {
        const keys = [...owner].filter(([, p]) => p === id).map(([k]) => k);
        loaded.set(id, { state, identityCount: keys.length, userIds: keys.filter((k) => k.startsWith('user_id:')).map((k) => k.slice('user_id:'.length)) });
      }
      const ordered: StoredEvent[] = inEventOrder(fresh);
      const plan = planBatch({
        events: ordered,
        known: owner,
        profiles: loaded,
        accounts,
        blockedPairs: new Set(),
        caps: DEFAULT_CAPS,
        now: receivedAt,
        newId: (prefix) => `${prefix}_${++n}`,
      });
      const final = new Map(plan.profiles.map((p) => [p.id, p.canonicalId]));
      for (const [id, c] of canonicalOf) canonicalOf.set(id, final.get(c) ?? c);
      for (const [id, c] of final) canonicalOf.set(id, c);
      for (const p of plan.profiles) {
        if (p.canonicalId === p.id) profiles.set(p.id, p);
        else profiles.delete(p.id);
      }
      for (const [key, p] of owner) owner.set(key, canonical(p));
      for (const i of plan.identities) owner.set(`${i.type}:${i.value}`, canonical(i.profileId));
      for (const a of plan.accounts) accounts.set(a.groupId, a);
      members.push(...plan.members);
      ordered.forEach((e, i) => events.set(e.messageId, plan.eventProfileIds[i]));
    },
    world(): World {
      return {
        identities: [...owner].map(([k, p]) => [k, canonical(p)]),
        profiles: [...profiles.values()].map((p) => ({
          id: p.id,
          traits: p.traits,
          eventCount: p.eventCount,
          revenue: p.revenue,
          firstSeen: p.firstSeen,
          lastSeen: p.lastSeen,
          computed: p.computed,
          consent: p.consent,
        })),
        events: [...events].map(([m, p]) => [m, p === null ? null : canonical(p)]),
        accounts: [...accounts.values()].map((a) => ({
          groupId: a.groupId,
          traits: a.traits,
          members: members.filter((m) => m.groupId === a.groupId).map((m) => canonical(m.profileId)),
        })),
      };
    },
  };
}
