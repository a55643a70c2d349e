/**
 * Daily segment sizes (segment_size_daily, migration 0005). Membership is stored only as "now";
 * the scheduled handler calls `recordSegmentSizes` every run so each UTC day keeps the size it
 * had at its last run: the trend line of the console and `GET /v1/insights/segments/{key}`.
 */
import { dayStart } from '../insights/series';

/**
 * Upserts today's (UTC) size of every segment of every workspace, in one statement.
 * @example await recordSegmentSizes(env.DB, controller.scheduledTime)
 */
export async function recordSegmentSizes(db: D1Database, now: number): Promise<number> {
  // "WHERE true" lets SQLite parse ON CONFLICT after INSERT ... SELECT (documented ambiguity).
  const result = await db
    .prepare(
      `INSERT INTO segment_size_daily (workspace_id, segment_key, day, size, segment_created_at, recorded_at)
       SELECT s.workspace_id, s.key, ?1,
         (SELECT count(*) FROM segment_members m WHERE m.workspace_id = s.workspace_id AND m.segment_key = s.key),
         s.created_at, ?2
       FROM segments s WHERE true
       ON CONFLICT (workspace_id, segment_key, day) DO UPDATE SET
         size = excluded.size, segment_created_at = excluded.segment_created_at, recorded_at = excluded.recorded_at`,
    )
    .bind(dayStart(now), now)
    .run();
  return result.meta.changes ?? 0;
}

export interface SizeSnapshot {
  segmentKey: string;
  day: number;
  size: number;
}

/**
 * Snapshots of a workspace's segments from `fromDay` on, only those taken of the segment that
 * exists now (same created_at), so a re-created key starts a fresh history.
 */
export async function segmentSizeHistory(
  db: D1Database,
  workspaceId: string,
  fromDay: number,
  segments: readonly { key: string; createdAt: number }[],
): Promise<SizeSnapshot[]> {
  if (segments.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT d.segment_key, d.day, d.size FROM segment_size_daily d
       JOIN json_each(?3) j ON j.value->>'$[0]' = d.segment_key AND j.value->>'$[1]' = d.segment_created_at
       WHERE d.workspace_id = ?1 AND d.day >= ?2 ORDER BY d.day`,
    )
    .bind(workspaceId, fromDay, JSON.stringify(segments.map((s) => [s.key, s.createdAt])))
    .all<{ segment_key: string; day: number; size: number }>();
  return results.map((r) => ({ segmentKey: r.segment_key, day: r.day, size: r.size }));
}
