// The inbox Durable Object's own SQLite tables, and what its status and dead-letter reads answer.
import type { StoredEvent } from '../ingest/normalise';

/** What `GET /v1/ingest/status` answers for a workspace. */
export interface InboxStatus {
  pending: number;
  oldestPendingAt: string | null;
  lagMs: number;
  deadLettered: number;
}

export interface DeadLetter {
  messageId: string;
  receivedAt: string;
  failedAt: string;
  attempts: number;
  error: string;
  event: StoredEvent;
}

/** One inbox row as the ingest route hands it over: [messageId, receivedAt, event JSON]. */
export type InboxEntry = [string, number, string];

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);`;

/** The inbox's counts as `GET /v1/ingest/status` shows them. */
export function readStatus(sql: SqlStorage, now: number): InboxStatus {
  const row = sql.exec<{ n: number; oldest: number | null }>('SELECT count(*) AS n, min(received_at) AS oldest FROM inbox').one();
  const dead = sql.exec<{ n: number }>('SELECT count(*) AS n FROM dead_letters').one();
  return {
    pending: row.n,
    oldestPendingAt: row.oldest === null ? null : new Date(row.oldest).toISOString(),
    lagMs: row.oldest === null ? 0 : Math.max(0, now - row.oldest),
    deadLettered: dead.n,
  };
}

/** The oldest dead letters with their errors, as `GET /v1/ingest/dead-letters` lists them. */
export function readDeadLetters(sql: SqlStorage, limit: number): DeadLetter[] {
  const rows = sql
    .exec<{ message_id: string; received_at: number; body: string; attempts: number; error: string; failed_at: number }>(
      'SELECT message_id, received_at, body, attempts, error, failed_at FROM dead_letters ORDER BY seq LIMIT ?',
      limit,
    )
    .toArray();
  return rows.map((r) => ({
    messageId: r.message_id,
    receivedAt: new Date(r.received_at).toISOString(),
    failedAt: new Date(r.failed_at).toISOString(),
    attempts: r.attempts,
    error: r.error,
    event: JSON.parse(r.body) as StoredEvent,
  }));
}
