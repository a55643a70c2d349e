-- Event forwarding and WhatsApp activation (issue 21). Append-only like every migration.

-- What a destination is: 'segments' (the signed segment webhooks of 0003, the default so
-- existing rows keep their meaning), 'webhook', 'ga4', 'mixpanel', 'meta' (every accepted
-- event) or 'whatsapp' (a template message on segment entry, through segment_changes).
ALTER TABLE destinations ADD COLUMN kind TEXT NOT NULL DEFAULT 'segments';
-- JSON of the vendor's settings, secrets included in plaintext because sending needs them;
-- every read through the API masks them.
ALTER TABLE destinations ADD COLUMN config TEXT;
-- JSON arrays or NULL (no restriction): message types, and names of track events.
ALTER TABLE destinations ADD COLUMN filter_types TEXT;
ALTER TABLE destinations ADD COLUMN filter_events TEXT;
-- Only events (or, for segment-triggered kinds, people) that grant this consent category.
ALTER TABLE destinations ADD COLUMN consent_category TEXT;

-- The outbox of event forwarding: one row per (destination, stored event). The unique key is
-- what makes an event go to a destination once even when its sender retries the batch.
CREATE TABLE event_deliveries (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  -- the profile the event resolved to (privacy deletion finds the person's rows by it)
  profile_id TEXT,
  -- skipped: nothing to send for this vendor (e.g. Meta with no customer information at all)
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_response_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  UNIQUE (destination_id, message_id)
);
-- Each destination drains on its own (a slow one never holds another back): due rows per destination.
CREATE INDEX event_deliveries_due ON event_deliveries (destination_id, status, next_attempt_at);
-- GET /v1/destinations/{id}/deliveries, newest first.
CREATE INDEX event_deliveries_destination ON event_deliveries (destination_id, id);
