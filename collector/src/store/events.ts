import { eventJson } from '../ingest/event-text';
import type { StoredEvent } from '../ingest/normalise';

// D1 caps a bound value at ~2 MB and a statement's SQL at 100 KB; sending the whole batch
// as one JSON parameter to json_each keeps the SQL tiny and is the fastest insert path
// measured here (see TOOLCHAIN notes). Chunks stay well under the value cap.
const MAX_CHUNK_CHARS = 1_500_000;

// Each row is `[profileId, event]`, the event as the JSON text it came out of the inbox in (see
// eventJson): the resolver does not encode every event again to store it. `->>` reads an object
// field back as its JSON text.
const INSERT_EVENTS_SQL = `INSERT OR IGNORE INTO events (workspace_id, message_id, type, event, name, anonymous_id,
  user_id, group_id, previous_id, profile_id, timestamp, received_at, sent_at, original_timestamp, properties,
  traits, context, integrations)
SELECT ?1, v->>'$[1].messageId', v->>'$[1].type', v->>'$[1].event', v->>'$[1].name', v->>'$[1].anonymousId',
  v->>'$[1].userId', v->>'$[1].groupId', v->>'$[1].previousId', v->>'$[0]', v->>'$[1].timestamp',
  v->>'$[1].receivedAt', v->>'$[1].sentAt', v->>'$[1].originalTimestamp', v->>'$[1].properties',
  v->>'$[1].traits', v->>'$[1].context', v->>'$[1].integrations'
FROM (SELECT value AS v FROM json_each(?2))`;

/**
 * Statements that store events exactly once: a messageId already stored for the workspace is
 * ignored by the unique index, which also covers two concurrent requests carrying the same id.
 * `profileIds[i]` is the profile of `events[i]` (null when it resolved to none).
 */
export function insertEventsStatements(
  db: D1Database,
  workspaceId: string,
  events: readonly StoredEvent[],
  profileIds: readonly (string | null)[],
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  let chunk: string[] = [];
  let chars = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    statements.push(db.prepare(INSERT_EVENTS_SQL).bind(workspaceId, `[${chunk.join(',')}]`));
    chunk = [];
    chars = 0;
  };
  events.forEach((event, i) => {
    const row = `[${JSON.stringify(profileIds[i] ?? null)},${eventJson(event)}]`;
    if (chars + row.length > MAX_CHUNK_CHARS) flush();
    chunk.push(row);
    chars += row.length + 1;
  });
  flush();
  return statements;
}

/** The messageIds of this list that the workspace has already stored. */
export async function findStoredMessageIds(
  db: D1Database,
  workspaceId: string,
  messageIds: readonly string[],
): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const { results } = await db
    .prepare(
      'SELECT message_id FROM events WHERE workspace_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))',
    )
    .bind(workspaceId, JSON.stringify(messageIds))
    .all<{ message_id: string }>();
  return new Set(results.map((r) => r.message_id));
}

/** Rows a retention statement deletes at most: a short transaction each. */
export const COLD_CHUNK = 5000;

/**
 * Deletes up to COLD_CHUNK of the workspace's events that happened before `before` (event time,
 * which segment windows and timelines use) and were received at or after `archivedSince` (so they
 * are in the R2 archive). Answers how many went.
 */
export async function deleteColdEvents(db: D1Database, workspaceId: string, before: number, archivedSince: number): Promise<number> {
  const result = await db
    .prepare(`DELETE FROM events WHERE seq IN (SELECT seq FROM events
      WHERE workspace_id = ?1 AND timestamp < ?2 AND received_at >= ?3 LIMIT ?4)`)
    .bind(workspaceId, before, archivedSince, COLD_CHUNK)
    .run();
  return result.meta.changes ?? 0;
}
