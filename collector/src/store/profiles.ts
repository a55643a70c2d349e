import type { JsonObject } from '../../../sdk/src/contract';
import type { Identifier } from '../identity/identifiers';
import type { IdentityCounters } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { PROFILE_COLUMNS, toProfileState, type ProfileRow } from './profile-rows';

/** The canonical profile an identifier belongs to now, or null. */
export async function canonicalIdForIdentifier(db: D1Database, workspaceId: string, id: Identifier): Promise<string | null> {
  const row = await db
    .prepare(`SELECT p.canonical_id FROM identities i CROSS JOIN profiles p ON p.id = i.profile_id
      WHERE i.workspace_id = ?1 AND i.type = ?2 AND i.value = ?3`)
    .bind(workspaceId, id.type, id.value)
    .first<{ canonical_id: string }>();
  return row?.canonical_id ?? null;
}

/** The canonical profile of a profile id (itself, or the survivor it was merged into), or null. */
export async function canonicalIdForProfile(db: D1Database, workspaceId: string, profileId: string): Promise<string | null> {
  const row = await db
    .prepare('SELECT canonical_id FROM profiles WHERE workspace_id = ?1 AND id = ?2')
    .bind(workspaceId, profileId)
    .first<{ canonical_id: string }>();
  return row?.canonical_id ?? null;
}

export interface ProfileRecord {
  state: ProfileState;
  identities: Identifier[];
  accounts: { groupId: string; traits: JsonObject }[];
}

/** How a request names a profile: its id (absorbed ids resolve to the survivor) or an identifier. */
export type ProfileSelector = { kind: 'id'; id: string } | { kind: 'identifier'; id: Identifier };

/** SQL for "the canonical id of this selector" with its binds from ?2 on, so a read needs no extra round trip. */
function canonicalOf(sel: ProfileSelector): { sql: string; binds: string[] } {
  return sel.kind === 'id'
    ? { sql: '(SELECT canonical_id FROM profiles WHERE workspace_id = ?1 AND id = ?2)', binds: [sel.id] }
    : {
        sql: `(SELECT cp.canonical_id FROM identities ci CROSS JOIN profiles cp ON cp.id = ci.profile_id
          WHERE ci.workspace_id = ?1 AND ci.type = ?2 AND ci.value = ?3)`,
        binds: [sel.id.type, sel.id.value],
      };
}

/**
 * A canonical profile with the identities and accounts of its whole merge tree, found by id or
 * identifier, in one round trip.
 *
 * @example
 * await getProfileRecord(db, 'ws_1', { kind: 'identifier', id: { type: 'user_id', value: '42' } })
 */
export async function getProfileRecord(db: D1Database, workspaceId: string, sel: ProfileSelector | string): Promise<ProfileRecord | null> {
  const target = canonicalOf(typeof sel === 'string' ? { kind: 'id', id: sel } : sel);
  const bind = (stmt: D1PreparedStatement) => stmt.bind(workspaceId, ...target.binds);
  const [profile, identities, accounts] = await db.batch<Record<string, unknown>>([
    bind(db.prepare(`SELECT ${PROFILE_COLUMNS} FROM profiles p WHERE p.workspace_id = ?1 AND p.id = ${target.sql}`)),
    bind(
      db.prepare(`SELECT i.type, i.value FROM profiles p CROSS JOIN identities i ON i.profile_id = p.id
        WHERE p.workspace_id = ?1 AND p.canonical_id = ${target.sql} AND +i.workspace_id = ?1 ORDER BY i.created_at, i.type, i.value LIMIT 1000`),
    ),
    bind(
      db.prepare(`SELECT DISTINCT a.group_id, a.traits FROM profiles p
        CROSS JOIN account_members m ON m.profile_id = p.id AND +m.workspace_id = ?1
        CROSS JOIN accounts a ON a.workspace_id = ?1 AND a.group_id = m.group_id
        WHERE p.workspace_id = ?1 AND p.canonical_id = ${target.sql} ORDER BY a.group_id LIMIT 100`),
    ),
  ]);
  const row = profile.results[0] as unknown as ProfileRow | undefined;
  if (!row) return null;
  return {
    state: toProfileState(row),
    identities: identities.results as unknown as Identifier[],
    accounts: (accounts.results as { group_id: string; traits: string }[]).map((a) => ({ groupId: a.group_id, traits: JSON.parse(a.traits) })),
  };
}

export interface EventQuery {
  limit: number;
  event?: string;
  /** Inclusive, epoch ms. */
  start?: number;
  /** Exclusive, epoch ms. */
  end?: number;
  /** Keyset position: events strictly older than (timestamp, seq). */
  before?: { timestamp: number; seq: number };
}

export interface TimelineEvent {
  seq: number;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  timestamp: number;
  properties: JsonObject | null;
  traits: JsonObject | null;
  context: JsonObject | null;
}

const parse = (v: string | null) => (v === null ? null : (JSON.parse(v) as JsonObject));

/**
 * A canonical profile's events over its whole merge tree, newest first, by keyset on
 * (timestamp, seq): stable while new events arrive. Returns up to `limit + 1` rows so the caller
 * knows whether there is more.
 */
export async function listProfileEvents(db: D1Database, workspaceId: string, canonicalId: string, q: EventQuery): Promise<TimelineEvent[]> {
  const { results } = await db
    .prepare(`SELECT e.seq, e.message_id, e.type, e.event, e.name, e.timestamp, e.properties, e.traits, e.context
      FROM profiles p CROSS JOIN events e ON e.profile_id = p.id
      WHERE p.workspace_id = ?1 AND p.canonical_id = ?2 AND +e.workspace_id = ?1
        AND (?3 IS NULL OR e.event = ?3) AND (?4 IS NULL OR e.timestamp >= ?4) AND (?5 IS NULL OR e.timestamp < ?5)
        AND (?6 IS NULL OR e.timestamp < ?6 OR (e.timestamp = ?6 AND e.seq < ?7))
      ORDER BY e.timestamp DESC, e.seq DESC LIMIT ?8`)
    .bind(workspaceId, canonicalId, q.event ?? null, q.start ?? null, q.end ?? null, q.before?.timestamp ?? null, q.before?.seq ?? null, q.limit + 1)
    .all<{ seq: number; message_id: string; type: string; event: string | null; name: string | null; timestamp: number; properties: string | null; traits: string | null; context: string | null }>();
  return results.map((r) => ({
    seq: r.seq,
    messageId: r.message_id,
    type: r.type,
    event: r.event,
    name: r.name,
    timestamp: r.timestamp,
    properties: parse(r.properties),
    traits: parse(r.traits),
    context: parse(r.context),
  }));
}

export interface AccountRecord {
  groupId: string;
  traits: JsonObject;
  createdAt: number;
  updatedAt: number;
  memberCount: number;
  /** Canonical ids of member profiles, first 100. */
  members: string[];
}

/** An account (group) with its traits and member profiles resolved to their canonical ids. */
export async function getAccountRecord(db: D1Database, workspaceId: string, groupId: string): Promise<AccountRecord | null> {
  const [account, members] = await db.batch<Record<string, unknown>>([
    db.prepare('SELECT group_id, traits, created_at, updated_at FROM accounts WHERE workspace_id = ?1 AND group_id = ?2').bind(workspaceId, groupId),
    db
      .prepare(`SELECT p.canonical_id, count(*) OVER () AS total FROM account_members m CROSS JOIN profiles p ON p.id = m.profile_id
        WHERE m.workspace_id = ?1 AND m.group_id = ?2 GROUP BY p.canonical_id ORDER BY p.canonical_id LIMIT 100`)
      .bind(workspaceId, groupId),
  ]);
  const row = account.results[0] as { group_id: string; traits: string; created_at: number; updated_at: number } | undefined;
  if (!row) return null;
  const list = members.results as { canonical_id: string; total: number }[];
  return {
    groupId: row.group_id,
    traits: JSON.parse(row.traits),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    memberCount: list[0]?.total ?? 0,
    members: list.map((m) => m.canonical_id),
  };
}

/** The workspace's identity counters as `GET /v1/identity/stats` answers them. */
export interface IdentityStats extends IdentityCounters {
  updatedAt: number | null;
}

/** The workspace's identity counters (all zero before its first event). */
export async function getIdentityStats(db: D1Database, workspaceId: string): Promise<IdentityStats> {
  const r = await db.prepare('SELECT * FROM identity_stats WHERE workspace_id = ?').bind(workspaceId).first<Record<string, number>>();
  return {
    junkIds: r?.junk_ids ?? 0,
    invalidIds: r?.invalid_ids ?? 0,
    userIdConflicts: r?.user_id_conflicts ?? 0,
    identifierCap: r?.identifier_cap ?? 0,
    mergeCap: r?.merge_cap ?? 0,
    splitBlocks: r?.split_blocks ?? 0,
    merges: r?.merges ?? 0,
    profilesCreated: r?.profiles_created ?? 0,
    updatedAt: r?.updated_at ?? null,
  };
}
