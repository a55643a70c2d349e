// What a workspace's events produced in D1, which a rebuild deletes and derives again from the
// archive. Definitions (segments, computed traits, destinations), keys, settings, suppressions,
// the privacy log and delivery history are the workspace's own and stay.

/** Rows deleted per statement: a bounded transaction each, far below D1's 30 s per query. */
export const WIPE_CHUNK = 5000;

// Per table, how to pick a chunk of the workspace's rows: by rowid, or by the rest of the primary key.
const DERIVED: { table: string; key: string }[] = [
  { table: 'events', key: 'rowid' },
  { table: 'identities', key: '(type, value)' },
  { table: 'merge_log', key: 'rowid' },
  { table: 'account_members', key: '(group_id, profile_id)' },
  { table: 'accounts', key: 'group_id' },
  { table: 'segment_members', key: '(segment_key, profile_id)' },
  { table: 'computed_trait_values', key: '(trait_key, profile_id)' },
  { table: 'profile_predictions', key: 'profile_id' },
  { table: 'identity_stats', key: 'rowid' },
  { table: 'profiles', key: 'rowid' },
  // Keyed by profile ids, which a rebuild makes anew: the rebuild places the events it replays in
  // their objects, and retention indexes them again when they leave D1.
  { table: 'archive_index', key: '(profile_id, min_ts, object)' },
];

/**
 * Deletes up to WIPE_CHUNK rows of the workspace's derived state per table, table after table.
 * Answers false once nothing is left; call again while it answers true (each call is short, and
 * calling it again after a crash just carries on).
 *
 * @example
 * while (await wipeDerivedState(env.DB, 'ws_1')) {}
 */
export async function wipeDerivedState(db: D1Database, workspaceId: string): Promise<boolean> {
  for (const { table, key } of DERIVED) {
    const columns = key.replace(/[()]/g, '');
    const result = await db
      .prepare(`DELETE FROM ${table} WHERE workspace_id = ?1 AND ${key} IN (SELECT ${columns} FROM ${table} WHERE workspace_id = ?1 LIMIT ?2)`)
      .bind(workspaceId, WIPE_CHUNK)
      .run();
    if ((result.meta.changes ?? 0) >= WIPE_CHUNK) return true;
  }
  return false;
}
