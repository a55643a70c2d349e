-- The per-person archive index is built when events leave D1, not on ingest (issue 16): each
-- event row says where the R2 archive holds it, and retention turns the places of the events it
-- deletes into archive_index rows (one INSERT ... SELECT ... GROUP BY in the same atomic step).
-- Ingest writes no index rows. Events stored before this migration keep NULL here and the index
-- rows they were given on ingest.
--   archive_object: the archive key after `events/{workspace}/`
--   archive_line:   the event's 0-based line in that object
--   archive_lines:  the object's line count (what archive_index.object_lines guards a purge with)
-- No index on them: they are read only by the rows retention deletes (picked by seq) and written
-- by messageId.
ALTER TABLE events ADD COLUMN archive_object TEXT;
ALTER TABLE events ADD COLUMN archive_line INTEGER;
ALTER TABLE events ADD COLUMN archive_lines INTEGER;
