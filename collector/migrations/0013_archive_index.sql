-- Cold reads (issue 17): which R2 archive objects hold each person's events, so a timeline or a
-- person's export reads only those objects once retention has moved the events out of D1.

-- One row per profile per archive object (not per event): the profile id the events were stored
-- under (merge trees are folded at read time through profiles.canonical_id), the object's key
-- after `events/{workspace}/`, the event-time bounds of those events, and which lines of the
-- object they are (0-based, comma-separated). `object_lines` is the object's line count when the
-- row was written: a purge that rewrites the object shifts the rows written against that count
-- only, so a purge step repeated after a crash never shifts them twice.
CREATE TABLE archive_index (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  object TEXT NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  lines TEXT NOT NULL,
  object_lines INTEGER NOT NULL,
  -- min_ts in the key: "has this person events older than X in R2" is one seek, not a walk of their rows.
  PRIMARY KEY (workspace_id, profile_id, min_ts, object)
) WITHOUT ROWID;
-- A purge or a replayed batch rewrites one object: its rows are found by the object.
CREATE INDEX archive_index_object ON archive_index (workspace_id, object);

-- Events with an event time before `cold_before` may be in R2 only: retention raises it before
-- each deletion (never lowers it). Readers merge the archive in below it; above it D1 has them all.
CREATE TABLE archive_cold (
  workspace_id TEXT PRIMARY KEY,
  cold_before INTEGER NOT NULL
);
