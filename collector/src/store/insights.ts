/**
 * Read-side queries behind the console's charts: event counts per day, profile counts and the
 * live tail. Every query is scoped by workspace_id; all values are bound parameters.
 */
import { DAY_MS, type DayCount } from '../insights/series';

interface DayCountRow {
  day_index: number;
  type: string;
  event: string | null;
  n: number;
}

/** Messages per (day, type, event) in [from, to); day 0 starts at `from`. Index-only on events_workspace_time (0005). */
export async function countEventsByDay(db: D1Database, workspaceId: string, from: number, to: number): Promise<DayCount[]> {
  const { results } = await db
    .prepare(
      // D1 binds JS numbers as REAL, so the division would be fractional without the cast.
      `SELECT CAST((timestamp - ?2) / ${DAY_MS} AS INTEGER) AS day_index, type, event, count(*) AS n
       FROM events WHERE workspace_id = ?1 AND timestamp >= ?2 AND timestamp < ?3
       GROUP BY day_index, type, event`,
    )
    .bind(workspaceId, from, to)
    .all<DayCountRow>();
  return results.map((r) => ({ dayIndex: r.day_index, type: r.type, event: r.event, count: r.n }));
}

export interface ProfileCounts {
  /** Live profiles (not merged into another). */
  total: number;
  /** Live profiles holding a user_id or email, directly or through a profile merged into them. */
  identified: number;
  /** Live profiles seen at or after `since`. */
  active: number;
}

/** How many people the workspace knows, and how many of them have a name (user id or email). */
export async function countProfiles(db: D1Database, workspaceId: string, since: number): Promise<ProfileCounts> {
  const [totals, identified] = await db.batch<{ total: number; active: number | null } | { identified: number }>([
    db
      .prepare(
        `SELECT count(*) AS total, sum(last_seen >= ?2) AS active
         FROM profiles WHERE workspace_id = ?1 AND canonical_id = id`,
      )
      .bind(workspaceId, since),
    // An identity row names the profile that first claimed it; canonical_id is where it lives now.
    db
      .prepare(
        `SELECT count(DISTINCT p.canonical_id) AS identified
         FROM identities i JOIN profiles p ON p.id = i.profile_id
         WHERE i.workspace_id = ?1 AND i.type IN ('user_id', 'email') AND p.workspace_id = ?1`,
      )
      .bind(workspaceId),
  ]);
  const t = totals!.results[0] as { total: number; active: number | null } | undefined;
  const i = identified!.results[0] as { identified: number } | undefined;
  return { total: t?.total ?? 0, active: t?.active ?? 0, identified: i?.identified ?? 0 };
}

export interface TailEvent {
  seq: number;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  profileId: string | null;
  timestamp: string;
  receivedAt: string;
  properties: Record<string, unknown> | null;
}

interface TailRow {
  seq: number;
  message_id: string;
  type: string;
  event: string | null;
  name: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  profile_id: string | null;
  timestamp: number;
  received_at: number;
  properties: string | null;
}

const toTailEvent = (r: TailRow): TailEvent => ({
  seq: r.seq,
  messageId: r.message_id,
  type: r.type,
  event: r.event,
  name: r.name,
  userId: r.user_id,
  anonymousId: r.anonymous_id,
  profileId: r.profile_id,
  timestamp: new Date(r.timestamp).toISOString(),
  receivedAt: new Date(r.received_at).toISOString(),
  properties: r.properties ? (JSON.parse(r.properties) as Record<string, unknown>) : null,
});

/**
 * The newest `limit` stored messages with seq > `after`, newest first, and the highest seq in
 * the whole table (seq is the storage order, so a poller that passes back the cursor never
 * misses or repeats one). No index serves "one workspace by seq": the scan walks seq backwards
 * over every tenant's rows, so it is bounded to the last `scanWindow` rows; a poller that keeps
 * up only ever reads what arrived since its last call.
 */
export async function tailEvents(
  db: D1Database,
  workspaceId: string,
  after: number,
  limit: number,
  scanWindow = 100_000,
): Promise<{ events: TailEvent[]; maxSeq: number }> {
  const [rows, max] = await db.batch<TailRow | { max_seq: number }>([
    db
      .prepare(
        `SELECT seq, message_id, type, event, name, user_id, anonymous_id, profile_id, timestamp, received_at, properties
         FROM events WHERE +workspace_id = ?1 AND seq > max(?2, (SELECT coalesce(max(seq), 0) FROM events) - ?4)
         ORDER BY seq DESC LIMIT ?3`,
      )
      .bind(workspaceId, after, limit, scanWindow),
    db.prepare('SELECT coalesce(max(seq), 0) AS max_seq FROM events'),
  ]);
  // "+workspace_id" keeps SQLite off the workspace index, which would read every event of a big
  // workspace and sort them; the seq (rowid) range walk stops after `limit` matches.
  return {
    events: (rows!.results as TailRow[]).map(toTailEvent),
    maxSeq: (max!.results[0] as { max_seq: number } | undefined)?.max_seq ?? 0,
  };
}

/**
 * Trait names in use, with how many of the `sample` most recently seen people hold each: the
 * builder's suggestions. A sample keeps this cheap on big workspaces; rare traits may be missed.
 */
export async function traitNames(db: D1Database, workspaceId: string, sample: number): Promise<{ name: string; profiles: number }[]> {
  const { results } = await db
    .prepare(
      `SELECT t.key AS name, count(*) AS profiles
       FROM (SELECT traits FROM profiles WHERE workspace_id = ?1 AND canonical_id = id ORDER BY last_seen DESC LIMIT ?2) p,
         json_each(p.traits) t
       GROUP BY t.key ORDER BY profiles DESC, name LIMIT 100`,
    )
    .bind(workspaceId, sample)
    .all<{ name: string; profiles: number }>();
  return results;
}
