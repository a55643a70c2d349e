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

/** The live (not revoked) key with this hash, or null. */
export async function findActiveKeyByHash(db: D1Database, hash: string): Promise<KeyRecord | null> {
  const row = await db
    .prepare(
      'SELECT id, workspace_id, kind, scopes, prefix, created_at, revoked_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL',
    )
    .bind(hash)
    .first<KeyRow>();
  return row ? toKey(row) : null;
}
