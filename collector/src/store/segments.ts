import type { Condition } from '../segments/condition';

export interface Segment {
  key: string;
  name: string;
  condition: Condition;
  dependsOn: string[];
  timeRelative: boolean;
  createdAt: number;
  updatedAt: number;
  evaluatedAt: number | null;
}

interface SegmentRow {
  key: string;
  name: string;
  condition: string;
  depends_on: string;
  time_relative: number;
  created_at: number;
  updated_at: number;
  evaluated_at: number | null;
}

const COLUMNS = 'key, name, condition, depends_on, time_relative, created_at, updated_at, evaluated_at';

const toSegment = (r: SegmentRow): Segment => ({
  key: r.key,
  name: r.name,
  condition: JSON.parse(r.condition) as Condition,
  dependsOn: JSON.parse(r.depends_on) as string[],
  timeRelative: r.time_relative === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  evaluatedAt: r.evaluated_at,
});

/** Insert, or replace the definition of, a segment (keeps created_at on replace). */
export function upsertSegmentStatement(db: D1Database, workspaceId: string, s: Omit<Segment, 'evaluatedAt'>): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO segments (workspace_id, key, name, condition, depends_on, time_relative, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT (workspace_id, key) DO UPDATE SET name = excluded.name, condition = excluded.condition,
         depends_on = excluded.depends_on, time_relative = excluded.time_relative, updated_at = excluded.updated_at`,
    )
    .bind(workspaceId, s.key, s.name, JSON.stringify(s.condition), JSON.stringify(s.dependsOn), s.timeRelative ? 1 : 0, s.createdAt, s.updatedAt);
}

export function deleteSegmentStatement(db: D1Database, workspaceId: string, key: string): D1PreparedStatement {
  return db.prepare('DELETE FROM segments WHERE workspace_id = ?1 AND key = ?2').bind(workspaceId, key);
}

export function markEvaluatedStatement(db: D1Database, workspaceId: string, key: string, now: number): D1PreparedStatement {
  return db.prepare('UPDATE segments SET evaluated_at = ?3 WHERE workspace_id = ?1 AND key = ?2').bind(workspaceId, key, now);
}

export async function getSegment(db: D1Database, workspaceId: string, key: string): Promise<Segment | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM segments WHERE workspace_id = ?1 AND key = ?2`).bind(workspaceId, key).first<SegmentRow>();
  return row ? toSegment(row) : null;
}

/** Every segment of a workspace, by key, as a statement to run inside another batch (see `toSegments`). */
export function listSegmentsStatement(db: D1Database, workspaceId: string): D1PreparedStatement {
  return db.prepare(`SELECT ${COLUMNS} FROM segments WHERE workspace_id = ?1 ORDER BY key`).bind(workspaceId);
}

export const toSegments = (rows: readonly unknown[]): Segment[] => (rows as SegmentRow[]).map(toSegment);

/** Every segment of a workspace, by key. */
export async function listSegments(db: D1Database, workspaceId: string): Promise<Segment[]> {
  const { results } = await listSegmentsStatement(db, workspaceId).all();
  return toSegments(results);
}

/** Member counts per segment key (segments without members are absent). */
export async function segmentSizes(db: D1Database, workspaceId: string, key?: string): Promise<Map<string, number>> {
  const stmt = key
    ? db.prepare('SELECT segment_key, count(*) AS n FROM segment_members WHERE workspace_id = ?1 AND segment_key = ?2').bind(workspaceId, key)
    : db.prepare('SELECT segment_key, count(*) AS n FROM segment_members WHERE workspace_id = ?1 GROUP BY segment_key').bind(workspaceId);
  const { results } = await stmt.all<{ segment_key: string | null; n: number }>();
  return new Map(results.filter((r) => r.segment_key !== null).map((r) => [r.segment_key!, r.n]));
}

/** Workspaces holding segments; with `timeRelativeOnly`, segments whose membership moves with the clock. */
export async function workspacesWithSegments(db: D1Database, opts: { timeRelativeOnly: boolean }): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT DISTINCT workspace_id FROM segments WHERE time_relative >= ?1')
    .bind(opts.timeRelativeOnly ? 1 : 0)
    .all<{ workspace_id: string }>();
  return results.map((r) => r.workspace_id);
}
