import type { Identifier } from '../identity/identifiers';
import { pairKey, type AccountState, type LoadedProfile } from '../identity/planner';
import { hasSuppressionsStatement } from './privacy';
import { PROFILE_COLUMNS, toProfileState, type ProfileRow } from './profile-rows';
import { listSegmentsStatement, toSegments, type Segment } from './segments';

export interface IdentityReadRequest {
  identifiers: readonly Identifier[];
  groupIds: readonly string[];
  messageIds: readonly string[];
}

export interface IdentityReadResult {
  known: Map<string, string>;
  profiles: Map<string, LoadedProfile>;
  accounts: Map<string, AccountState>;
  blockedPairs: Set<string>;
  storedMessageIds: Set<string>;
  /** When each of those was received: the same time as the batch's event means this batch stored it before. */
  storedReceivedAt: Map<string, number>;
  /** Canonical profiles of the batch's events that were stored already. */
  storedProfileIds: Set<string>;
  /** Whether the workspace suppresses anyone (then the batch is screened before planning). */
  suppressing: boolean;
  /** The workspace's segments, for the real-time update after the write. */
  segments: Segment[];
}

// The batch's identifiers arrive as one JSON param [[type, value], ...]: one statement whatever
// the batch size (D1 allows 100 bound parameters). CROSS JOIN fixes SQLite's join order: without
// table statistics it would otherwise walk every identity of the workspace and probe json_each.
const HITS = `SELECT i.type, i.value, p.canonical_id FROM json_each(?2) j
  CROSS JOIN identities i ON i.workspace_id = ?1 AND i.type = j.value->>0 AND i.value = j.value->>1
  CROSS JOIN profiles p ON p.id = i.profile_id`;

// Per canonical profile: [identity count, user_ids], for the caps and the user_id guard.
const TREE_IDS = `(SELECT json_array(count(*), json_group_array(CASE WHEN mi.type = 'user_id' THEN mi.value END))
  FROM profiles m JOIN identities mi ON mi.profile_id = m.id WHERE m.workspace_id = ?1 AND m.canonical_id = p.id)`;

// One row per (known identifier, its canonical profile): the identifier -> profile map and the
// profile rows in one statement.
const PROFILES = `SELECT h.type AS hit_type, h.value AS hit_value, p.id, ${PROFILE_COLUMNS}, ${TREE_IDS} AS tree_ids
FROM (${HITS}) h CROSS JOIN profiles p ON p.id = h.canonical_id WHERE p.workspace_id = ?1`;

const ACCOUNTS = `SELECT group_id, traits, trait_times, version, created_at FROM accounts
  WHERE workspace_id = ?1 AND group_id IN (SELECT value FROM json_each(?2))`;

// With the canonical profile each stored event belongs to now: a batch the resolver applies again
// (after a crash between its D1 write and the inbox delete) still refreshes those profiles' memberships.
const STORED = `SELECT e.message_id, e.received_at, p.canonical_id FROM events e LEFT JOIN profiles p ON p.id = e.profile_id
  WHERE e.workspace_id = ?1 AND e.message_id IN (SELECT value FROM json_each(?2))`;

// Split pairs, by their current canonical roots; splits are rare operator actions (partial index).
const SPLITS = `SELECT s.canonical_id AS a, x.canonical_id AS b FROM merge_log m
  JOIN profiles s ON s.id = m.survivor_id JOIN profiles x ON x.id = m.absorbed_id
  WHERE m.workspace_id = ?1 AND m.split_at IS NOT NULL`;

/**
 * The read phase of ingest, as one D1 batch (one round trip, one consistent snapshot): which
 * profiles own the batch's identifiers (with identity counts and user_ids for the guards), the
 * accounts its group calls name, the messageIds already stored, the split pairs, and two
 * workspace facts the rest of ingest needs (any suppressions? which segments?), so that an
 * ingest request costs two round trips, a read and a write, plus one when segments exist.
 */
export async function readIdentityState(db: D1Database, workspaceId: string, req: IdentityReadRequest): Promise<IdentityReadResult> {
  const ids = JSON.stringify(req.identifiers.map((i) => [i.type, i.value]));
  const statements = [
    db.prepare(PROFILES).bind(workspaceId, ids),
    db.prepare(STORED).bind(workspaceId, JSON.stringify(req.messageIds)),
    db.prepare(SPLITS).bind(workspaceId),
    hasSuppressionsStatement(db, workspaceId),
    listSegmentsStatement(db, workspaceId),
  ];
  if (req.groupIds.length > 0) statements.push(db.prepare(ACCOUNTS).bind(workspaceId, JSON.stringify(req.groupIds)));
  const [profiles, stored, splits, suppressing, segments, accounts] = await db.batch<Record<string, unknown>>(statements);
  const result: IdentityReadResult = {
    known: new Map(),
    profiles: new Map(),
    accounts: new Map(),
    blockedPairs: new Set(),
    storedMessageIds: new Set(),
    storedReceivedAt: new Map(),
    storedProfileIds: new Set(),
    suppressing: suppressing.results.length > 0,
    segments: toSegments(segments.results),
  };
  for (const r of profiles.results as unknown as (ProfileRow & { hit_type: string; hit_value: string; id: string; tree_ids: string })[]) {
    result.known.set(`${r.hit_type}:${r.hit_value}`, r.id);
    if (result.profiles.has(r.id)) continue;
    const [identityCount, userIds] = JSON.parse(r.tree_ids) as [number, (string | null)[]];
    result.profiles.set(r.id, { state: toProfileState(r), identityCount, userIds: userIds.filter((u): u is string => u !== null) });
  }
  for (const r of (accounts?.results ?? []) as { group_id: string; traits: string; trait_times: string; version: number; created_at: number }[]) {
    result.accounts.set(r.group_id, {
      groupId: r.group_id,
      traits: JSON.parse(r.traits),
      times: JSON.parse(r.trait_times),
      version: r.version,
      createdAt: r.created_at,
    });
  }
  for (const r of stored.results as { message_id: string; received_at: number; canonical_id: string | null }[]) {
    result.storedMessageIds.add(r.message_id);
    result.storedReceivedAt.set(r.message_id, r.received_at);
    if (r.canonical_id) result.storedProfileIds.add(r.canonical_id);
  }
  for (const r of splits.results as { a: string; b: string }[]) result.blockedPairs.add(pairKey(r.a, r.b));
  return result;
}
