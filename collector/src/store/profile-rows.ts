import type { ProfileState } from '../identity/profile-state';

/** The profiles table columns the identity code reads, in SELECT order. */
export const PROFILE_COLUMNS = `p.id, p.canonical_id, p.merged_into, p.traits, p.trait_times, p.computed, p.consent,
  p.first_seen, p.last_seen, p.event_count, p.revenue, p.merge_count, p.created_at, p.updated_at, p.version`;

export interface ProfileRow {
  id: string;
  canonical_id: string;
  merged_into: string | null;
  traits: string;
  trait_times: string;
  computed: string;
  consent: string;
  first_seen: number | null;
  last_seen: number | null;
  event_count: number;
  revenue: number;
  merge_count: number;
  created_at: number;
  updated_at: number;
  version: number;
}

export function toProfileState(row: ProfileRow): ProfileState {
  const computed = JSON.parse(row.computed);
  return {
    id: row.id,
    canonicalId: row.canonical_id,
    mergedInto: row.merged_into,
    traits: JSON.parse(row.traits),
    traitTimes: JSON.parse(row.trait_times),
    computed: { eventCounts: {}, ...computed },
    consent: JSON.parse(row.consent),
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    eventCount: row.event_count,
    revenue: row.revenue,
    mergeCount: row.merge_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/**
 * A profile as one json_each row for the bulk upsert (see identity-writes.ts). The JSON columns
 * are objects in the row, read back as JSON text by `->>`: no string escaped twice.
 */
export function profileToJsonRow(p: ProfileState): unknown[] {
  return [
    p.id,
    p.canonicalId,
    p.mergedInto,
    p.traits,
    p.traitTimes,
    p.computed,
    p.consent,
    p.firstSeen,
    p.lastSeen,
    p.eventCount,
    p.revenue,
    p.mergeCount,
    p.createdAt,
    p.updatedAt,
  ];
}
