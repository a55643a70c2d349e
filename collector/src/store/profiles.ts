import type { JsonObject } from '../../../sdk/src/contract';
import type { Identifier } from '../identity/identifiers';
import type { IdentityCounters } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { PROFILE_COLUMNS, toProfileState, type ProfileRow } from './profile-rows';
import type { CustomerStats, PredictionModel } from '../predictions/customer';
import { computedTraitsColumn } from './computed-traits';
import { COLD_BEFORE_SQL, hasColdSql } from './archive-index';
import { personStatsColumn, toPersonStats, type StoredModel } from './predictions';

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

/**
 * SQL for "the canonical id of this selector" with its binds from ?{first} on (the workspace is ?1),
 * so a read needs no extra round trip to resolve the ref first.
 */
function canonicalOf(sel: ProfileSelector, first = 2): { sql: string; binds: string[] } {
  return sel.kind === 'id'
    ? { sql: `(SELECT canonical_id FROM profiles WHERE workspace_id = ?1 AND id = ?${first})`, binds: [sel.id] }
    : {
        sql: `(SELECT cp.canonical_id FROM identities ci CROSS JOIN profiles cp ON cp.id = ci.profile_id
          WHERE ci.workspace_id = ?1 AND ci.type = ?${first} AND ci.value = ?${first + 1})`,
        binds: [sel.id.type, sel.id.value],
      };
}

/**
 * A canonical profile with the identities and accounts of its whole merge tree, found by id or
 * identifier, in one statement (one D1 round trip, one consistent snapshot): the profile row with
 * its identities and accounts folded into two JSON columns.
 *
 * @example
 * await getProfileRecord(db, 'ws_1', { kind: 'identifier', id: { type: 'user_id', value: '42' } })
 */
export async function getProfileRecord(db: D1Database, workspaceId: string, sel: ProfileSelector | string): Promise<ProfileRecord | null> {
  const target = canonicalOf(typeof sel === 'string' ? { kind: 'id', id: sel } : sel);
  const row = await profileStatement(db, workspaceId, target, '', '').first<RecordRow>();
  return row ? toRecord(row) : null;
}

/** What the profile read API shows beyond the record: computed traits and what predictions need. */
export interface ProfileView extends ProfileRecord {
  computedTraits: Record<string, unknown>;
  /** The workspace's latest prediction model; null before the first fit. */
  model: StoredModel | null;
  /** The person's orders as of `now` under the model's order event; null without a model or orders. */
  orders: CustomerStats | null;
}

/**
 * The profile read's whole answer in one statement: the record plus computed traits, the
 * prediction model and the person's order summary, so `GET /v1/profiles/{ref}` is one D1 round trip.
 *
 * @example
 * await getProfileView(db, 'ws_1', { kind: 'id', id: 'prof_1' }, Date.now())
 */
export async function getProfileView(db: D1Database, workspaceId: string, sel: ProfileSelector, now: number): Promise<ProfileView | null> {
  const target = canonicalOf(sel, 3);
  const row = await profileStatement(db, workspaceId, target, `, ${viewColumnsSql('p.id')}`, 'LEFT JOIN prediction_models pm ON pm.workspace_id = ?1', now).first<ViewRow>();
  return row ? toView(row) : null;
}

type RecordRow = ProfileRow & { identity_list: string; account_list: string };

/**
 * The profile columns with the identities and accounts of the merge tree rooted at `canonicalSql`
 * folded into two JSON columns (`identity_list`, `account_list`); the profile row is `p`, the
 * workspace ?1. Shared by the one-profile read and the read store's batch read (profile-views.ts).
 */
export const recordColumnsSql = (canonicalSql: string) => `${PROFILE_COLUMNS},
      (SELECT json_group_array(json_array(x.type, x.value)) FROM (
        SELECT i.type, i.value FROM profiles t CROSS JOIN identities i ON i.profile_id = t.id
        WHERE t.workspace_id = ?1 AND t.canonical_id = ${canonicalSql} AND +i.workspace_id = ?1
        ORDER BY i.created_at, i.type, i.value LIMIT 1000) x) AS identity_list,
      (SELECT json_group_array(json_array(x.group_id, json(x.traits))) FROM (
        SELECT DISTINCT a.group_id, a.traits FROM profiles t
        CROSS JOIN account_members m ON m.profile_id = t.id AND +m.workspace_id = ?1
        CROSS JOIN accounts a ON a.workspace_id = ?1 AND a.group_id = m.group_id
        WHERE t.workspace_id = ?1 AND t.canonical_id = ${canonicalSql} ORDER BY a.group_id LIMIT 100) x) AS account_list`;

/** The view's columns beyond the record: computed traits, the prediction model (`pm`) and the order summary as of ?2. */
export const viewColumnsSql = (profileSql: string) => `${computedTraitsColumn(profileSql)} AS computed_json, pm.model AS model_json, pm.fit_ms,
      CASE WHEN pm.model IS NOT NULL THEN ${personStatsColumn(profileSql, 'pm.order_event', '?2')} END AS orders_json`;

export type ViewRow = RecordRow & { computed_json: string; model_json: string | null; fit_ms: number | null; orders_json: string | null };

/** A view from the columns `recordColumnsSql` and `viewColumnsSql` read. */
export function toView(row: ViewRow): ProfileView {
  const record = toRecord(row);
  return {
    ...record,
    computedTraits: JSON.parse(row.computed_json) as Record<string, unknown>,
    model: row.model_json === null ? null : { model: JSON.parse(row.model_json) as PredictionModel, fitMs: row.fit_ms ?? 0 },
    orders: toPersonStats(record.state.id, row.orders_json),
  };
}

function profileStatement(db: D1Database, workspaceId: string, target: { sql: string; binds: string[] }, columns: string, join: string, ...extra: unknown[]) {
  // The ordered subqueries feed json_group_array in their order (identities oldest first, accounts by id).
  return db
    .prepare(`SELECT ${recordColumnsSql(target.sql)}${columns}
      FROM profiles p ${join} WHERE p.workspace_id = ?1 AND p.id = ${target.sql}`)
    .bind(workspaceId, ...extra, ...target.binds);
}

function toRecord(row: RecordRow): ProfileRecord {
  return {
    state: toProfileState(row),
    identities: (JSON.parse(row.identity_list) as [string, string][]).map(([type, value]) => ({ type, value })),
    accounts: (JSON.parse(row.account_list) as [string, JsonObject][]).map(([groupId, traits]) => ({ groupId, traits })),
  };
}

export interface EventQuery {
  limit: number;
  event?: string;
  /** Inclusive, epoch ms. */
  start?: number;
  /** Exclusive, epoch ms. */
  end?: number;
  /** Keyset position: events strictly older than (timestamp, messageId). */
  before?: TimelinePosition;
}

/**
 * A place in a timeline: events are ordered newest first by (timestamp, messageId), which a
 * workspace move keeps (unlike `seq`) and the R2 archive knows too.
 */
export interface TimelinePosition {
  timestamp: number;
  messageId: string;
}

export interface TimelineEvent {
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

type EventRow = { message_id: string; type: string; event: string | null; name: string | null; timestamp: number; properties: string | null; traits: string | null; context: string | null };

/**
 * A profile's events in D1 over its whole merge tree, newest first, by keyset on (timestamp,
 * messageId): stable while new events arrive and across a workspace move. The profile is named by
 * id (an absorbed id reads its survivor) or identifier and resolved in the same statement, so a
 * timeline page is one D1 round trip. Returns the canonical id (null: no such profile), up to
 * `limit + 1` events, so the caller knows whether there is more, the workspace's cold boundary
 * (events older than it may be in R2 only; null while retention never ran) and whether the person
 * has archived events below it (`hasCold`).
 *
 * @example
 * await listProfileEvents(db, 'ws_1', { kind: 'identifier', id: { type: 'user_id', value: '42' } }, { limit: 50 })
 * // -> { canonicalId: 'prof_…', coldBefore: null, hasCold: false, events: [{ messageId, type, event, timestamp, properties, ... }] }
 */
export async function listProfileEvents(
  db: D1Database,
  workspaceId: string,
  sel: ProfileSelector | string,
  q: EventQuery,
): Promise<{ canonicalId: string | null; coldBefore: number | null; hasCold: boolean; events: TimelineEvent[] }> {
  const target = canonicalOf(typeof sel === 'string' ? { kind: 'id', id: sel } : sel, 8);
  // One row per event, each carrying the canonical id; one row of NULL events when the profile has
  // none in range, and no row at all when the ref names no profile (LEFT JOIN from the ref's row).
  const { results } = await db
    .prepare(`SELECT c.id AS canonical_id, ${COLD_BEFORE_SQL} AS cold_before, ${hasColdSql(target.sql)} AS has_cold, e.message_id, e.type, e.event, e.name, e.timestamp, e.properties, e.traits, e.context
      FROM (SELECT ${target.sql} AS id) c LEFT JOIN (
        SELECT e.message_id, e.type, e.event, e.name, e.timestamp, e.properties, e.traits, e.context
        FROM profiles p CROSS JOIN events e ON e.profile_id = p.id
        WHERE p.workspace_id = ?1 AND p.canonical_id = ${target.sql} AND +e.workspace_id = ?1
          AND (?2 IS NULL OR e.event = ?2) AND (?3 IS NULL OR e.timestamp >= ?3) AND (?4 IS NULL OR e.timestamp < ?4)
          AND (?5 IS NULL OR e.timestamp < ?5 OR (e.timestamp = ?5 AND e.message_id < ?6))
        ORDER BY e.timestamp DESC, e.message_id DESC LIMIT ?7
      ) e ON 1
      WHERE c.id IS NOT NULL ORDER BY e.timestamp DESC, e.message_id DESC`)
    .bind(workspaceId, q.event ?? null, q.start ?? null, q.end ?? null, q.before?.timestamp ?? null, q.before?.messageId ?? null, q.limit + 1, ...target.binds)
    .all<{ canonical_id: string; cold_before: number | null; has_cold: number } & { [K in keyof EventRow]: EventRow[K] | null }>();
  const canonicalId = results[0]?.canonical_id ?? null;
  const events = (results.filter((r) => r.message_id !== null) as ({ canonical_id: string } & EventRow)[]).map((r) => ({
    messageId: r.message_id,
    type: r.type,
    event: r.event,
    name: r.name,
    timestamp: r.timestamp,
    properties: parse(r.properties),
    traits: parse(r.traits),
    context: parse(r.context),
  }));
  return { canonicalId, coldBefore: results[0]?.cold_before ?? null, hasCold: results[0]?.has_cold === 1, events };
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
