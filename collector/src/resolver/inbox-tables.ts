// The inbox Durable Object's own SQLite tables: its statements, and what its status and dead-letter reads answer.
import type { StoredEvent } from '../ingest/normalise';
import { fromInboxText } from '../store/events';
import { MAX_BATCH_EVENTS, takeBatch, type InboxRow } from './cycle-policy';

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

/** One inbox row as the ingest route hands it over: [messageId, receivedAt, the event's inboxText]. */
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
    event: fromInboxText(r.body),
  }));
}

/** Attempts of a single message before it becomes a dead letter. */
export const MAX_ATTEMPTS = 5;

/** Sets a `meta` value unless it is set already (first writer wins: a workspace id, when archiving began); see archive/job-state.ts for the rest. */
export const keepMeta = (sql: SqlStorage, key: string, value: string): void => {
  sql.exec('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)', key, value);
};

// Durable Object SQL binds at most 100 parameters: 33 rows of three.
const ROWS_PER_APPEND = 33;
const APPEND_SQL: string[] = [];
/** The append statement for `n` rows, made once per row count (the storage caches statements by text). */
const appendSql = (n: number) =>
  (APPEND_SQL[n] ??= `INSERT OR IGNORE INTO inbox (message_id, received_at, body) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`);

/**
 * Appends inbox rows, up to 33 per statement: SQLite runs in the object's own thread, and a
 * statement per row cost more in calls than in inserts. The bodies go in as they are (no JSON
 * re-encoding); rows keep their order, so seqs follow arrival. A messageId already waiting is not
 * added again. Answers how many rows were new.
 */
export function appendRows(sql: SqlStorage, entries: readonly InboxEntry[]): number {
  let added = 0;
  for (let i = 0; i < entries.length; i += ROWS_PER_APPEND) {
    const rows = entries.slice(i, i + ROWS_PER_APPEND);
    added += sql.exec(appendSql(rows.length), ...rows.flat()).rowsWritten;
  }
  return added;
}

/**
 * Counts a failed attempt against each of `seqs`; a row that failed alone (`alone`) MAX_ATTEMPTS
 * times moves to the dead letters, in the same transaction.
 */
export function recordAttempt(storage: DurableObjectStorage, seqs: readonly number[], alone: boolean, error: string, now: number): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec('UPDATE inbox SET attempts = attempts + 1, last_error = ? WHERE seq IN (SELECT value FROM json_each(?))', error, JSON.stringify(seqs));
    if (!alone) return;
    sql.exec(
      `INSERT INTO dead_letters (seq, message_id, received_at, body, attempts, error, failed_at)
       SELECT seq, message_id, received_at, body, attempts, ?2, ?3 FROM inbox WHERE seq = ?1 AND attempts >= ?4`,
      seqs[0],
      error,
      now,
      MAX_ATTEMPTS,
    );
    sql.exec('DELETE FROM inbox WHERE seq = ? AND attempts >= ?', seqs[0], MAX_ATTEMPTS);
  });
}

type InboxSqlRow = InboxRow & Record<string, SqlStorageValue>;

/**
 * The rows of the next resolver batch: a row that failed before goes alone (so one poison message
 * cannot hold up the rest); otherwise the oldest rows, as many as fit a batch.
 */
export function nextBatchRows(sql: SqlStorage): InboxRow[] {
  const retried = sql.exec<InboxSqlRow>('SELECT seq, attempts, body FROM inbox WHERE attempts > 0 ORDER BY seq LIMIT 1').toArray();
  return retried.length > 0 ? retried : takeBatch(sql.exec<InboxSqlRow>('SELECT seq, attempts, body FROM inbox ORDER BY seq LIMIT ?', MAX_BATCH_EVENTS));
}

/** Removes resolved rows from the inbox. */
export function removeRows(sql: SqlStorage, seqs: readonly number[]): void {
  sql.exec('DELETE FROM inbox WHERE seq IN (SELECT value FROM json_each(?))', JSON.stringify(seqs));
}

/** Moves every dead letter back into the inbox with fresh attempts; answers how many there were. */
export function requeueDeadLetters(storage: DurableObjectStorage): number {
  const sql = storage.sql;
  const replayed = sql.exec<{ n: number }>('SELECT count(*) AS n FROM dead_letters').one().n;
  storage.transactionSync(() => {
    sql.exec('INSERT OR IGNORE INTO inbox (message_id, received_at, body) SELECT message_id, received_at, body FROM dead_letters ORDER BY seq');
    sql.exec('DELETE FROM dead_letters');
  });
  return replayed;
}
