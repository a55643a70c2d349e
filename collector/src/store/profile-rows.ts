import type { ProfileState } from '../identity/profile-state';

/**
 * A profile row as one JSON array text, put together by SQLite from the stored JSON texts as they
 * are (no JSON function parses them), in the order `toProfileState` reads: two columns to copy out
 * of D1's answer instead of fifteen (D1's binding makes an object of every answer row), and one
 * JSON.parse per profile instead of four, which the resolver pays for every known person it reads.
 * printf writes the text once (a chain of `||` copied the growing text at every step: 1.2 ms more
 * per 1,070 rows in SQLite 3.40, where printf cost 0.25). `revenue`, a REAL, stays a column of its
 * own: SQLite's text of a REAL need not give back the same double. Only merged_into, first_seen and
 * last_seen may be NULL.
 */
const PROFILE_JSON_TEXT = `printf('[%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]', json_quote(p.id), json_quote(p.canonical_id), json_quote(p.merged_into),
  p.traits, p.trait_times, p.computed, p.consent, coalesce(p.first_seen, 'null'), coalesce(p.last_seen, 'null'),
  p.event_count, p.merge_count, p.created_at, p.updated_at, p.version)`;

/** The columns every reader of profile rows selects from the profiles table as `p` (read by `toProfileState`). */
export const PROFILE_COLUMNS = `${PROFILE_JSON_TEXT} AS profile, p.revenue AS revenue`;

export interface ProfileRow {
  profile: string;
  revenue: number;
}

export function toProfileState(row: ProfileRow): ProfileState {
  const v = JSON.parse(row.profile) as [string, string, string | null, ProfileState['traits'], ProfileState['traitTimes'], Partial<ProfileState['computed']>, ProfileState['consent'], number | null, number | null, number, number, number, number, number];
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
    revenue: row.revenue,
    mergeCount: v[10],
    createdAt: v[11],
    updatedAt: v[12],
    version: v[13],
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
