-- The R2 archive (collector/src/archive): what erasure leaves for it to do.

-- A person erased from D1 whose events may still sit in archive objects: every read of the
-- archive (export, rebuild) skips events carrying one of these identifiers, until the inbox of the
-- workspace has rewritten every object without them; then the row goes. Identifiers are stored as
-- in suppressions: SHA-256 of workspace, type and normalised value (privacy/id-hash.ts).
CREATE TABLE archive_tombstones (
  -- the privacy_log entry of the erasure
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  -- JSON array of id hashes
  id_hashes TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX archive_tombstones_workspace ON archive_tombstones (workspace_id, created_at);
