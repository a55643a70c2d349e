import { appendStaleLog, clearStaleLog, markStale, readStaleLog } from './view-tables';

/** Past this many logged ids an invalidation marks them in `views` at once: bounds the log and the object's memory under writes that never pause. */
export const FLUSH_AT = 50_000;

/**
 * Profiles named stale by writers and not yet marked stale in the `views` table, kept as an
 * appended log in the object's storage and as a set in memory (rebuilt from the log when the object
 * starts). A resolver batch names some 800 profiles: marking each row in `views` costs as many
 * writes into a B-tree keyed by random ids (one leaf page each) on ingest's path; appending them is
 * one row. A read checks the set (a logged profile's row does not answer, exactly as a row marked
 * stale), and the catch-up moves the log into `views` (`flush`) when it runs, in one statement
 * that visits each page once, where named-stale profiles are read again first.
 *
 * @example
 * const log = new StaleLog(sql);
 * log.add(['prof_a', 'prof_b']);       // an invalidation: one appended row
 * log.has('prof_a')                    // -> true: its stored answers do not answer
 * log.flush(now);                      // the catch-up: `views` rows marked stale, the log emptied
 */
export class StaleLog {
  private readonly ids: Set<string>;
  /** Ids in the log's rows (an id kept current again since leaves the set, not the log). */
  private logged: number;

  constructor(private readonly sql: SqlStorage) {
    const ids = readStaleLog(sql);
    this.ids = new Set(ids);
    this.logged = ids.length;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Whether the log holds anything (the catch-up then has work: `flush`). */
  get empty(): boolean {
    return this.logged === 0;
  }

  /** Logs the ids not already in the log (none new: no write at all); past FLUSH_AT, flushes. */
  add(profileIds: readonly string[], now: number): void {
    const fresh = profileIds.filter((id) => !this.ids.has(id) && (this.ids.add(id), true));
    if (fresh.length === 0) return;
    appendStaleLog(this.sql, fresh);
    this.logged += fresh.length;
    if (this.logged >= FLUSH_AT) this.flush(now);
  }

  /**
   * A profile stored again by a read that began after its invalidation (race-guard.ts): it is current
   * once stored. Answers whether it was logged; its `views` row must then be marked stale before the
   * store (view-tables.ts `keep` drops a stale row's other slot and old refs).
   */
  take(id: string): boolean {
    return this.ids.delete(id);
  }

  /** Marks every logged profile still stale in `views` (an empty row for one the store does not know) and empties the log. */
  flush(now: number): void {
    if (this.logged === 0) return;
    if (this.ids.size > 0) markStale(this.sql, [...this.ids].sort(), now);
    clearStaleLog(this.sql);
    this.ids.clear();
    this.logged = 0;
  }
}
