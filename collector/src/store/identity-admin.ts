import type { StoredEvent } from '../ingest/normalise';
import type { IdentityCounters, MergeRecord } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import type { EventRow as StoredEventRow } from './person-data';
import { addCountersStatement, guardStatements, upsertProfilesStatements } from './identity-writes';
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

/** A tree's events grouped by the profile they resolved to at ingest (for a split's replay). */
export async function loadTreeEvents(db: D1Database, workspaceId: string, canonicalId: string): Promise<Map<string, StoredEvent[]>> {
  const { results } = await db
    .prepare(`SELECT e.message_id, e.type, e.event, e.name, e.anonymous_id, e.user_id, e.group_id, e.previous_id, e.profile_id,
        e.timestamp, e.received_at, e.sent_at, e.original_timestamp, e.properties, e.traits, e.context
      FROM profiles p CROSS JOIN events e ON e.profile_id = p.id
      WHERE p.workspace_id = ?1 AND p.canonical_id = ?2 AND +e.workspace_id = ?1`)
    .bind(workspaceId, canonicalId)
    .all<EventRow>();
  const out = new Map<string, StoredEvent[]>();
  for (const r of results) {
    const e: StoredEvent = {
      messageId: r.message_id,
      type: r.type,
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
      properties: r.properties ? JSON.parse(r.properties) : null,
      traits: r.traits ? JSON.parse(r.traits) : null,
      context: r.context ? JSON.parse(r.context) : {},
      integrations: null,
    };
    out.set(r.profile_id, [...(out.get(r.profile_id) ?? []), e]);
  }
  return out;
}

/**
 * One atomic batch that splits a subtree out: guard on every tree row read, both replayed
 * profiles written, the subtree re-pointed at the restored root, the merge marked as split.
 */
export function splitStatements(
  db: D1Database,
  workspaceId: string,
  s: { tree: ProfileState[]; survivor: ProfileState; restored: ProfileState; moved: string[]; parentId: string; now: number },
): D1PreparedStatement[] {
  return [
    ...guardStatements(db, workspaceId, { guard: s.tree.map((p) => ({ id: p.id, version: p.version })), accounts: [] }),
    ...upsertProfilesStatements(db, workspaceId, [s.survivor, s.restored]),
    db
      .prepare(`UPDATE profiles SET canonical_id = ?3, merged_into = CASE WHEN id = ?3 THEN NULL ELSE merged_into END,
        version = version + 1, updated_at = ?4
        WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))`)
      .bind(workspaceId, JSON.stringify(s.moved), s.restored.id, s.now),
    db
      .prepare(`UPDATE merge_log SET split_at = ?4 WHERE workspace_id = ?1 AND survivor_id = ?2 AND absorbed_id = ?3 AND split_at IS NULL`)
      .bind(workspaceId, s.parentId, s.restored.id, s.now),
  ];
}

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
      .prepare(`INSERT INTO merge_log (id, workspace_id, survivor_id, absorbed_id, reason, cause, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`)
      .bind(m.record.id, workspaceId, m.record.survivorId, m.record.absorbedId, m.record.reason, m.record.cause, m.now),
    addCountersStatement(db, workspaceId, counters, m.now)!,
  ];
}

export interface MergeLogEntry extends MergeRecord {
  createdAt: number;
  splitAt: number | null;
}

/** The merges inside one canonical profile's tree, newest first (what a split can undo). */
export async function listMerges(db: D1Database, workspaceId: string, canonicalId: string): Promise<MergeLogEntry[]> {
  const { results } = await db
    .prepare(`SELECT m.id, m.survivor_id, m.absorbed_id, m.reason, m.cause, m.created_at, m.split_at
      FROM profiles p CROSS JOIN merge_log m ON m.workspace_id = ?1 AND m.absorbed_id = p.id
      WHERE p.workspace_id = ?1 AND p.canonical_id = ?2 ORDER BY m.created_at DESC LIMIT 200`)
    .bind(workspaceId, canonicalId)
    .all<{ id: string; survivor_id: string; absorbed_id: string; reason: MergeRecord['reason']; cause: string | null; created_at: number; split_at: number | null }>();
  return results.map((r) => ({
    id: r.id,
    survivorId: r.survivor_id,
    absorbedId: r.absorbed_id,
    reason: r.reason,
    cause: r.cause,
    createdAt: r.created_at,
    splitAt: r.split_at,
  }));
}
