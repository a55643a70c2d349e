-- Satu core schema. Migrations are append-only: never edit a file once it is on main.
-- Times are INTEGER milliseconds since the epoch (UTC) so window queries compare numbers;
-- the API renders them as ISO 8601.

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- JSON: { ipPolicy: 'keep'|'truncate'|'drop', defaultCountry?: string, ... }
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

-- Keys are stored as SHA-256 hex digests; the plaintext is shown once, at creation.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  kind TEXT NOT NULL CHECK (kind IN ('write', 'secret')),
  -- space-separated scopes of secret keys: 'read', 'admin'
  scopes TEXT NOT NULL DEFAULT '',
  key_hash TEXT NOT NULL UNIQUE,
  -- first characters of the key, for masked listings
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- Every stored message, exactly once per (workspace, messageId). Events are never rewritten:
-- they keep the ids they arrived with; profile_id is the profile they resolved to at ingest.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  type TEXT NOT NULL,
  event TEXT,
  name TEXT,
  anonymous_id TEXT,
  user_id TEXT,
  group_id TEXT,
  previous_id TEXT,
  profile_id TEXT,
  timestamp INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  sent_at INTEGER,
  original_timestamp INTEGER,
  properties TEXT,
  traits TEXT,
  context TEXT,
  integrations TEXT
);
CREATE UNIQUE INDEX events_message ON events (workspace_id, message_id);
CREATE INDEX events_profile_time ON events (profile_id, timestamp);
CREATE INDEX events_workspace_time ON events (workspace_id, timestamp);

-- A profile is one person. Merging never deletes a profile row: the absorbed profile keeps its
-- id and points at the survivor through canonical_id, so events and identities stay untouched
-- and a wrong merge can be split back apart. A live profile has canonical_id = id.
CREATE TABLE profiles (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  canonical_id TEXT NOT NULL,
  -- the profile this one was merged into directly (the merge tree; canonical_id is its root)
  merged_into TEXT,
  traits TEXT NOT NULL DEFAULT '{}',
  -- JSON: trait name -> timestamp (ms) of the write that set it; per-trait last write wins
  trait_times TEXT NOT NULL DEFAULT '{}',
  -- JSON: computed traits that are not columns (eventCounts, firstTouch, lastTouch, device, ...)
  computed TEXT NOT NULL DEFAULT '{}',
  consent TEXT NOT NULL DEFAULT '{}',
  first_seen INTEGER,
  last_seen INTEGER,
  event_count INTEGER NOT NULL DEFAULT 0,
  revenue REAL NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX profiles_canonical ON profiles (workspace_id, canonical_id);

-- Identifier -> the profile that first claimed it (resolve through profiles.canonical_id).
CREATE TABLE identities (
  workspace_id TEXT NOT NULL,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, type, value)
) WITHOUT ROWID;
CREATE INDEX identities_profile ON identities (profile_id);
