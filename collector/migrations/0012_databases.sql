-- Workspaces spread over several D1 databases. Every database gets every migration (one schema),
-- but only the directory's (binding DB) `workspaces` and `api_keys` rows are read: `database` names
-- the binding (wrangler.toml) that holds the workspace's data. Existing workspaces stay on DB.
ALTER TABLE workspaces ADD COLUMN database TEXT NOT NULL DEFAULT 'DB';
-- The workspace's latest move between databases, JSON {status, from, to, startedAt, ...}; NULL when
-- it never moved. Writes other than ingest are refused while its status is 'waiting' or 'copying'.
ALTER TABLE workspaces ADD COLUMN move TEXT;
CREATE INDEX workspaces_database ON workspaces (database);
