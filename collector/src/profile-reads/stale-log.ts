import { appendStaleLog, dropStaleLog, markStale, readStaleLog } from './view-tables';

/** Past this many logged ids an invalidation marks the oldest in `views`: bounds the log and the object's memory under writes that never pause. */
export const FLUSH_AT = 50_000;
/** Ids marked per step (the catch-up's alarm, an invalidation past FLUSH_AT): requests to the object wait while it runs. */
export const FLUSH_STEP = 10_000;

/**
 * Profiles named stale by writers and not yet marked stale in the `views` table, kept as an
 * appended log in the object's storage and as a set in memory (rebuilt from the log when the object
 * starts). A resolver batch names some 800 profiles: marking each row in `views` costs as many
 * writes into a B-tree keyed by random ids on ingest's path; appending them is one row. A read
 * checks the set (a logged profile's row does not answer, exactly as a row marked stale), and the
 * catch-up moves the log into `views` (`flush`) once writes are quiet, where named-stale profiles
 * are read again first.
 *
 * An id is in at most one row while it is in the set (`add` logs only ids not in it), so the log
 * can be marked a few rows at a time: a row's ids still in the set are marked and leave it.
 *
 * @example
 * const log = new StaleLog(sql);
 * log.add(['prof_a', 'prof_b'], now); // an invalidation: one appended row
 * log.has('prof_a')                   // -> true: its stored answers do not answer
 * log.flush(now);                     // the catch-up: `views` rows marked stale, the log emptied
 */
export class StaleLog {
  private readonly ids = new Set<string>();
  /** Ids in the log's rows (an id kept current again since leaves the set, not the log). */
  private logged = 0;

  constructor(private readonly sql: SqlStorage) {
    for (const row of readStaleLog(sql)) {
      for (const id of row.ids) this.ids.add(id);
      this.logged += row.ids.length;
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Whether the log holds nothing (else the catch-up has work: `flush`). */
  get empty(): boolean {
    return this.logged === 0;
  }

  /** Logs the ids not already in the log (none new: no write at all); past FLUSH_AT, marks the oldest. */
  add(profileIds: readonly string[], now: number): void {
    const fresh = profileIds.filter((id) => !this.ids.has(id) && (this.ids.add(id), true));
    if (fresh.length === 0) return;
    appendStaleLog(this.sql, fresh);
    this.logged += fresh.length;
    while (this.logged >= FLUSH_AT) this.flush(now, FLUSH_STEP);
  }

  /**
   * A profile stored again by a read that began after its invalidation (race-guard.ts): it is current
   * once stored. Answers whether it was logged; its `views` row must then be marked stale before the
   * store (view-tables.ts `keep` drops a stale row's other slot and old refs).
   */
  take(id: string): boolean {
    return this.ids.delete(id);
  }

  /**
   * Marks the logged profiles still stale in `views` (an empty row for one the store does not know)
   * and drops their rows from the log, oldest first, whole rows of at least `atLeast` ids (all by default).
   */
  flush(now: number, atLeast = Number.POSITIVE_INFINITY): void {
    if (this.logged === 0) return;
    const marked: string[] = [];
    let upTo = 0;
    let count = 0;
    // A few rows at a time (each some hundred ids): a step reads no more of the log than it marks.
    for (let page = readStaleLog(this.sql, 0, 8); page.length > 0 && count < atLeast; page = readStaleLog(this.sql, upTo, 8)) {
      for (const row of page) {
        for (const id of row.ids) if (this.ids.delete(id)) marked.push(id);
        upTo = row.seq;
        count += row.ids.length;
        if (count >= atLeast) break;
      }
    }
    if (marked.length > 0) markStale(this.sql, marked.sort(), now);
    dropStaleLog(this.sql, upTo);
    this.logged -= count;
  }
}
