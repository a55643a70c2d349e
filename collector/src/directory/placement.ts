/** How full one database of workspace data is, as placement weighs it. */
export interface DatabaseLoad {
  /** Binding name, e.g. `DB_2`. */
  name: string;
  /** Bytes the database file uses now (D1 reports it with every query as `meta.size_after`). */
  bytes: number;
  /** Workspaces the directory maps to it. */
  workspaces: number;
}

/**
 * What a new workspace is assumed to grow into before its bytes show. Bytes alone lag: a burst of
 * new, still empty workspaces would all land on the emptiest database. Counting each workspace as
 * at least this much spreads them at once, while real bytes take over as they grow (a D1 database
 * holds 10 GB, so a 50 MB reservation is 0.5% of one).
 */
export const WORKSPACE_RESERVE_BYTES = 50 * 1024 * 1024;

/**
 * The database a new workspace goes to: the least loaded, weighing bytes used plus a reservation
 * per workspace; on a tie the one listed first (the directory's own database first), so a fresh
 * install fills DB before the others.
 *
 * @example
 * leastLoaded([{ name: 'DB', bytes: 9e6, workspaces: 1 }, { name: 'DB_2', bytes: 9e6, workspaces: 0 }]) // 'DB_2'
 */
export function leastLoaded(loads: readonly DatabaseLoad[]): string {
  if (loads.length === 0) throw new Error('no database of workspace data is bound');
  const score = (l: DatabaseLoad) => l.bytes + l.workspaces * WORKSPACE_RESERVE_BYTES;
  return loads.reduce((best, l) => (score(l) < score(best) ? l : best)).name;
}
