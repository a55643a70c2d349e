/**
 * Where a resumable job of the inbox keeps its cursor: string values by key, written as the job
 * goes, so an alarm that dies half-way resumes from the last step it finished.
 */
export interface JobState {
  get(key: string): string | null;
  /** `null` removes the key. */
  set(key: string, value: string | null): void;
}

/**
 * A JobState in a table `meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)` of Durable Object storage.
 *
 * @example
 * const state = sqlJobState(ctx.storage.sql);
 * state.set('purge.after', key);
 */
export function sqlJobState(sql: SqlStorage): JobState {
  return {
    get: (key) => sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value ?? null,
    set: (key, value) => {
      if (value === null) sql.exec('DELETE FROM meta WHERE key = ?', key);
      else sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
    },
  };
}
