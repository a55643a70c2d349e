// Suppressions, the deletion log and discard counters (migration 0004).

export interface HashedId {
  type: string;
  hash: string;
}

/** Whether the workspace suppresses anyone at all (one indexed probe; most workspaces do not). */
export async function hasSuppressions(db: D1Database, workspaceId: string): Promise<boolean> {
  return (await hasSuppressionsStatement(db, workspaceId).first()) !== null;
}

/** One row when the workspace suppresses anyone, none otherwise (to ride in another batch). */
export function hasSuppressionsStatement(db: D1Database, workspaceId: string): D1PreparedStatement {
  return db.prepare('SELECT 1 AS x FROM suppressions WHERE workspace_id = ? LIMIT 1').bind(workspaceId);
}

/** Which of these identifier hashes the workspace suppresses. */
export async function findSuppressed(db: D1Database, workspaceId: string, hashes: readonly string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const { results } = await db
    .prepare('SELECT id_hash FROM suppressions WHERE workspace_id = ?1 AND id_hash IN (SELECT value FROM json_each(?2))')
    .bind(workspaceId, JSON.stringify(hashes))
    .all<{ id_hash: string }>();
  return new Set(results.map((r) => r.id_hash));
}

export function insertSuppressionsStatement(db: D1Database, workspaceId: string, ids: readonly HashedId[], logId: string, now: number) {
  return db
    .prepare(`INSERT OR IGNORE INTO suppressions (workspace_id, id_hash, type, log_id, created_at)
      SELECT ?1, value->>'hash', value->>'type', ?2, ?3 FROM json_each(?4)`)
    .bind(workspaceId, logId, now, JSON.stringify(ids));
}

export function deleteSuppressionsStatement(db: D1Database, workspaceId: string, hashes: readonly string[]) {
  return db
    .prepare('DELETE FROM suppressions WHERE workspace_id = ?1 AND id_hash IN (SELECT value FROM json_each(?2))')
    .bind(workspaceId, JSON.stringify(hashes));
}

export interface LogEntry {
  id: string;
  workspaceId: string;
  action: 'delete' | 'lift';
  keyId: string;
  createdAt: number;
  ids: HashedId[];
  rowCounts: Record<string, number>;
  suppressed: boolean;
}

interface LogRow {
  id: string;
  workspace_id: string;
  action: 'delete' | 'lift';
  key_id: string;
  created_at: number;
  ids: string;
  row_counts: string;
  suppressed: number;
}

const toLogEntry = (r: LogRow): LogEntry => ({
  id: r.id,
  workspaceId: r.workspace_id,
  action: r.action,
  keyId: r.key_id,
  createdAt: r.created_at,
  ids: JSON.parse(r.ids),
  rowCounts: JSON.parse(r.row_counts),
  suppressed: r.suppressed === 1,
});

export function insertLogStatement(db: D1Database, e: LogEntry) {
  return db
    .prepare(`INSERT INTO privacy_log (id, workspace_id, action, key_id, created_at, ids, row_counts, suppressed)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(e.id, e.workspaceId, e.action, e.keyId, e.createdAt, JSON.stringify(e.ids), JSON.stringify(e.rowCounts), e.suppressed ? 1 : 0);
}

/** The workspace's log, newest first; `before` is the createdAt/id of the last entry of the previous page. */
export async function listLog(
  db: D1Database,
  workspaceId: string,
  limit: number,
  before?: { createdAt: number; id: string },
): Promise<LogEntry[]> {
  const { results } = await db
    .prepare(`SELECT * FROM privacy_log WHERE workspace_id = ?1 AND (?2 IS NULL OR (created_at, id) < (?2, ?3))
      ORDER BY created_at DESC, id DESC LIMIT ?4`)
    .bind(workspaceId, before?.createdAt ?? null, before?.id ?? '', limit)
    .all<LogRow>();
  return results.map(toLogEntry);
}

/** Adds to the counters of events accepted and not stored. */
export function addDiscardedStatement(db: D1Database, workspaceId: string, consent: number, suppressed: number, now: number) {
  return db
    .prepare(`INSERT INTO privacy_stats (workspace_id, consent_discarded, suppressed_discarded, updated_at) VALUES (?1, ?2, ?3, ?4)
      ON CONFLICT (workspace_id) DO UPDATE SET consent_discarded = consent_discarded + ?2,
        suppressed_discarded = suppressed_discarded + ?3, updated_at = ?4`)
    .bind(workspaceId, consent, suppressed, now);
}

export async function getPrivacyStats(db: D1Database, workspaceId: string) {
  const row = await db
    .prepare(`SELECT (SELECT consent_discarded FROM privacy_stats WHERE workspace_id = ?1) AS consent,
      (SELECT suppressed_discarded FROM privacy_stats WHERE workspace_id = ?1) AS suppressed,
      (SELECT count(*) FROM suppressions WHERE workspace_id = ?1) AS suppressions`)
    .bind(workspaceId)
    .first<{ consent: number | null; suppressed: number | null; suppressions: number }>();
  return { consentDiscarded: row?.consent ?? 0, suppressedDiscarded: row?.suppressed ?? 0, suppressions: row?.suppressions ?? 0 };
}

export interface ConsentRow {
  id: string;
  consent: Record<string, { granted: boolean; updatedAt: number }>;
  version: number;
}

/** The canonical profile holding the first of these identifiers that is known, with its consent. */
export async function findConsentOf(db: D1Database, workspaceId: string, ids: readonly { type: string; value: string }[]): Promise<ConsentRow | null> {
  if (ids.length === 0) return null;
  const row = await db
    .prepare(`SELECT c.id, c.consent, c.version FROM json_each(?2) AS wanted
      JOIN identities i ON i.workspace_id = ?1 AND i.type = wanted.value->>'type' AND i.value = wanted.value->>'value'
      JOIN profiles p ON p.id = i.profile_id JOIN profiles c ON c.id = p.canonical_id
      ORDER BY wanted.key LIMIT 1`)
    .bind(workspaceId, JSON.stringify(ids))
    .first<{ id: string; consent: string; version: number }>();
  return row ? { id: row.id, consent: JSON.parse(row.consent), version: row.version } : null;
}

/**
 * Writes a profile's consent if nobody changed the profile since it was read (same version, as
 * the identity writer does), bumping the version so a concurrent identity batch re-plans.
 */
export function updateConsentStatement(db: D1Database, workspaceId: string, row: ConsentRow, now: number) {
  return db
    .prepare('UPDATE profiles SET consent = ?3, version = version + 1, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2 AND version = ?5')
    .bind(workspaceId, row.id, JSON.stringify(row.consent), now, row.version);
}
