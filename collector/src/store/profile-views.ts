import type { JsonObject } from '../../../sdk/src/contract';
import { COLD_BEFORE_SQL, hasColdSql } from './archive-index';
import { recordColumnsSql, toView, viewColumnsSql, type ProfileView, type TimelineEvent, type ViewRow } from './profiles';

/**
 * Which canonical profiles a batch read covers: those the given profile ids belong to now (an
 * absorbed id reads its survivor; an unknown one reads nothing), or the next `limit` canonical
 * profiles after `after` in id order (the read store's sweep over the whole workspace).
 */
export type ViewBatchTarget = { ids: readonly string[] } | { after: string; limit: number };

/** One canonical profile as the read store keeps it. */
export interface StoredViewSource {
  view: ProfileView;
  /** Every profile id of its merge tree (itself and the ids it absorbed): each is a ref that reads it. */
  treeIds: string[];
  /** Its newest events, up to the rows asked for; null when the page reaches into the R2 archive (read per person instead). */
  timeline: TimelineEvent[] | null;
}

type BatchRow = ViewRow & { tree_ids: string; timeline_json: string; cold_before: number | null; has_cold: number };

/**
 * Profile views, merge-tree ids and first timeline pages of a batch of canonical profiles, in one
 * D1 statement (one round trip, one snapshot): what the profile read store refreshes and backfills
 * with (profile-reads/catch-up.ts). `timelineRows` events per person are read, newest first.
 *
 * @example
 * await readViewBatch(db, 'ws_1', { after: '', limit: 200 }, Date.now(), 51) // the first 200 people
 * await readViewBatch(db, 'ws_1', { ids: ['prof_a', 'prof_b'] }, Date.now(), 51) // these, as they are now
 */
export async function readViewBatch(db: D1Database, workspaceId: string, target: ViewBatchTarget, now: number, timelineRows: number): Promise<StoredViewSource[]> {
  const batch =
    'ids' in target
      ? `SELECT DISTINCT c.canonical_id FROM json_each(?4) j CROSS JOIN profiles c ON c.id = j.value WHERE c.workspace_id = ?1`
      : `SELECT canonical_id FROM profiles WHERE workspace_id = ?1 AND canonical_id > ?4 AND id = canonical_id ORDER BY canonical_id LIMIT ?5`;
  const binds = 'ids' in target ? [JSON.stringify(target.ids)] : [target.after, target.limit];
  // Events as JSON arrays, newest first, across the merge tree: the same order as listProfileEvents.
  const { results } = await db
    .prepare(`WITH b(id) AS (${batch})
      SELECT ${recordColumnsSql('p.id')}, ${viewColumnsSql('p.id')},
        (SELECT json_group_array(t.id) FROM profiles t WHERE t.workspace_id = ?1 AND t.canonical_id = p.id) AS tree_ids,
        (SELECT json_group_array(json_array(x.message_id, x.type, x.event, x.name, x.timestamp, json(x.properties), json(x.traits), json(x.context))) FROM (
          SELECT e.message_id, e.type, e.event, e.name, e.timestamp, e.properties, e.traits, e.context
          FROM profiles tp CROSS JOIN events e ON e.profile_id = tp.id
          WHERE tp.workspace_id = ?1 AND tp.canonical_id = p.id AND +e.workspace_id = ?1
          ORDER BY e.timestamp DESC, e.message_id DESC LIMIT ?3) x) AS timeline_json,
        ${COLD_BEFORE_SQL} AS cold_before, ${hasColdSql('p.id')} AS has_cold
      FROM b CROSS JOIN profiles p ON p.id = b.id LEFT JOIN prediction_models pm ON pm.workspace_id = ?1
      WHERE p.workspace_id = ?1 ORDER BY p.id`)
    .bind(workspaceId, now, timelineRows, ...binds)
    .all<BatchRow>();
  return results.map((row) => {
    const events = (JSON.parse(row.timeline_json) as EventTuple[]).map(toTimelineEvent);
    return { view: toView(row), treeIds: JSON.parse(row.tree_ids) as string[], timeline: pageIsWhole(events, timelineRows, row) ? events : null };
  });
}

type EventTuple = [string, string, string | null, string | null, number, JsonObject | null, JsonObject | null, JsonObject | null];

const toTimelineEvent = ([messageId, type, event, name, timestamp, properties, traits, context]: EventTuple): TimelineEvent => ({
  messageId,
  type,
  event,
  name,
  timestamp,
  properties,
  traits,
  context,
});

/**
 * Whether D1 alone holds the page, as archive/cold-timeline.ts decides: nothing archived below the
 * cold boundary for this person, or the page ends at or above the boundary.
 */
function pageIsWhole(events: TimelineEvent[], rows: number, cold: { cold_before: number | null; has_cold: number }): boolean {
  const last = events[rows - 1];
  return cold.cold_before === null || cold.has_cold !== 1 || (last !== undefined && last.timestamp >= cold.cold_before);
}

/**
 * The canonical profiles that are members of these accounts (each shows the account's traits), at
 * most `limit`; null when there are more (the caller then treats the change as touching everyone).
 *
 * @example
 * await accountMemberProfiles(db, 'ws_1', ['acme'], 5_000) // -> ['prof_a', 'prof_b'], or null
 */
export async function accountMemberProfiles(db: D1Database, workspaceId: string, groupIds: readonly string[], limit: number): Promise<string[] | null> {
  if (groupIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT DISTINCT p.canonical_id AS id FROM json_each(?2) g
        CROSS JOIN account_members m ON m.workspace_id = ?1 AND m.group_id = g.value
        CROSS JOIN profiles p ON p.id = m.profile_id AND p.workspace_id = ?1
        LIMIT ?3`,
    )
    .bind(workspaceId, JSON.stringify(groupIds), limit + 1)
    .all<{ id: string }>();
  return results.length > limit ? null : results.map((r) => r.id);
}
