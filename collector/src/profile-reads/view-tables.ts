// The profile read store's own SQLite tables (the ProfileReads Durable Object's storage): its
// statements, synchronous, in the object's thread.

/**
 * `views`: one row per canonical profile. `gen` is the generation the row was read at: it answers
 * only while it equals the store's generation (meta `gen`), which `'all'` invalidations bump, and a
 * writer naming the profile sets it to 0 (named stale: the catch-up reads it again first). `profile`
 * is the answer's text, or when it moves with the clock (predictions) the view as JSON; `timeline`
 * the newest events as the API shows them, one per line, deflated (page.ts), read with `fetched` rows
 * asked for (fewer: that is all of them).
 * `refs`: every ref a reader may use (`type\0value` of an identifier, `id\0profile id`) to the
 * canonical profile it names.
 * `stale_log`: profiles writers named stale and the store has not yet marked in `views` (stale-log.ts),
 * one row per invalidation, the ids as a JSON array: an append instead of a write per profile on
 * ingest's path. Added 2026-12-07 (CREATE IF NOT EXISTS: a store of an older release gains it empty).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS views (
  id TEXT PRIMARY KEY,
  gen INTEGER NOT NULL,
  stored_at INTEGER NOT NULL,
  profile TEXT,
  timeless INTEGER NOT NULL DEFAULT 1,
  timeline BLOB,
  fetched INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS views_named_stale ON views (id) WHERE gen = 0;
CREATE TABLE IF NOT EXISTS refs (ref TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_id ON refs (id);
CREATE TABLE IF NOT EXISTS stale_log (seq INTEGER PRIMARY KEY, ids TEXT NOT NULL);`;

export type ViewRow = {
  id: string;
  gen: number;
  stored_at: number;
  profile: string | null;
  timeless: number;
  timeline: ArrayBuffer | null;
  fetched: number | null;
};

// Each read takes its own slot only: a profile read need not copy the packed page out of SQLite.
const ROW_OF_REF = {
  profile: 'SELECT v.id, v.gen, v.stored_at, v.profile, v.timeless, NULL AS timeline, NULL AS fetched FROM refs r CROSS JOIN views v ON v.id = r.id WHERE r.ref = ?',
  timeline: 'SELECT v.id, v.gen, v.stored_at, NULL AS profile, v.timeless, v.timeline, v.fetched FROM refs r CROSS JOIN views v ON v.id = r.id WHERE r.ref = ?',
};

/** The row a ref names, if any, with the one slot a read answers from (current or not: the caller checks `gen` and age). */
export function rowOfRef(sql: SqlStorage, ref: string, slot: 'profile' | 'timeline'): ViewRow | null {
  return sql.exec<ViewRow>(ROW_OF_REF[slot], ref).toArray()[0] ?? null;
}

/** What one store writes: a slot or both, and refs known to name the profile now. */
export interface Keep {
  id: string;
  profile?: { text: string; timeless: boolean };
  /** The page as page.ts packs it. */
  timeline?: { rows: ArrayBuffer; fetched: number };
  refs: readonly string[];
  /** The whole row as D1 has it now (the catch-up): both slots (a missing one is cleared) and every ref. */
  whole: boolean;
}

/**
 * Stores a profile's slots at generation `gen`. A row that was not current loses its other slot
 * and every ref that named it before (a split may have moved one to another profile); only the
 * refs read with this store name it from now on. A current row keeps both, and its refs.
 */
export function keep(sql: SqlStorage, gen: number, now: number, k: Keep): void {
  const current = !k.whole && sql.exec<{ gen: number }>('SELECT gen FROM views WHERE id = ?', k.id).toArray()[0]?.gen === gen;
  if (!current) sql.exec('DELETE FROM refs WHERE id = ?', k.id);
  sql.exec(
    `INSERT INTO views (id, gen, stored_at, profile, timeless, timeline, fetched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (id) DO UPDATE SET
       profile = CASE WHEN ?8 THEN excluded.profile WHEN gen = ?2 THEN profile END,
       timeless = CASE WHEN ?8 THEN excluded.timeless ELSE timeless END,
       timeline = CASE WHEN ?9 THEN excluded.timeline WHEN gen = ?2 THEN timeline END,
       fetched = CASE WHEN ?9 THEN excluded.fetched WHEN gen = ?2 THEN fetched END,
       stored_at = CASE WHEN gen = ?2 AND NOT ?10 THEN min(stored_at, ?3) ELSE ?3 END,
       gen = ?2`,
    k.id,
    gen,
    now,
    k.profile?.text ?? null,
    k.profile?.timeless === false ? 0 : 1,
    k.timeline?.rows ?? null,
    k.timeline?.fetched ?? null,
    k.profile || k.whole ? 1 : 0,
    k.timeline || k.whole ? 1 : 0,
    k.whole ? 1 : 0,
  );
  for (const ref of k.refs) sql.exec('INSERT OR REPLACE INTO refs (ref, id) VALUES (?, ?)', ref, k.id);
}

/** Named stale: the profiles' rows stop answering and are read again first; unknown ones get an empty row so the catch-up finds them. */
export function markStale(sql: SqlStorage, ids: readonly string[], now: number): void {
  // One statement for the whole list: this runs on ingest's path, once per resolver batch.
  sql.exec(
    `INSERT INTO views (id, gen, stored_at) SELECT value, 0, ?2 FROM json_each(?1) WHERE true
     ON CONFLICT (id) DO UPDATE SET gen = 0 WHERE gen <> 0`,
    JSON.stringify(ids),
    now,
  );
}

/** Appends one invalidation's profile ids to `stale_log` (one row, however many ids). */
export function appendStaleLog(sql: SqlStorage, ids: readonly string[]): void {
  sql.exec('INSERT INTO stale_log (ids) VALUES (?)', JSON.stringify(ids));
}

/** Rows of `stale_log` after `afterSeq`, oldest first, at most `rows` of them: each invalidation's ids. */
export function readStaleLog(sql: SqlStorage, afterSeq = 0, rows = -1): { seq: number; ids: string[] }[] {
  return sql
    .exec<{ seq: number; ids: string }>('SELECT seq, ids FROM stale_log WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, rows)
    .toArray()
    .map((r) => ({ seq: r.seq, ids: JSON.parse(r.ids) as string[] }));
}

/** Deletes the rows of `stale_log` up to `seq`. */
export function dropStaleLog(sql: SqlStorage, upToSeq: number): void {
  sql.exec('DELETE FROM stale_log WHERE seq <= ?', upToSeq);
}

/** Deletes the profiles' rows and every ref naming them (erasure, a profile merged away or gone). */
export function forget(sql: SqlStorage, ids: readonly string[]): void {
  for (const id of ids) {
    sql.exec('DELETE FROM refs WHERE id = ?', id);
    sql.exec('DELETE FROM views WHERE id = ?', id);
  }
}

/** Named-stale profiles, by id, up to `upTo` (the sweep's position: beyond it the sweep reads them anyway); null: all. */
export function namedStale(sql: SqlStorage, upTo: string | null, limit: number): string[] {
  // Two statements, not `(?1 IS NULL OR id <= ?1)`: each of them is a range of the partial index
  // views_named_stale, where the OR made SQLite walk every row of the store.
  const rows =
    upTo === null
      ? sql.exec<{ id: string }>('SELECT id FROM views WHERE gen = 0 ORDER BY id LIMIT ?', limit)
      : sql.exec<{ id: string }>('SELECT id FROM views WHERE gen = 0 AND id <= ? ORDER BY id LIMIT ?', upTo, limit);
  return rows.toArray().map((r) => r.id);
}

/** Whether any profile is named stale (one step of the partial index). */
export function anyNamedStale(sql: SqlStorage): boolean {
  return sql.exec('SELECT 1 FROM views WHERE gen = 0 LIMIT 1').toArray().length > 0;
}

/**
 * At the end of a sweep: rows the sweep did not visit (stored before it began) and no writer named
 * are profiles D1 no longer has as canonical (a rebuild's old ids, say). Returns how many went.
 */
export function dropUnvisited(sql: SqlStorage, sweepStartedAt: number): number {
  const where = 'gen > 0 AND stored_at < ?';
  sql.exec(`DELETE FROM refs WHERE id IN (SELECT id FROM views WHERE ${where})`, sweepStartedAt);
  return sql.exec(`DELETE FROM views WHERE ${where}`, sweepStartedAt).rowsWritten;
}

/** Counts for the admin endpoint: rows answering now, named stale, and older generations. */
export function countViews(sql: SqlStorage, gen: number): { current: number; namedStale: number; older: number; refs: number; bytes: number } {
  const row = sql
    .exec<{ current: number; named: number; older: number; bytes: number }>(
      `SELECT count(*) FILTER (WHERE gen = ?1) AS current, count(*) FILTER (WHERE gen = 0) AS named,
        count(*) FILTER (WHERE gen > 0 AND gen < ?1) AS older, coalesce(sum(coalesce(length(profile), 0) + coalesce(length(timeline), 0)), 0) AS bytes FROM views`,
      gen,
    )
    .one();
  const refs = sql.exec<{ n: number }>('SELECT count(*) AS n FROM refs').one().n;
  return { current: row.current, namedStale: row.named, older: row.older, refs, bytes: row.bytes };
}

/** The store's small state in `meta`, read and written by key. */
export function metaGet(sql: SqlStorage, key: string): string | null {
  return sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value ?? null;
}

export function metaSet(sql: SqlStorage, key: string, value: string | null): void {
  if (value === null) sql.exec('DELETE FROM meta WHERE key = ?', key);
  else sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
}
