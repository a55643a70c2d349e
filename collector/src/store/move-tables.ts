/**
 * What a workspace's move between databases copies (directory/move.ts): every table that holds
 * workspace data, in an order where a table comes after the ones its ids point into.
 */
export interface MovedTable {
  table: string;
  /** The primary key, in order: copy and delete walk the table by it (keyset pagination). */
  key: readonly string[];
  /**
   * An integer id the database assigns (rowid). Ids are global to the table, so the copy shifts the
   * workspace's ids by one offset per table into a range reserved above the target's highest id:
   * order is kept and nothing collides with the other workspaces there.
   */
  id?: string;
  /** Columns that hold another moved table's `id`: shifted by that table's offset. */
  refs?: Readonly<Record<string, string>>;
}

export const MOVED_TABLES: readonly MovedTable[] = [
  { table: 'events', key: ['seq'], id: 'seq' },
  { table: 'profiles', key: ['id'] },
  { table: 'identities', key: ['workspace_id', 'type', 'value'] },
  { table: 'merge_log', key: ['id'] },
  { table: 'accounts', key: ['workspace_id', 'group_id'] },
  { table: 'account_members', key: ['workspace_id', 'group_id', 'profile_id'] },
  { table: 'identity_stats', key: ['workspace_id'] },
  { table: 'segments', key: ['workspace_id', 'key'] },
  { table: 'segment_members', key: ['workspace_id', 'segment_key', 'profile_id'] },
  { table: 'segment_changes', key: ['id'], id: 'id' },
  { table: 'destinations', key: ['id'] },
  { table: 'webhook_deliveries', key: ['id'], id: 'id', refs: { change_id: 'segment_changes' } },
  { table: 'event_deliveries', key: ['id'], id: 'id' },
  { table: 'suppressions', key: ['workspace_id', 'id_hash'] },
  { table: 'privacy_log', key: ['id'] },
  { table: 'privacy_stats', key: ['workspace_id'] },
  { table: 'segment_size_daily', key: ['workspace_id', 'segment_key', 'day'] },
  { table: 'prediction_models', key: ['workspace_id'] },
  { table: 'profile_predictions', key: ['workspace_id', 'profile_id'] },
  { table: 'computed_traits', key: ['workspace_id', 'key'] },
  { table: 'computed_trait_values', key: ['workspace_id', 'trait_key', 'profile_id'] },
  // Erasures the R2 archive has still to apply (archive/tombstones.ts): they go where the workspace goes.
  { table: 'archive_tombstones', key: ['id'] },
  // The per-person index into the archive and the cold boundary (archive/cold-index.ts).
  { table: 'archive_index', key: ['workspace_id', 'profile_id', 'min_ts', 'object'] },
  { table: 'archive_cold', key: ['workspace_id'] },
];

/**
 * Tables a move leaves alone: the directory (only DB's copy is read), a table that is always empty
 * and a scratch table of one evaluation run. A migration that adds a table must list it in one of
 * these two lists; collector/test/databases.test.ts fails until it does, so a move never silently
 * leaves data behind.
 */
export const NOT_MOVED_TABLES: readonly string[] = ['workspaces', 'api_keys', 'write_guard', 'segment_eval_scratch', 'd1_migrations'];
