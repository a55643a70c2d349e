import type { KeyKind } from '../auth/keys';

export interface KeyRecord {
  id: string;
  workspaceId: string;
  kind: KeyKind;
  scopes: string[];
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A key as authentication reads it: with its workspace's directory entry, in the same statement. */
export interface ActiveKey extends KeyRecord {
  /** The binding name of the database holding the workspace's data. */
  database: string;
  /** The status of the workspace's latest move, if any (see store/workspaces.ts `isMoving`). */
  moveStatus: string | null;
}

interface KeyRow {
  id: string;
  workspace_id: string;
  kind: KeyKind;
  scopes: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

const toKey = (row: KeyRow): KeyRecord => ({
  id: row.id,
  workspaceId: row.workspace_id,
  kind: row.kind,
  scopes: row.scopes ? row.scopes.split(' ') : [],
  prefix: row.prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export function insertKeyStatement(
  db: D1Database,
  key: { id: string; workspaceId: string; kind: KeyKind; scopes: string[]; hash: string; prefix: string; now: number },
): D1PreparedStatement {
  return db
    .prepare(
      'INSERT INTO api_keys (id, workspace_id, kind, scopes, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .bind(key.id, key.workspaceId, key.kind, key.scopes.join(' '), key.hash, key.prefix, key.now);
}

const KEY_COLUMNS = 'id, workspace_id, kind, scopes, prefix, created_at, revoked_at';

/**
 * The live key with this hash, or null. A key revoked with a grace period stays live until then.
 * The workspace's directory entry comes in the same statement, so authenticating a request also
 * tells where its data lives, at no extra round trip.
 */
export async function findActiveKeyByHash(db: D1Database, hash: string, now = Date.now()): Promise<ActiveKey | null> {
  const row = await db
    .prepare(
      `SELECT k.id, k.workspace_id, k.kind, k.scopes, k.prefix, k.created_at, k.revoked_at, w.database, json_extract(w.move, '$.status') AS move_status
       FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
       WHERE k.key_hash = ?1 AND (k.revoked_at IS NULL OR k.revoked_at > ?2)`,
    )
    .bind(hash, now)
    .first<KeyRow & { database: string; move_status: string | null }>();
  return row ? { ...toKey(row), database: row.database, moveStatus: row.move_status } : null;
}

/** Every key of a workspace, revoked ones included, oldest first. */
export async function listKeys(db: D1Database, workspaceId: string): Promise<KeyRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id`)
    .bind(workspaceId)
    .all<KeyRow>();
  return results.map(toKey);
}

/** One key of a workspace; another workspace's key id is simply not found. */
export async function getKey(db: D1Database, workspaceId: string, keyId: string): Promise<KeyRecord | null> {
  const row = await db
    .prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = ? AND id = ?`)
    .bind(workspaceId, keyId)
    .first<KeyRow>();
  return row ? toKey(row) : null;
}

/**
 * Revokes a key at `at` (now, or later for a rotation's grace period). A key already revoked
 * keeps its earlier revocation time, so revoking twice never extends a key's life.
 */
export function revokeKeyStatement(db: D1Database, workspaceId: string, keyId: string, at: number): D1PreparedStatement {
  return db
    .prepare('UPDATE api_keys SET revoked_at = min(coalesce(revoked_at, ?3), ?3) WHERE workspace_id = ?1 AND id = ?2')
    .bind(workspaceId, keyId, at);
}
