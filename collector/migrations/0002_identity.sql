-- Identity resolution: optimistic concurrency on profiles, merge log, accounts, refusal counters.

-- Bumped by every write to a profile row. An ingest batch carries a guard statement that fails
-- the whole (atomic) D1 batch when a row it read has changed since, and the request re-plans.
ALTER TABLE profiles ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- Merges folded into this canonical profile (its own plus its absorbed tree's), for the merge cap.
ALTER TABLE profiles ADD COLUMN merge_count INTEGER NOT NULL DEFAULT 0;

-- Always empty: the guard statement INSERTs a 0 here when it finds a stale row, the CHECK fails
-- and D1 rolls back the batch. This is how a read-then-write is made conditional without an
-- interactive transaction.
CREATE TABLE write_guard (
  ok INTEGER NOT NULL CHECK (ok = 1)
);

-- Every merge, so a wrong one can be split back apart. split_at is set when it was undone;
-- a split pair is never merged again automatically (only by a force-merge).
CREATE TABLE merge_log (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  survivor_id TEXT NOT NULL,
  absorbed_id TEXT NOT NULL,
  -- 'ingest' | 'alias' | 'force'
  reason TEXT NOT NULL,
  -- the identifier (type:value) or messageId that caused it
  cause TEXT,
  created_at INTEGER NOT NULL,
  split_at INTEGER
);
CREATE INDEX merge_log_survivor ON merge_log (workspace_id, survivor_id);
CREATE INDEX merge_log_absorbed ON merge_log (workspace_id, absorbed_id);

-- B2B accounts built by group(groupId, traits).
CREATE TABLE accounts (
  workspace_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  traits TEXT NOT NULL DEFAULT '{}',
  trait_times TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, group_id)
) WITHOUT ROWID;

-- profile_id is the profile the group call resolved to; read through profiles.canonical_id.
CREATE TABLE account_members (
  workspace_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, group_id, profile_id)
) WITHOUT ROWID;
CREATE INDEX account_members_profile ON account_members (profile_id);

-- Refusals of the identity guards, per workspace (GET /v1/identity/stats).
CREATE TABLE identity_stats (
  workspace_id TEXT PRIMARY KEY,
  junk_ids INTEGER NOT NULL DEFAULT 0,
  invalid_ids INTEGER NOT NULL DEFAULT 0,
  user_id_conflicts INTEGER NOT NULL DEFAULT 0,
  identifier_cap INTEGER NOT NULL DEFAULT 0,
  merge_cap INTEGER NOT NULL DEFAULT 0,
  split_blocks INTEGER NOT NULL DEFAULT 0,
  merges INTEGER NOT NULL DEFAULT 0,
  profiles_created INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX merge_log_split ON merge_log (workspace_id) WHERE split_at IS NOT NULL;
