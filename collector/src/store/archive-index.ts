// The per-person index into the R2 archive (migration 0013): one row per profile per archive
// object, and the workspace's cold boundary. archive/cold-index.ts says how they are used.

import { parseLines } from '../archive/index-lines';

/** One profile's events in one archive object. */
export interface IndexRow {
  profileId: string;
  /** The object's key after `events/{workspace}/`. */
  object: string;
  minTs: number;
  maxTs: number;
  /** 0-based line numbers in the object, ascending. */
  lines: number[];
  /** The object's line count when the row was written. */
  objectLines: number;
}

type Row = { profile_id: string; object: string; min_ts: number; max_ts: number; lines: string; object_lines: number };
const toRow = (r: Row): IndexRow => ({ profileId: r.profile_id, object: r.object, minTs: r.min_ts, maxTs: r.max_ts, lines: parseLines(r.lines), objectLines: r.object_lines });

/**
 * Statements that delete the index rows of archive objects (by the object index), e.g. rows an
 * older collector wrote on ingest for a batch that is now replayed.
 *
 * @example
 * await db.batch(deleteObjectRowsStatements(db, 'ws_1', ['dt=2026-12-06/hour=09/000000000042-g1.ndjson.gz']));
 */
export function deleteObjectRowsStatements(db: D1Database, workspaceId: string, objects: readonly string[]): D1PreparedStatement[] {
  return objects.map((object) => db.prepare('DELETE FROM archive_index WHERE workspace_id = ?1 AND object = ?2').bind(workspaceId, object));
}

/**
 * The index rows of a person (every profile of their merge tree, found through `canonical_id`, or
 * the given profile ids) whose events may be older than `below` and not older than `from`, newest
 * object first (by its latest event time).
 *
 * @example
 * await personIndexRows(db, 'ws_1', { canonicalId: 'prof_1' }, { below: Date.now() })
 */
export async function personIndexRows(
  db: D1Database,
  workspaceId: string,
  who: { canonicalId: string } | { profileIds: readonly string[] },
  range: { below: number; from?: number },
): Promise<IndexRow[]> {
  const profiles =
    'canonicalId' in who
      ? { sql: 'SELECT id FROM profiles WHERE workspace_id = ?1 AND canonical_id = ?2', bind: who.canonicalId }
      : { sql: 'SELECT value FROM json_each(?2)', bind: JSON.stringify(who.profileIds) };
  const { results } = await db
    .prepare(`SELECT profile_id, object, min_ts, max_ts, lines, object_lines FROM archive_index
      WHERE workspace_id = ?1 AND profile_id IN (${profiles.sql}) AND min_ts < ?3 AND max_ts >= ?4
      ORDER BY max_ts DESC, object DESC`)
    .bind(workspaceId, profiles.bind, below(range.below), range.from ?? Number.MIN_SAFE_INTEGER)
    .all<Row>();
  return results.map(toRow);
}

const below = (ms: number) => (Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER);

/** Every index row of one archive object. */
export async function objectIndexRows(db: D1Database, workspaceId: string, object: string): Promise<IndexRow[]> {
  const { results } = await db
    .prepare('SELECT profile_id, object, min_ts, max_ts, lines, object_lines FROM archive_index WHERE workspace_id = ?1 AND object = ?2')
    .bind(workspaceId, object)
    .all<Row>();
  return results.map(toRow);
}

/**
 * Statements that give an object's rows their new lines after a rewrite, each applied only while
 * the row still counts `fromLines` (so running them twice changes nothing); a row left without
 * lines is deleted.
 */
export function rewriteRowStatements(db: D1Database, workspaceId: string, fromLines: number, toLines: number, rows: readonly IndexRow[]): D1PreparedStatement[] {
  return rows.map((r) =>
    r.lines.length === 0
      ? db
          .prepare('DELETE FROM archive_index WHERE workspace_id = ?1 AND profile_id = ?2 AND min_ts = ?5 AND object = ?3 AND object_lines = ?4')
          .bind(workspaceId, r.profileId, r.object, fromLines, r.minTs)
      : db
          .prepare('UPDATE archive_index SET lines = ?5, object_lines = ?6 WHERE workspace_id = ?1 AND profile_id = ?2 AND min_ts = ?7 AND object = ?3 AND object_lines = ?4')
          .bind(workspaceId, r.profileId, r.object, fromLines, r.lines.join(','), toLines, r.minTs),
  );
}

/** Events with an event time before this may be in R2 only (null: retention never ran). */
export async function coldBefore(db: D1Database, workspaceId: string): Promise<number | null> {
  const row = await db.prepare('SELECT cold_before FROM archive_cold WHERE workspace_id = ?1').bind(workspaceId).first<{ cold_before: number }>();
  return row?.cold_before ?? null;
}

/** The SQL expression of the workspace's cold boundary (workspace bound as ?1), for a read that wants it in its own statement. */
export const COLD_BEFORE_SQL = '(SELECT cold_before FROM archive_cold WHERE workspace_id = ?1)';

/**
 * SQL for "the person (canonical id `canonicalSql`) has archived events older than the cold
 * boundary", one seek per profile of their tree (min_ts is in the key). Workspace bound as ?1.
 */
export const hasColdSql = (canonicalSql: string) => `EXISTS (SELECT 1 FROM profiles hp CROSS JOIN archive_index hi
    ON hi.workspace_id = ?1 AND hi.profile_id = hp.id AND hi.min_ts < ${COLD_BEFORE_SQL}
  WHERE hp.workspace_id = ?1 AND hp.canonical_id = ${canonicalSql})`;

/** Raises the workspace's cold boundary (never lowers it): run before deleting events older than `before`. */
export async function raiseColdBefore(db: D1Database, workspaceId: string, before: number): Promise<void> {
  await db
    .prepare(`INSERT INTO archive_cold (workspace_id, cold_before) VALUES (?1, ?2)
      ON CONFLICT (workspace_id) DO UPDATE SET cold_before = max(cold_before, excluded.cold_before)`)
    .bind(workspaceId, before)
    .run();
}
