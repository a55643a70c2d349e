// Erasures the R2 archive has still to apply (migration 0011).

export interface Tombstone {
  id: string;
  idHashes: string[];
  createdAt: number;
}

/** The statement that records an erasure for the archive, in the erasure's own D1 batch. */
export function insertTombstoneStatement(db: D1Database, t: Tombstone & { workspaceId: string }): D1PreparedStatement {
  return db
    .prepare('INSERT INTO archive_tombstones (id, workspace_id, id_hashes, created_at) VALUES (?1, ?2, ?3, ?4)')
    .bind(t.id, t.workspaceId, JSON.stringify(t.idHashes), t.createdAt);
}

/** The workspace's erasures not yet rewritten out of its archive, oldest first. */
export async function listTombstones(db: D1Database, workspaceId: string): Promise<Tombstone[]> {
  const { results } = await db
    .prepare('SELECT id, id_hashes, created_at FROM archive_tombstones WHERE workspace_id = ?1 ORDER BY created_at, id')
    .bind(workspaceId)
    .all<{ id: string; id_hashes: string; created_at: number }>();
  return results.map((r) => ({ id: r.id, idHashes: JSON.parse(r.id_hashes) as string[], createdAt: r.created_at }));
}

/** Forgets erasures once every archive object has been rewritten without their events. */
export async function deleteTombstones(db: D1Database, workspaceId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare('DELETE FROM archive_tombstones WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))')
    .bind(workspaceId, JSON.stringify(ids))
    .run();
}
