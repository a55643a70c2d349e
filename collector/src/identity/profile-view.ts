import type { JsonObject } from '../../../sdk/src/contract';
import type { Identifier } from './identifiers';
import { normaliseIdentifier } from './identifiers';
import type { ProfileState, Touch } from './profile-state';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const touch = (t: Touch | undefined) => (t ? { referrer: t.referrer, campaign: t.campaign, at: iso(t.at) } : null);

/**
 * The API's JSON for a profile: times as ISO 8601, internal bookkeeping (trait times, versions)
 * left out.
 *
 * @example
 * profileJson({ state, identities: [{ type: 'user_id', value: '42' }], accounts: [] })
 * // -> { id, identities, traits, computed: { firstSeen: '2026-…Z', eventCount: 3, ... }, consent, accounts }
 */
export function profileJson(r: { state: ProfileState; identities: Identifier[]; accounts: { groupId: string; traits: JsonObject }[] }) {
  const p = r.state;
  return {
    id: p.id,
    identities: r.identities.map((i) => ({ type: i.type, value: i.value })),
    traits: p.traits,
    computed: {
      firstSeen: iso(p.firstSeen),
      lastSeen: iso(p.lastSeen),
      eventCount: p.eventCount,
      revenue: p.revenue,
      eventCounts: p.computed.eventCounts,
      firstTouch: touch(p.computed.firstTouch),
      lastTouch: touch(p.computed.lastTouch),
      device: p.computed.device ?? null,
      os: p.computed.os ?? null,
      browser: p.computed.browser ?? null,
      location: p.computed.location ?? null,
    },
    consent: Object.fromEntries(Object.entries(p.consent).map(([k, v]) => [k, { granted: v.granted, updatedAt: iso(v.updatedAt) }])),
    accounts: r.accounts,
    mergeCount: p.mergeCount,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

export type ProfileRef = { kind: 'id'; id: string } | { kind: 'identifier'; id: Identifier } | { kind: 'invalid'; message: string };

/**
 * Reads `{ref}` of `/v1/profiles/{ref}`: a profile id, or `{type}:{value}` (Segment's form),
 * the value normalised as at ingest so `email:Ana@Example.com` finds `ana@example.com`.
 *
 * @example
 * parseProfileRef('email:Ana@Example.com') // -> { kind: 'identifier', id: { type: 'email', value: 'ana@example.com' } }
 * parseProfileRef('prof_x1') // -> { kind: 'id', id: 'prof_x1' }
 */
export function parseProfileRef(ref: string, defaultCountry?: string): ProfileRef {
  const colon = ref.indexOf(':');
  if (colon < 0) return ref.trim() === '' ? { kind: 'invalid', message: 'Empty profile reference' } : { kind: 'id', id: ref };
  const type = ref.slice(0, colon);
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(type)) return { kind: 'invalid', message: `Unknown identifier type '${type}'` };
  const n = normaliseIdentifier(type, ref.slice(colon + 1), defaultCountry);
  if (!n.ok) return { kind: 'invalid', message: `Not a usable ${type} value` };
  return { kind: 'identifier', id: n.id };
}

/** Opaque keyset cursor of the event timeline: base64url of [timestamp, seq]. */
export function encodeCursor(pos: { timestamp: number; seq: number }): string {
  return btoa(JSON.stringify([pos.timestamp, pos.seq])).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes a cursor made by `encodeCursor`; null for anything else, which the route answers 400.
 *
 * @example
 * decodeCursor(encodeCursor({ timestamp: 5, seq: 2 })) // -> { timestamp: 5, seq: 2 }
 * decodeCursor('garbage') // -> null
 */
export function decodeCursor(cursor: string): { timestamp: number; seq: number } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  try {
    const value = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
    if (!Array.isArray(value) || value.length !== 2 || !value.every((n) => Number.isSafeInteger(n) && n >= 0)) return null;
    return { timestamp: value[0], seq: value[1] };
  } catch {
    return null; // not base64 or not JSON: the caller answers 400 invalid_cursor
  }
}
