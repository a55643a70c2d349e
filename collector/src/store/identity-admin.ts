import type { StoredEvent } from '../ingest/normalise';
import type { IdentityCounters, MergeRecord } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { storedEventOf, type EventRow as StoredEventRow } from './person-data';
import type { MergeToUndo, SplitPlan, TreeEvent, TreeIdentity } from '../identity/split';
import { addCountersStatement, guardStatements, upsertProfilesStatements } from './identity-writes';
import { jsonChunks } from './json-chunks';
import { PROFILE_COLUMNS, toProfileState, type ProfileRow } from './profile-rows';

/** Every profile row of one canonical profile's merge tree (the root included). */
export async function loadTree(db: D1Database, workspaceId: string, canonicalId: string): Promise<ProfileState[]> {
  const { results } = await db
    .prepare(`SELECT ${PROFILE_COLUMNS} FROM profiles p WHERE p.workspace_id = ?1 AND p.canonical_id = ?2`)
    .bind(workspaceId, canonicalId)
    .all<ProfileRow>();
  return results.map(toProfileState);
}

/** An events row as a split's replay reads it (the same columns as the export's, less seq and integrations). */
type EventRow = Omit<StoredEventRow, 'seq' | 'integrations' | 'type' | 'profile_id'> & { type: StoredEvent['type']; profile_id: string };

/** A tree's events, each with the profile it resolved to (for a split's replay). */
export async function loadTreeEvents(db: D1Database, workspaceId: string, canonicalId: string): Promise<TreeEvent[]> {
  const { results } = await db
    .prepare(`SELECT e.message_id, e.type, e.event, e.name, e.anonymous_id, e.user_id, e.group_id, e.previous_id, e.profile_id,
        e.timestamp, e.received_at, e.sent_at, e.original_timestamp, e.properties, e.traits, e.context
      FROM profiles p CROSS JOIN events e ON e.profile_id = p.id
      WHERE p.workspace_id = ?1 AND p.canonical_id = ?2 AND +e.workspace_id = ?1`)
    .bind(workspaceId, canonicalId)
    .all<EventRow>();
  return results.map((r) => ({
    profileId: r.profile_id,
    event: storedEventOf(r),
  }));
}

/** Every identity row of a tree, with the profile that claimed it. */
export async function loadTreeIdentities(db: D1Database, workspaceId: string, canonicalId: string): Promise<TreeIdentity[]> {
  const { results } = await db
    .prepare(`SELECT i.type, i.value, i.profile_id, i.created_at FROM profiles p CROSS JOIN identities i ON i.profile_id = p.id
      WHERE p.workspace_id = ?1 AND p.canonical_id = ?2 AND i.workspace_id = ?1`)
    .bind(workspaceId, canonicalId)
    .all<{ type: string; value: string; profile_id: string; created_at: number }>();
  return results.map((r) => ({ type: r.type, value: r.value, profileId: r.profile_id, createdAt: r.created_at }));
}

/** The logged merge of `absorbedId` into `survivorId` that is still in force (null if none is logged). */
export async function loadMergeToUndo(
  db: D1Database,
  workspaceId: string,
  survivorId: string,
  absorbedId: string,
): Promise<MergeToUndo | null> {
  const row = await db
    .prepare(`SELECT cause, cause_message_id, created_at FROM merge_log WHERE workspace_id = ?1 AND survivor_id = ?2 AND absorbed_id = ?3 AND split_at IS NULL
      ORDER BY created_at DESC LIMIT 1`)
    .bind(workspaceId, survivorId, absorbedId)
    .first<{ cause: string | null; cause_message_id: string | null; created_at: number }>();
  return row ? { cause: row.cause, causeMessageId: row.cause_message_id, createdAt: row.created_at } : null;
}

/**
 * One atomic batch that splits a subtree out: guard on every tree row read, both replayed
 * profiles written, the subtree re-pointed at the restored root, the events and identifiers the
 * restored person sent or brought while merged given back, account memberships moved, the merge
 * marked as split.
 */
export function splitStatements(
  db: D1Database,
  workspaceId: string,
  s: { tree: ProfileState[]; plan: SplitPlan; parentId: string; now: number },
): D1PreparedStatement[] {
  const { survivor, restored, moved, movedEvents, movedIdentities, members } = s.plan;
  const out = [
    ...guardStatements(db, workspaceId, { guard: s.tree.map((p) => ({ id: p.id, version: p.version })), accounts: [] }),
    ...upsertProfilesStatements(db, workspaceId, [survivor, restored]),
    db
      .prepare(`UPDATE profiles SET canonical_id = ?3, merged_into = CASE WHEN id = ?3 THEN NULL ELSE merged_into END,
        version = version + 1, updated_at = ?4
        WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))`)
      .bind(workspaceId, JSON.stringify(moved), restored.id, s.now),
  ];
  for (const chunk of jsonChunks(movedEvents)) {
    out.push(db.prepare(MOVE_EVENTS).bind(workspaceId, chunk, restored.id));
  }
  for (const chunk of jsonChunks(movedIdentities.map((i) => [i.type, i.value]))) {
    out.push(db.prepare(MOVE_IDENTITIES).bind(workspaceId, chunk, restored.id));
  }
  for (const chunk of jsonChunks(members.add.map((m) => [m.groupId, m.profileId]))) {
    out.push(db.prepare(ADD_MEMBERS).bind(workspaceId, chunk, s.now));
  }
  for (const chunk of jsonChunks(members.remove.map((m) => [m.groupId, m.profileId]))) {
    out.push(db.prepare(REMOVE_MEMBERS).bind(workspaceId, chunk));
  }
  out.push(
    db
      .prepare(`UPDATE merge_log SET split_at = ?4 WHERE workspace_id = ?1 AND survivor_id = ?2 AND absorbed_id = ?3 AND split_at IS NULL`)
      .bind(workspaceId, s.parentId, restored.id, s.now),
  );
  return out;
}

// Events keep their content; only the profile they resolve to changes (the unique message index finds them).
const MOVE_EVENTS = `UPDATE events SET profile_id = ?3 WHERE workspace_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))`;
// Row values on the primary key, so each identifier is one index lookup.
const MOVE_IDENTITIES = `UPDATE identities SET profile_id = ?3
  WHERE (workspace_id, type, value) IN (SELECT ?1, value->>0, value->>1 FROM json_each(?2))`;
const ADD_MEMBERS = `INSERT OR IGNORE INTO account_members (workspace_id, group_id, profile_id, created_at)
  SELECT ?1, value->>0, value->>1, ?3 FROM json_each(?2)`;
const REMOVE_MEMBERS = `DELETE FROM account_members
  WHERE (workspace_id, group_id, profile_id) IN (SELECT ?1, value->>0, value->>1 FROM json_each(?2))`;

/** One atomic batch for a force-merge: guard, both rows, the absorbed tree re-pointed, the log. */
export function forceMergeStatements(
  db: D1Database,
  workspaceId: string,
  m: { read: ProfileState[]; survivor: ProfileState; absorbed: ProfileState; record: MergeRecord; now: number },
): D1PreparedStatement[] {
  const counters: IdentityCounters = { junkIds: 0, invalidIds: 0, userIdConflicts: 0, identifierCap: 0, mergeCap: 0, splitBlocks: 0, merges: 1, profilesCreated: 0 };
  return [
    ...guardStatements(db, workspaceId, { guard: m.read.map((p) => ({ id: p.id, version: p.version })), accounts: [] }),
    ...upsertProfilesStatements(db, workspaceId, [m.survivor, m.absorbed]),
    db
      .prepare(`UPDATE profiles SET canonical_id = ?3, merged_into = CASE WHEN id = ?2 THEN ?3 ELSE merged_into END,
        version = version + 1, updated_at = ?4 WHERE workspace_id = ?1 AND canonical_id = ?2`)
      .bind(workspaceId, m.absorbed.id, m.survivor.id, m.now),
    db
      .prepare(`INSERT INTO merge_log (id, workspace_id, survivor_id, absorbed_id, reason, cause, cause_message_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`)
      .bind(m.record.id, workspaceId, m.record.survivorId, m.record.absorbedId, m.record.reason, m.record.cause, m.record.causeMessageId, m.now),
    addCountersStatement(db, workspaceId, counters, m.now)!,
  ];
}

export interface MergeLogEntry extends MergeRecord {
  createdAt: number;
  splitAt: number | null;
}

/**
 * The merges of one canonical profile's tree, newest first: those inside it (what a split can
 * undo) and those split out of it (with `splitAt`), so both sides of a split see its record.
 */
export async function listMerges(db: D1Database, workspaceId: string, canonicalId: string): Promise<MergeLogEntry[]> {
  const { results } = await db
    .prepare(`WITH tree AS (SELECT id FROM profiles WHERE workspace_id = ?1 AND canonical_id = ?2)
      SELECT m.id, m.survivor_id, m.absorbed_id, m.reason, m.cause, m.cause_message_id, m.created_at, m.split_at FROM merge_log m
      WHERE m.workspace_id = ?1 AND (m.absorbed_id IN (SELECT id FROM tree) OR m.survivor_id IN (SELECT id FROM tree))
      ORDER BY m.created_at DESC LIMIT 200`)
    .bind(workspaceId, canonicalId)
    .all<{ id: string; survivor_id: string; absorbed_id: string; reason: MergeRecord['reason']; cause: string | null; cause_message_id: string | null; created_at: number; split_at: number | null }>();
  return results.map((r) => ({
    id: r.id,
    survivorId: r.survivor_id,
    absorbedId: r.absorbed_id,
    reason: r.reason,
    cause: r.cause,
    causeMessageId: r.cause_message_id,
    createdAt: r.created_at,
    splitAt: r.split_at,
  }));
}
