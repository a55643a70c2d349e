import type { ArchivePlace, ObjectLines } from '../archive/places';
import type { StoredEvent } from '../ingest/normalise';

// D1 caps a bound value at ~2 MB and a statement's SQL at 100 KB; sending the whole batch
// as one JSON parameter to json_each keeps the SQL tiny and is the fastest insert path
// measured here (see TOOLCHAIN notes). Chunks stay well under the value cap.
const MAX_CHUNK_CHARS = 1_500_000;

// MATERIALIZED: each row's JSON text is rendered once. Flattened into the SELECT, json_each rendered
// the whole row again for each of the 17 columns (SQLite's JSON rendering was the largest single
// cost of the runtime in a perf profile of bench/ingest; this insert took about half as long).
// A row is the event's inbox text (below) with its profile and archive place in front:
// [profileId, archiveObject, archiveLine, archiveLines, ...inbox row]. `->>N` (an integer) reads element N
// without a path text to parse for each of 20 columns of every row.
const INSERT_EVENTS_SQL = `INSERT OR IGNORE INTO events (workspace_id, profile_id, archive_object, archive_line, archive_lines,
  message_id, type, event, name, anonymous_id, user_id, group_id, previous_id, timestamp, received_at, sent_at,
  original_timestamp, properties, traits, context, integrations)
WITH r AS MATERIALIZED (SELECT value AS v FROM json_each(?2))
SELECT ?1, v->>0, v->>1, v->>2, v->>3, v->>4, v->>5, v->>6, v->>7, v->>8, v->>9, v->>10, v->>11, v->>12, v->>13,
  v->>14, v->>15, v->>16, v->>17, v->>18, v->>19
FROM r`;

// Objects go into the row as they are, not as JSON strings: `->>` reads an object back as its JSON
// text, and a string inside the row would be escaped twice (once here, once by the D1 binding),
// which cost about a sixth of ingest's runtime CPU in a profile.
const json = (v: unknown) => v ?? null;

/** An event's fields in the order of its inbox row (and of the events insert after the profile). */
function inboxFields(e: StoredEvent): unknown[] {
  return [
    e.messageId,
    e.type,
    e.event,
    e.name,
    e.anonymousId,
    e.userId,
    e.groupId,
    e.previousId,
    e.timestamp,
    e.receivedAt,
    e.sentAt,
    e.originalTimestamp,
    json(e.properties),
    json(e.traits),
    json(e.context),
    json(e.integrations),
  ];
}

/**
 * An accepted event as the inbox keeps it: a JSON array in the order the events insert reads, so
 * that the resolver stores the text it read (with the profile put in front) instead of encoding
 * every event again. `fromInboxText` reads it back.
 *
 * @example
 * inboxText(event) // -> '["m1","track","Signed Up",null,"a1",...]'
 */
export const inboxText = (e: StoredEvent): string => JSON.stringify(inboxFields(e));

/** The inbox text each event was read from (fromInboxText), for the events insert. */
const textOf = new WeakMap<StoredEvent, string>();

/**
 * The event an inbox row holds. Rows appended before the array layout hold the event as an
 * object, which is read as it is.
 *
 * @example
 * fromInboxText(inboxText(event)) // -> an event equal to `event`
 */
export function fromInboxText(text: string): StoredEvent {
  const v = JSON.parse(text) as unknown[] | StoredEvent;
  if (!Array.isArray(v)) return v;
  const e: StoredEvent = {
    messageId: v[0] as string,
    type: v[1] as StoredEvent['type'],
    event: v[2] as string | null,
    name: v[3] as string | null,
    anonymousId: v[4] as string | null,
    userId: v[5] as string | null,
    groupId: v[6] as string | null,
    previousId: v[7] as string | null,
    timestamp: v[8] as number,
    receivedAt: v[9] as number,
    sentAt: v[10] as number | null,
    originalTimestamp: v[11] as number | null,
    properties: v[12] as StoredEvent['properties'],
    traits: v[13] as StoredEvent['traits'],
    context: v[14] as StoredEvent['context'],
    integrations: v[15] as StoredEvent['integrations'],
  };
  textOf.set(e, text);
  return e;
}

/** An event's insert row: its inbox text when it came from one (never encoded again), with the profile and archive place in front. */
function rowText(e: StoredEvent, profileId: string | null, place: ArchivePlace | undefined): string {
  const inbox = textOf.get(e) ?? inboxText(e);
  const where = place ? `${JSON.stringify(place.object)},${place.line},${place.lines}` : 'null,null,null';
  return `[${profileId === null ? 'null' : JSON.stringify(profileId)},${where},${inbox.slice(1)}`;
}

/**
 * Statements that store events exactly once: a messageId already stored for the workspace is
 * ignored by the unique index, which also covers two concurrent requests carrying the same id.
 * `profileOf` names the profile each is stored under (null: none), `placeOf` where the R2
 * archive holds it (archive/places.ts; retention indexes it from there when it leaves D1).
 */
export function insertEventsStatements(
  db: D1Database,
  workspaceId: string,
  events: readonly StoredEvent[],
  profileOf: (e: StoredEvent) => string | null = () => null,
  placeOf: (e: StoredEvent) => ArchivePlace | undefined = () => undefined,
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
  for (const event of events) {
    const row = rowText(event, profileOf(event), placeOf(event));
    if (chars + row.length > MAX_CHUNK_CHARS) flush();
    chunk.push(row);
    chars += row.length + 1;
  }
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

// The chunk of events one retention step deletes. Both statements of the step run this same query
// in one transaction over the same rows, so they pick the same events.
const COLD_CHUNK_SQL = `SELECT seq FROM events
  WHERE workspace_id = ?1 AND timestamp < ?2 AND received_at >= ?3
    AND (event IS NULL OR event NOT IN (SELECT value FROM json_each(?5))) LIMIT ?4`;

// The per-person index rows of the events about to go (archive/cold-index.ts): one row per profile
// per archive object, from the places ingest stored with them. Rows of one profile and object
// from two chunks with the same earliest time become one. Events stored before their places were
// kept (migration 0014) were indexed on ingest and are skipped.
const INDEX_COLD_SQL = `INSERT INTO archive_index (workspace_id, profile_id, object, min_ts, max_ts, lines, object_lines)
  SELECT ?1, profile_id, archive_object, min(timestamp), max(timestamp), group_concat(archive_line, ','), max(archive_lines)
  FROM events WHERE seq IN (${COLD_CHUNK_SQL}) AND profile_id IS NOT NULL AND archive_object IS NOT NULL
  GROUP BY profile_id, archive_object
  ON CONFLICT (workspace_id, profile_id, min_ts, object) DO UPDATE
    SET max_ts = max(max_ts, excluded.max_ts), lines = lines || ',' || excluded.lines`;

/**
 * Deletes up to COLD_CHUNK of the workspace's events that happened before `before` (event time,
 * which segment windows and timelines use) and were received at or after `archivedSince` (so they
 * are in the R2 archive), except events named in `keep` (all-time rules read them), and in the same
 * atomic batch indexes them (archive_index) from their archive places: the index is built when it
 * is first needed, never on ingest. Answers how many went.
 */
export async function deleteColdEvents(db: D1Database, workspaceId: string, before: number, archivedSince: number, keep: readonly string[] = []): Promise<number> {
  const binds = [workspaceId, before, archivedSince, COLD_CHUNK, JSON.stringify(keep)];
  const [, deleted] = await db.batch([
    db.prepare(INDEX_COLD_SQL).bind(...binds),
    db.prepare(`DELETE FROM events WHERE seq IN (${COLD_CHUNK_SQL})`).bind(...binds),
  ]);
  return deleted.meta.changes ?? 0;
}

/**
 * Statements that set where the archive holds events already stored: each object's messageIds in
 * line order. A replayed batch (its objects planned again, perhaps with more lines) and a rebuild
 * set them unconditionally; a purge that rewrote an object passes `onlyIn` so that only rows still
 * placed in that object move (absolute places: running them twice changes nothing). Rows of
 * messageIds not stored are not touched.
 *
 * @example
 * await db.batch(placeEventsStatements(db, 'ws_1', [{ object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', messageIds: ['m1', 'm2'] }]));
 */
export function placeEventsStatements(db: D1Database, workspaceId: string, objects: readonly ObjectLines[], onlyIn = false): D1PreparedStatement[] {
  return objects
    .filter((o) => o.messageIds.length > 0)
    .map((o) =>
      db
        .prepare(`UPDATE events SET archive_object = ?2, archive_line = j.key, archive_lines = ?4
          FROM json_each(?3) j WHERE events.workspace_id = ?1 AND events.message_id = j.value${onlyIn ? ' AND events.archive_object = ?2' : ''}`)
        .bind(workspaceId, o.object, JSON.stringify(o.messageIds), o.messageIds.length),
    );
}

/** The statement that forgets the archive place of events a purge took out of `object` (only rows still placed there). */
export function unplaceEventsStatement(db: D1Database, workspaceId: string, object: string, messageIds: readonly string[]): D1PreparedStatement {
  return db
    .prepare(`UPDATE events SET archive_object = NULL, archive_line = NULL, archive_lines = NULL
      WHERE workspace_id = ?1 AND message_id IN (SELECT value FROM json_each(?3)) AND archive_object = ?2`)
    .bind(workspaceId, object, JSON.stringify(messageIds));
}
