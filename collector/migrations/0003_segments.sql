-- Segments and activation (issue 6). Times are INTEGER epoch ms like everywhere else.

-- A segment is a stored JSON condition tree (see collector/src/segments/condition.ts).
CREATE TABLE segments (
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  condition TEXT NOT NULL,
  -- JSON array of the segment keys the condition references (cycle checks, evaluation order)
  depends_on TEXT NOT NULL DEFAULT '[]',
  -- 1 when the condition depends on "now" (relative windows, daysAgo): the cron re-evaluates it
  time_relative INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  evaluated_at INTEGER,
  PRIMARY KEY (workspace_id, key)
) WITHOUT ROWID;

-- Current membership: canonical profiles only. A profile that is merged away or deleted leaves.
CREATE TABLE segment_members (
  workspace_id TEXT NOT NULL,
  segment_key TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  entered_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, segment_key, profile_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_profile ON segment_members (workspace_id, profile_id);

-- The outbox: every enter and exit, written in the same db.batch() as the membership change.
CREATE TABLE segment_changes (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  -- the evaluation run that wrote it: lets the same batch fan it out to destinations
  run_id TEXT NOT NULL,
  segment_key TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('entered', 'exited')),
  -- exits only: 'no_longer_matches' | 'merged' | 'profile_gone' | 'segment_deleted'
  reason TEXT,
  -- exits by merge: the canonical profile that absorbed this one
  merged_into TEXT,
  occurred_at INTEGER NOT NULL
);
CREATE INDEX segment_changes_run ON segment_changes (run_id);

-- Scratch space of one evaluation: the matching profile ids, filled and emptied in one batch.
CREATE TABLE segment_eval_scratch (
  run_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  PRIMARY KEY (run_id, profile_id)
) WITHOUT ROWID;

-- Webhook destinations. The secret is kept in plaintext because signing needs it; listings mask it.
CREATE TABLE destinations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  -- JSON array of segment keys, or NULL for every segment
  segments TEXT,
  -- JSON array of 'segment.entered' / 'segment.exited'
  events TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX destinations_workspace ON destinations (workspace_id);

-- One row per (change, destination): the delivery queue, ordered by next attempt.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  change_id INTEGER NOT NULL,
  -- copied from the change so a later change of the same member waits for this one (ordering)
  segment_key TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_response_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  UNIQUE (destination_id, change_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_destination ON webhook_deliveries (destination_id, id);
CREATE INDEX webhook_deliveries_member ON webhook_deliveries (destination_id, segment_key, profile_id, status);
CREATE INDEX webhook_deliveries_change ON webhook_deliveries (change_id);
CREATE INDEX segment_changes_time ON segment_changes (occurred_at);
