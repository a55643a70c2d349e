-- Insights (issue 8): the console's charts and live tail.

-- One row per segment and UTC day: the segment's size as last seen that day by the scheduled
-- handler (it runs every few minutes, so the row ends up holding the end-of-day size).
-- Membership itself is only stored as "now", so without these rows there is no history.
CREATE TABLE segment_size_daily (
  workspace_id TEXT NOT NULL,
  segment_key TEXT NOT NULL,
  -- epoch ms of the day's UTC midnight
  day INTEGER NOT NULL,
  size INTEGER NOT NULL,
  -- the segment's created_at: a deleted and re-created key does not inherit the old history
  segment_created_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, segment_key, day)
) WITHOUT ROWID;

-- The live tail polls "this workspace's events after seq N". Without this index SQLite walks
-- every tenant's newest rows to find one quiet workspace's last events.
CREATE INDEX events_workspace_seq ON events (workspace_id, seq);
