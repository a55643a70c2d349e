/**
 * Where archived events live in R2. Objects are gzip NDJSON, partitioned by workspace and by the
 * hour the collector received the events, Hive-style, so DuckDB, Spark, BigQuery external tables
 * or Athena read them directly (`read_json('events/ws_x/dt=*\/hour=*\/*.ndjson.gz')`) and a time
 * range is answered by listing a few prefixes.
 */

/** Every key of a workspace's archive starts with this. */
export const workspacePrefix = (workspaceId: string) => `events/${workspaceId}/`;

/** The `dt=YYYY-MM-DD/hour=HH/` partition (UTC) of a receive time. */
export function partitionOf(receivedAt: number): string {
  const iso = new Date(receivedAt).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/**
 * The key of one archive object: a batch's events received in one hour.
 *
 * @example
 * objectKey('ws_1', Date.UTC(2026, 11, 6, 9, 30), '000000000042-g1')
 * // -> 'events/ws_1/dt=2026-12-06/hour=09/000000000042-g1.ndjson.gz'
 */
export function objectKey(workspaceId: string, receivedAt: number, batch: string): string {
  return `${workspacePrefix(workspaceId)}${partitionOf(receivedAt)}${batch}.ndjson.gz`;
}

/**
 * The name of an archive object an inbox batch writes: the inbox `seq` of the batch's first row in
 * that hour (zero-padded, so names sort in arrival order) and the inbox's generation (random, made
 * once with its storage, so an inbox whose seqs start again at 1 never overwrites older objects).
 * The inbox takes batches from its head, so a batch replayed after a crash holds the same rows
 * and maybe more after them: the same first row per hour, the same names, a superset of events.
 * A failed batch is retried row by row: each row then rewrites the object named after it (which
 * drops the later rows from it) and the later rows write their own.
 *
 * @example
 * batchName(42, 'g1') // -> '000000000042-g1'
 */
export function batchName(firstSeq: number, generation: string): string {
  return `${String(firstSeq).padStart(12, '0')}-${generation}`;
}

/** Events grouped by their hour partition, in the order given. */
export function byPartition<E extends { receivedAt: number }>(events: readonly E[]): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  // A batch spans an hour or two: its partitions are formatted once per hour, not once per event.
  const hours = new Map<number, string>();
  for (const e of events) {
    const hour = Math.floor(e.receivedAt / HOUR_MS);
    let p = hours.get(hour);
    if (p === undefined) hours.set(hour, (p = partitionOf(e.receivedAt)));
    const group = groups.get(p);
    if (group) group.push(e);
    else groups.set(p, [e]);
  }
  return groups;
}

export const HOUR_MS = 3_600_000;

/**
 * The start (epoch ms) of the hour partition a key belongs to, or null.
 *
 * @example
 * hourOfKey('events/ws_1/dt=2026-12-06/hour=09/x.ndjson.gz') // -> Date.UTC(2026, 11, 6, 9)
 */
export function hourOfKey(key: string): number | null {
  const m = /\/dt=(\d{4})-(\d{2})-(\d{2})\/hour=(\d{2})\//.exec(key);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) : null;
}

/**
 * Where a listing of the workspace's archive may start for events received at or after `from`:
 * the key just before the first object of that hour (R2's `startAfter`), so earlier hours are
 * never listed.
 *
 * @example
 * listStartAfter('ws_1', Date.UTC(2026, 11, 6, 9, 30)) // -> 'events/ws_1/dt=2026-12-06/hour=09/'
 */
export function listStartAfter(workspaceId: string, from: number): string | undefined {
  if (!Number.isFinite(from)) return undefined;
  return `${workspacePrefix(workspaceId)}${partitionOf(from)}`;
}
