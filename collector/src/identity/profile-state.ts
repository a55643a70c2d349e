import type { JsonObject } from '../../../sdk/src/contract';
import type { StoredEvent } from '../ingest/normalise';
import { applyTraitWrites, mergeTraitStates, traitOpsOf } from './traits';

/** Where a visit came from: page referrer and UTM campaign (context.page.referrer, context.campaign). */
export interface Touch {
  referrer: string | null;
  campaign: JsonObject | null;
  at: number;
}

/** Computed traits that are not columns of the profiles table. */
export interface Computed {
  eventCounts: Record<string, number>;
  firstTouch?: Touch;
  lastTouch?: Touch;
  device?: JsonObject;
  os?: JsonObject;
  browser?: JsonObject;
  location?: JsonObject;
  /** Event time of the latest context that set any of device/os/browser/location. */
  contextAt?: number;
  /** Per key, the event time of the context that set it (rows written before it have only contextAt). */
  contextTimes?: Partial<Record<ContextKey, number>>;
}

const CONTEXT_KEYS = ['device', 'os', 'browser', 'location'] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];

const contextTime = (c: Computed, key: ContextKey) => c.contextTimes?.[key] ?? (c[key] ? c.contextAt : undefined);

/**
 * Sets one of device/os/browser/location from a context of event time `at` unless a later one
 * (or, at one time, a larger JSON text) set it: each key is what the latest event carrying it
 * said, as applying the events in time order gives, so a late event with an older context can
 * still fill a key that newer events did not carry. Leaves the containers it read untouched (the
 * planner's clones share them).
 */
function takeContext(c: Computed, key: ContextKey, value: JsonObject, at: number): void {
  const mine = contextTime(c, key);
  if (mine !== undefined && (at < mine || (at === mine && JSON.stringify(value) <= JSON.stringify(c[key])))) return;
  const times = { ...(c.contextTimes ?? Object.fromEntries(CONTEXT_KEYS.filter((k) => c[k]).map((k) => [k, c.contextAt!]))), [key]: at };
  c[key] = value;
  c.contextAt = Math.max(c.contextAt ?? at, at);
  // Kept only where some key's time differs from contextAt (contextTime reads a missing entry as
  // contextAt): most profiles' context comes from one event at a time, and the times were an eighth
  // of the profile row, which every resolver batch reads and writes whole.
  if (Object.values(times).every((t) => t === c.contextAt)) delete c.contextTimes;
  else c.contextTimes = times;
}

export interface ConsentEntry {
  granted: boolean;
  updatedAt: number;
}

/** A canonical profile as the planner sees and writes it (camelCase of the profiles row). */
export interface ProfileState {
  id: string;
  canonicalId: string;
  mergedInto: string | null;
  traits: JsonObject;
  traitTimes: Record<string, number>;
  computed: Computed;
  consent: Record<string, ConsentEntry>;
  firstSeen: number | null;
  lastSeen: number | null;
  eventCount: number;
  revenue: number;
  mergeCount: number;
  createdAt: number;
  updatedAt: number;
  /** Row version read; the write guard checks it. New profiles have -1 (nothing to check). */
  version: number;
}

export function emptyProfile(id: string, now: number): ProfileState {
  return {
    id,
    canonicalId: id,
    mergedInto: null,
    traits: {},
    traitTimes: {},
    computed: { eventCounts: {} },
    consent: {},
    firstSeen: null,
    lastSeen: null,
    eventCount: 0,
    revenue: 0,
    mergeCount: 0,
    createdAt: now,
    updatedAt: now,
    version: -1,
  };
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Revenue of one event: `properties.revenue`, else `properties.total` (Segment's e-commerce spec). */
export function eventRevenue(properties: JsonObject | null): number {
  if (!properties) return 0;
  return num(properties.revenue) ?? num(properties.total) ?? 0;
}

/**
 * Whether touch `a` came before touch `b`. Two touches of one millisecond are ordered by what they
 * say (JSON text), never by arrival, so first and last touch do not depend on delivery order.
 */
const touchBefore = (a: Touch, b: Touch) =>
  a.at < b.at || (a.at === b.at && JSON.stringify([a.referrer, a.campaign]) < JSON.stringify([b.referrer, b.campaign]));

/**
 * Whether a consent answer given at `at` replaces `prev`: the later one wins; at one millisecond
 * a refusal wins whichever arrives first (the order-independent choice that errs on privacy).
 *
 * @example
 * consentReplaces(true, 5, { granted: false, updatedAt: 5 }) // -> false
 */
export const consentReplaces = (granted: boolean, at: number, prev: ConsentEntry | undefined) =>
  !prev || at > prev.updatedAt || (at === prev.updatedAt && prev.granted && !granted);

function touchOf(e: Pick<StoredEvent, 'context' | 'timestamp'>): Touch | null {
  const page = isObject(e.context.page) ? e.context.page : null;
  const referrer = page && typeof page.referrer === 'string' && page.referrer !== '' ? page.referrer : null;
  const campaign = isObject(e.context.campaign) && Object.keys(e.context.campaign).length > 0 ? e.context.campaign : null;
  return referrer || campaign ? { referrer, campaign, at: e.timestamp } : null;
}

/**
 * Folds one stored event into a profile, in place: computed traits always; traits for identify;
 * consent from `context.consent.categoryPreferences` (latest event time wins per category).
 */
export function applyEvent(p: ProfileState, e: StoredEvent): void {
  p.firstSeen = p.firstSeen === null ? e.timestamp : Math.min(p.firstSeen, e.timestamp);
  p.lastSeen = p.lastSeen === null ? e.timestamp : Math.max(p.lastSeen, e.timestamp);
  p.eventCount += 1;
  p.revenue += eventRevenue(e.properties);
  if (e.type === 'track' && e.event) p.computed.eventCounts[e.event] = (p.computed.eventCounts[e.event] ?? 0) + 1;
  const touch = touchOf(e);
  if (touch) {
    if (!p.computed.firstTouch || touchBefore(touch, p.computed.firstTouch)) p.computed.firstTouch = touch;
    if (!p.computed.lastTouch || touchBefore(p.computed.lastTouch, touch)) p.computed.lastTouch = touch;
  }
  for (const key of CONTEXT_KEYS) {
    const v = e.context[key];
    if (isObject(v) && Object.keys(v).length > 0) takeContext(p.computed, key, v, e.timestamp);
  }
  if (e.type === 'identify') {
    const state = { traits: p.traits, times: p.traitTimes };
    applyTraitWrites(state, e.traits, traitOpsOf(e.context), e.timestamp);
  }
  const consent = isObject(e.context.consent) ? e.context.consent.categoryPreferences : undefined;
  if (isObject(consent)) {
    for (const [category, granted] of Object.entries(consent)) {
      if (typeof granted !== 'boolean' || category === '__proto__') continue;
      if (consentReplaces(granted, e.timestamp, p.consent[category])) p.consent[category] = { granted, updatedAt: e.timestamp };
    }
  }
}

/**
 * Folds an absorbed profile's traits, computed traits and consent into the survivor, in place.
 * Commutative (ties of traits, touches, context and consent are broken by value), so the
 * survivor's identity does not change the result.
 */
export function foldProfile(into: ProfileState, from: ProfileState): void {
  const minN = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  const maxN = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  into.firstSeen = minN(into.firstSeen, from.firstSeen);
  into.lastSeen = maxN(into.lastSeen, from.lastSeen);
  into.eventCount += from.eventCount;
  into.revenue += from.revenue;
  into.mergeCount += from.mergeCount + 1;
  const a = into.computed;
  const b = from.computed;
  for (const [name, n] of Object.entries(b.eventCounts)) a.eventCounts[name] = (a.eventCounts[name] ?? 0) + n;
  if (b.firstTouch && (!a.firstTouch || touchBefore(b.firstTouch, a.firstTouch))) a.firstTouch = b.firstTouch;
  if (b.lastTouch && (!a.lastTouch || touchBefore(a.lastTouch, b.lastTouch))) a.lastTouch = b.lastTouch;
  for (const key of CONTEXT_KEYS) {
    const at = contextTime(b, key);
    if (b[key] && at !== undefined) takeContext(a, key, b[key], at);
  }
  mergeTraitStates({ traits: into.traits, times: into.traitTimes }, { traits: from.traits, times: from.traitTimes });
  for (const [category, entry] of Object.entries(from.consent)) {
    if (consentReplaces(entry.granted, entry.updatedAt, into.consent[category])) into.consent[category] = entry;
  }
}

/**
 * A copy the planner may change without touching what the read phase handed it. Only the
 * containers the planner writes into are copied (it replaces trait values, touches, consent
 * entries and context objects, never edits them): structuredClone of every loaded profile
 * showed in ingest CPU profiles.
 */
export const cloneProfile = (p: ProfileState): ProfileState => ({
  ...p,
  traits: { ...p.traits },
  traitTimes: { ...p.traitTimes },
  consent: { ...p.consent },
  computed: { ...p.computed, eventCounts: { ...p.computed.eventCounts } },
});
