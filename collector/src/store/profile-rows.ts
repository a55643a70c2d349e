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

/**
 * A profile row as one JSON array text, put together by SQLite from the stored JSON texts as they
 * are (no JSON function parses them), in the order `profileFromJsonText` reads. The resolver reads
 * one such text per known identifier: two columns to copy out of D1's answer instead of fifteen,
 * and one JSON.parse per profile instead of four. printf writes the text once (a chain of `||`
 * copied the growing text at every step: 1.2 ms more per 1,070 rows in SQLite 3.40, where printf
 * cost 0.25). `revenue`, a REAL, stays a column of its own (PROFILE_REVENUE): SQLite's text of a
 * REAL need not give back the same double. Only merged_into, first_seen and last_seen may be NULL.
 */
export const PROFILE_JSON_TEXT = `printf('[%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]', json_quote(p.id), json_quote(p.canonical_id), json_quote(p.merged_into),
  p.traits, p.trait_times, p.computed, p.consent, coalesce(p.first_seen, 'null'), coalesce(p.last_seen, 'null'),
  p.event_count, p.merge_count, p.created_at, p.updated_at, p.version)`;

/** The revenue column read beside PROFILE_JSON_TEXT. */
export const PROFILE_REVENUE = 'p.revenue';

/** The profile a PROFILE_JSON_TEXT holds, with its revenue. */
export function profileFromJsonText(text: string, revenue: number): ProfileState {
  const v = JSON.parse(text) as [string, string, string | null, ProfileState['traits'], ProfileState['traitTimes'], Partial<ProfileState['computed']>, ProfileState['consent'], number | null, number | null, number, number, number, number, number];
  return {
    id: v[0],
    canonicalId: v[1],
    mergedInto: v[2],
    traits: v[3],
    traitTimes: v[4],
    computed: { eventCounts: {}, ...v[5] },
    consent: v[6],
    firstSeen: v[7],
    lastSeen: v[8],
    eventCount: v[9],
    revenue,
    mergeCount: v[10],
    createdAt: v[11],
    updatedAt: v[12],
    version: v[13],
  };
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
