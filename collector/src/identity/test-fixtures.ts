import type { JsonObject } from '../../../sdk/src/contract';
import type { StoredEvent } from '../ingest/normalise';
import { DEFAULT_CAPS, planBatch, type IdentityCaps, type LoadedProfile, type Plan } from './planner';
import { emptyProfile } from './profile-state';

/** A stored event for planner tests: only what a case names, the rest neutral. */
export function ev(e: Partial<StoredEvent> & { t?: number }): StoredEvent {
  const { t, ...rest } = e;
  return {
    messageId: `m-${Math.random()}`,
    type: 'track',
    event: rest.type === undefined || rest.type === 'track' ? 'Viewed' : null,
    name: null,
    anonymousId: null,
    userId: null,
    groupId: null,
    previousId: null,
    timestamp: t ?? 1_000,
    receivedAt: t ?? 1_000,
    sentAt: null,
    originalTimestamp: null,
    properties: null,
    traits: null,
    context: {} as JsonObject,
    integrations: null,
    ...rest,
  };
}

/** A profile the database already holds: `ids` as `type:value`. */
export interface GivenProfile {
  id: string;
  ids: string[];
  mergeCount?: number;
  identityCount?: number;
  traits?: JsonObject;
  traitTimes?: Record<string, number>;
}

export interface RunOptions {
  caps?: Partial<IdentityCaps>;
  blocked?: [string, string][];
  defaultCountry?: string;
}

/** Runs the planner on one batch over the given database state; ids are deterministic. */
export function runPlan(given: GivenProfile[], events: StoredEvent[], opts: RunOptions = {}): Plan {
  const known = new Map<string, string>();
  const profiles = new Map<string, LoadedProfile>();
  for (const g of given) {
    const state = { ...emptyProfile(g.id, 0), version: 3, mergeCount: g.mergeCount ?? 0 };
    if (g.traits) state.traits = g.traits;
    if (g.traitTimes) state.traitTimes = g.traitTimes;
    for (const key of g.ids) known.set(key, g.id);
    const userIds = g.ids.filter((k) => k.startsWith('user_id:')).map((k) => k.slice('user_id:'.length));
    profiles.set(g.id, { state, identityCount: g.identityCount ?? g.ids.length, userIds });
  }
  let n = 0;
  return planBatch({
    events,
    known,
    profiles,
    accounts: new Map(),
    blockedPairs: new Set((opts.blocked ?? []).map(([a, b]) => (a < b ? `${a}|${b}` : `${b}|${a}`))),
    caps: { ...DEFAULT_CAPS, ...opts.caps },
    defaultCountry: opts.defaultCountry,
    now: 5_000,
    newId: (prefix) => `${prefix}_${++n}`,
  });
}

/** Final canonical profile of each event, after the batch's merges. */
export function finalProfiles(plan: Plan): (string | null)[] {
  const canonical = new Map(plan.profiles.map((p) => [p.id, p.canonicalId]));
  return plan.eventProfileIds.map((id) => (id === null ? null : (canonical.get(id) ?? id)));
}

/** Events grouped by final profile, as index lists: [[0, 1], [2]]; null-profile events left out. */
export function groupsOf(plan: Plan): number[][] {
  const byProfile = new Map<string, number[]>();
  finalProfiles(plan).forEach((id, i) => {
    if (id === null) return;
    byProfile.set(id, [...(byProfile.get(id) ?? []), i]);
  });
  return [...byProfile.values()];
}
