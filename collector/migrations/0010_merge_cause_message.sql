-- The messageId of the event whose identifiers caused a merge (NULL for force-merges and for merges
-- logged before this column). A split gives that event, and the traits it carried, to the person
-- taken back out: it is the event that wrongly claimed the other person's identifier.
ALTER TABLE merge_log ADD COLUMN cause_message_id TEXT;
