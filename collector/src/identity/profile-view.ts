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

/**
 * Opaque keyset cursor of the event timeline: base64url of [timestamp, messageId], the timeline's
 * order, which a workspace move keeps and the R2 archive knows (the `seq` of older cursors was
 * renumbered by a move).
 *
 * @example
 * encodeCursor({ timestamp: 5, messageId: 'm1' }) // -> 'WzUsIm0xIl0'
 */
export function encodeCursor(pos: { timestamp: number; messageId: string }): string {
  const bytes = new TextEncoder().encode(JSON.stringify([pos.timestamp, pos.messageId]));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes a cursor made by `encodeCursor`; 'outdated' for one of the older [timestamp, seq]
 * form, null for anything else (the route answers both 400 naming `cursor`).
 *
 * @example
 * decodeCursor(encodeCursor({ timestamp: 5, messageId: 'm1' })) // -> { timestamp: 5, messageId: 'm1' }
 * decodeCursor('garbage') // -> null
 */
export function decodeCursor(cursor: string): { timestamp: number; messageId: string } | 'outdated' | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) return null;
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
    if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || value[0] < 0) return null;
    if (Number.isSafeInteger(value[1])) return 'outdated';
    if (typeof value[1] !== 'string' || value[1] === '') return null;
    return { timestamp: value[0], messageId: value[1] };
  } catch {
    return null; // not base64, UTF-8 or JSON: the caller answers 400 invalid_cursor
  }
}
