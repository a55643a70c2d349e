import type { IdentityCounters, Plan } from '../identity/planner';
import type { ProfileState } from '../identity/profile-state';
import { jsonChunks } from './json-chunks';
import { profileToJsonRow } from './profile-rows';

// Fails the whole batch (CHECK on the always-empty write_guard table) when a profile it read has
// changed or gone since the read phase: D1 has no interactive transactions, so a read-then-write
// is made conditional this way and the caller re-reads and re-plans.
const PROFILE_GUARD = `INSERT INTO write_guard (ok) SELECT 0 FROM json_each(?2) g
  LEFT JOIN profiles p ON p.id = g.value->>0 AND p.workspace_id = ?1
  WHERE p.id IS NULL OR p.version != g.value->>1 LIMIT 1`;

const ACCOUNT_GUARD = `INSERT INTO write_guard (ok) SELECT 0 FROM json_each(?2) g
  LEFT JOIN accounts a ON a.workspace_id = ?1 AND a.group_id = g.value->>0
  WHERE a.group_id IS NULL OR a.version != g.value->>1 LIMIT 1`;

// MATERIALIZED, as in the events insert (store/events.ts): each row rendered once, not once per column.
const UPSERT_PROFILES = `WITH r AS MATERIALIZED (SELECT value AS v FROM json_each(?2))
INSERT INTO profiles (id, workspace_id, canonical_id, merged_into, traits, trait_times, computed,
  consent, first_seen, last_seen, event_count, revenue, merge_count, created_at, updated_at, version)
SELECT v->>0, ?1, v->>1, v->>2, v->>3, v->>4, v->>5, v->>6, v->>7, v->>8, v->>9, v->>10, v->>11, v->>12, v->>13, 0
FROM r WHERE true
ON CONFLICT (id) DO UPDATE SET traits = excluded.traits, trait_times = excluded.trait_times, computed = excluded.computed, consent = excluded.consent,
  first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = excluded.event_count,
  revenue = excluded.revenue, merge_count = excluded.merge_count, updated_at = excluded.updated_at,
  version = profiles.version + 1
WHERE profiles.workspace_id = excluded.workspace_id`;

// Merging re-points the absorbed root's whole tree, so canonical_id stays flattened to the root;
// the absorbed root itself also records its direct parent. (The upsert above leaves both columns
// alone: rewriting canonical_id on every ingest would rewrite its index entry too.)
const MOVE_TREES = `UPDATE profiles SET canonical_id = (SELECT m.value->>1 FROM json_each(?2) m WHERE m.value->>0 = profiles.canonical_id),
  merged_into = coalesce((SELECT m.value->>2 FROM json_each(?2) m WHERE m.value->>0 = profiles.id), merged_into),
  version = version + 1, updated_at = ?3
WHERE workspace_id = ?1 AND canonical_id IN (SELECT value->>0 FROM json_each(?2))`;

// Plain INSERT on purpose: a concurrent claim of the same identifier fails the batch (UNIQUE).
const INSERT_IDENTITIES = `INSERT INTO identities (workspace_id, type, value, profile_id, created_at)
SELECT ?1, value->>0, value->>1, value->>2, ?3 FROM json_each(?2)`;

const INSERT_MERGES = `INSERT INTO merge_log (id, workspace_id, survivor_id, absorbed_id, reason, cause, cause_message_id, created_at)
SELECT value->>0, ?1, value->>1, value->>2, value->>3, value->>4, value->>5, ?3 FROM json_each(?2)`;

const UPSERT_ACCOUNTS = `INSERT INTO accounts (workspace_id, group_id, traits, trait_times, version, created_at, updated_at)
SELECT ?1, value->>0, value->>1, value->>2, 0, value->>3, ?3 FROM json_each(?2) WHERE true
ON CONFLICT (workspace_id, group_id) DO UPDATE SET traits = excluded.traits, trait_times = excluded.trait_times,
  updated_at = excluded.updated_at, version = accounts.version + 1`;

const INSERT_MEMBERS = `INSERT OR IGNORE INTO account_members (workspace_id, group_id, profile_id, created_at)
SELECT ?1, value->>0, value->>1, ?3 FROM json_each(?2)`;

const COUNTER_COLUMNS: Record<keyof IdentityCounters, string> = {
  junkIds: 'junk_ids',
  invalidIds: 'invalid_ids',
  userIdConflicts: 'user_id_conflicts',
  identifierCap: 'identifier_cap',
  mergeCap: 'merge_cap',
  splitBlocks: 'split_blocks',
  merges: 'merges',
  profilesCreated: 'profiles_created',
};

/** Upserts refusal and merge counters by adding this batch's numbers. */
export function addCountersStatement(db: D1Database, workspaceId: string, c: IdentityCounters, now: number): D1PreparedStatement | null {
  const keys = (Object.keys(COUNTER_COLUMNS) as (keyof IdentityCounters)[]).filter((k) => c[k] > 0);
  if (keys.length === 0) return null;
  const cols = keys.map((k) => COUNTER_COLUMNS[k]);
  const sql = `INSERT INTO identity_stats (workspace_id, ${cols.join(', ')}, updated_at)
VALUES (?1, ${keys.map((_, i) => `?${i + 3}`).join(', ')}, ?2)
ON CONFLICT (workspace_id) DO UPDATE SET ${cols.map((col) => `${col} = ${col} + excluded.${col}`).join(', ')}, updated_at = excluded.updated_at`;
  return db.prepare(sql).bind(workspaceId, now, ...keys.map((k) => c[k]));
}

/** The guard statements; they must run first in the batch, before any write bumps a version. */
export function guardStatements(db: D1Database, workspaceId: string, plan: Pick<Plan, 'guard' | 'accounts'>): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  if (plan.guard.length > 0) {
    for (const chunk of jsonChunks(plan.guard.map((g) => [g.id, g.version]))) {
      out.push(db.prepare(PROFILE_GUARD).bind(workspaceId, chunk));
    }
  }
  const readAccounts = plan.accounts.filter((a) => a.version >= 0);
  if (readAccounts.length > 0) {
    for (const chunk of jsonChunks(readAccounts.map((a) => [a.groupId, a.version]))) {
      out.push(db.prepare(ACCOUNT_GUARD).bind(workspaceId, chunk));
    }
  }
  return out;
}

export function upsertProfilesStatements(db: D1Database, workspaceId: string, profiles: readonly ProfileState[]): D1PreparedStatement[] {
  return jsonChunks(profiles.map(profileToJsonRow)).map((chunk) => db.prepare(UPSERT_PROFILES).bind(workspaceId, chunk));
}

/**
 * Every write of an identity plan except the events: profile upserts, tree moves, identities,
 * merge log, accounts, counters. Put them in one `db.batch()` after the guard statements.
 */
export function planWriteStatements(db: D1Database, workspaceId: string, plan: Plan, now: number): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [...upsertProfilesStatements(db, workspaceId, plan.profiles)];
  const bulk = (sql: string, rows: unknown[][]) => {
    for (const chunk of rows.length > 0 ? jsonChunks(rows) : []) out.push(db.prepare(sql).bind(workspaceId, chunk, now));
  };
  bulk(MOVE_TREES, plan.canonicalMoves.map((m) => [m.from, m.to, m.parent]));
  bulk(INSERT_IDENTITIES, plan.identities.map((i) => [i.type, i.value, i.profileId]));
  bulk(INSERT_MERGES, plan.merges.map((m) => [m.id, m.survivorId, m.absorbedId, m.reason, m.cause, m.causeMessageId]));
  bulk(UPSERT_ACCOUNTS, plan.accounts.map((a) => [a.groupId, a.traits, a.times, a.createdAt]));
  bulk(INSERT_MEMBERS, plan.members.map((m) => [m.groupId, m.profileId]));
  const counters = addCountersStatement(db, workspaceId, plan.counters, now);
  if (counters) out.push(counters);
  return out;
}

/**
 * True for D1 failures that go away when tried again: the ones Cloudflare documents as retryable,
 * and SQLite's lock error, which local D1 reports as an opaque "internal error" while another
 * process holds the same file. Retries are bounded, so a lasting internal error still ends in 503.
 */
export function isTransientStorageError(err: unknown): boolean {
  const message = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return /SQLITE_BUSY|database is locked|internal error|Network connection lost|storage caused object to be reset|reset because its code was updated|transient issue/i.test(message);
}

/** True for the failures that mean "someone else wrote first": re-read and re-plan. */
export function isWriteConflict(err: unknown): boolean {
  const message = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return /CHECK constraint failed|UNIQUE constraint failed: (identities|accounts|profiles)\./.test(message);
}
