import type { StoredEvent } from '../ingest/normalise';
// Everything stored about one person: found through their canonical profile's merge tree.
// Used by deletion and export (privacy/*), so both always cover the same rows.

export interface Person {
  canonicalId: string;
  /** The canonical profile and every profile merged into it. */
  profileIds: string[];
  /** Every identifier of the tree, as stored (normalised). */
  identifiers: { type: string; value: string }[];
}

/** The person behind a canonical profile id, or null when the workspace has no such profile. */
export async function loadPerson(db: D1Database, workspaceId: string, canonicalId: string): Promise<Person | null> {
  const [profiles, identities] = await db.batch<{ id?: string; type?: string; value?: string }>([
    db.prepare('SELECT id FROM profiles WHERE workspace_id = ?1 AND canonical_id = ?2 ORDER BY created_at, id').bind(workspaceId, canonicalId),
    db
      .prepare(`SELECT i.type, i.value FROM identities i JOIN profiles p ON p.id = i.profile_id
        WHERE i.workspace_id = ?1 AND p.workspace_id = ?1 AND p.canonical_id = ?2 ORDER BY i.created_at, i.type, i.value`)
      .bind(workspaceId, canonicalId),
  ]);
  const profileIds = profiles.results.map((r) => r.id!);
  if (!profileIds.includes(canonicalId)) return null;
  return { canonicalId, profileIds, identifiers: identities.results.map((r) => ({ type: r.type!, value: r.value! })) };
}

const valuesOf = (p: Person, type: string) => JSON.stringify(p.identifiers.filter((i) => i.type === type).map((i) => i.value));

// The person's events: resolved to one of their profiles at ingest, or carrying one of their
// user or anonymous ids (events are never rewritten, so both are needed).
const EVENTS_OF_PERSON = `workspace_id = ?1 AND (profile_id IN (SELECT value FROM json_each(?2))
  OR user_id IN (SELECT value FROM json_each(?3)) OR anonymous_id IN (SELECT value FROM json_each(?4)))`;
const eventBinds = (workspaceId: string, p: Person) => [workspaceId, JSON.stringify(p.profileIds), valuesOf(p, 'user_id'), valuesOf(p, 'anonymous_id')];

/**
 * Where each table keeps a person's rows. Tables from other migrations are included when they
 * exist, so deletion follows the schema as features land; a test scans every table for leftovers.
 */
const ERASE: { table: string; where: string; binds: (workspaceId: string, p: Person) => unknown[] }[] = [
  { table: 'events', where: EVENTS_OF_PERSON, binds: eventBinds },
  { table: 'identities', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'merge_log', where: 'workspace_id = ?1 AND (survivor_id IN (SELECT value FROM json_each(?2)) OR absorbed_id IN (SELECT value FROM json_each(?2)))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'account_members', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'segment_members', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'segment_changes', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'webhook_deliveries', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  // Derived from the person's events: predictions and computed trait values (issue 20).
  { table: 'profile_predictions', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'computed_trait_values', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  { table: 'event_deliveries', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  // Scratch rows of an evaluation run carry no workspace; profile ids are unique across workspaces.
  { table: 'segment_eval_scratch', where: 'profile_id IN (SELECT value FROM json_each(?2)) AND ?1 IS NOT NULL', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  // The per-person index into the R2 archive (archive/cold-index.ts): cold reads stop finding the
  // person's archived events at once; the purge then rewrites the objects without them.
  { table: 'archive_index', where: 'workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))', binds: (w, p) => [w, JSON.stringify(p.profileIds)] },
  // Last: the rows above are found through the profiles.
  { table: 'profiles', where: 'workspace_id = ?1 AND (id IN (SELECT value FROM json_each(?2)) OR canonical_id = ?3)', binds: (w, p) => [w, JSON.stringify(p.profileIds), p.canonicalId] },
];

/** Names of the tables in the database (table names never come from input). */
export async function existingTables(db: D1Database): Promise<Set<string>> {
  const { results } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
  return new Set(results.map((r) => r.name));
}

/** One DELETE per table holding the person's rows, in a safe order, with the table it empties. */
export function eraseStatements(db: D1Database, workspaceId: string, p: Person, tables: Set<string>) {
  return ERASE.filter((e) => tables.has(e.table)).map((e) => ({
    table: e.table,
    statement: db.prepare(`DELETE FROM ${e.table} WHERE ${e.where}`).bind(...e.binds(workspaceId, p)),
  }));
}

export interface EventRow {
  seq: number;
  message_id: string;
  type: string;
  event: string | null;
  name: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  group_id: string | null;
  previous_id: string | null;
  profile_id: string | null;
  timestamp: number;
  received_at: number;
  sent_at: number | null;
  original_timestamp: number | null;
  properties: string | null;
  traits: string | null;
  context: string | null;
  integrations: string | null;
}

const parsedObject = (text: string | null | undefined) => (text == null ? null : (JSON.parse(text) as Record<string, unknown>));

/** An events row (or the columns of one a query selected) as the event it was stored from. */
export function storedEventOf(r: Omit<EventRow, 'seq' | 'profile_id' | 'integrations'> & { integrations?: string | null }): StoredEvent {
  return {
    messageId: r.message_id,
    type: r.type as StoredEvent['type'],
    event: r.event,
    name: r.name,
    anonymousId: r.anonymous_id,
    userId: r.user_id,
    groupId: r.group_id,
    previousId: r.previous_id,
    timestamp: r.timestamp,
    receivedAt: r.received_at,
    sentAt: r.sent_at,
    originalTimestamp: r.original_timestamp,
    properties: parsedObject(r.properties),
    traits: parsedObject(r.traits),
    context: parsedObject(r.context) ?? {},
    integrations: parsedObject(r.integrations),
  };
}

/** A page of the person's events in storage order, after `afterSeq`. */
export async function personEventsPage(db: D1Database, workspaceId: string, p: Person, afterSeq: number, limit: number): Promise<EventRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM events WHERE ${EVENTS_OF_PERSON} AND seq > ?5 ORDER BY seq LIMIT ?6`)
    .bind(...eventBinds(workspaceId, p), afterSeq, limit)
    .all<EventRow>();
  return results;
}

/** Segment keys the person's profiles are members of (when segments exist). */
export async function personMemberships(db: D1Database, workspaceId: string, p: Person, tables: Set<string>) {
  if (!tables.has('segment_members')) return [];
  const { results } = await db
    .prepare(`SELECT segment_key, min(entered_at) AS entered_at FROM segment_members
      WHERE workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2)) GROUP BY segment_key ORDER BY segment_key`)
    .bind(workspaceId, JSON.stringify(p.profileIds))
    .all<{ segment_key: string; entered_at: number }>();
  return results.map((r) => ({ segment: r.segment_key, enteredAt: new Date(r.entered_at).toISOString() }));
}
