-- Privacy: suppressions, the deletion log and counters of events kept out.
-- Identifiers are never stored here in clear: `id_hash` is SHA-256 of workspace, type and
-- normalised value (privacy/id-hash.ts), enough to recognise a returning id, not to read it.

-- Ids of deleted people whose future events are accepted and discarded, until lifted.
CREATE TABLE suppressions (
  workspace_id TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  -- identifier type (user_id, email, ...): not personal, shown in listings
  type TEXT NOT NULL,
  -- the privacy_log entry that created it
  log_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, id_hash)
) WITHOUT ROWID;

-- Who erased or un-suppressed what and when, without the personal data: key id, hashed ids,
-- row counts per table.
CREATE TABLE privacy_log (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('delete', 'lift')),
  -- api_keys.id of the secret key, or 'operator' for ADMIN_TOKEN
  key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- JSON array of {type, hash}
  ids TEXT NOT NULL DEFAULT '[]',
  -- JSON object: table -> rows removed
  row_counts TEXT NOT NULL DEFAULT '{}',
  suppressed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX privacy_log_workspace ON privacy_log (workspace_id, created_at);

-- Events accepted and not stored, per workspace: no consent for the required category, or a
-- suppressed identifier.
CREATE TABLE privacy_stats (
  workspace_id TEXT PRIMARY KEY,
  consent_discarded INTEGER NOT NULL DEFAULT 0,
  suppressed_discarded INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
