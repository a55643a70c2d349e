import type { CustomerStats, PredictionModel, Predictions } from '../predictions/customer';
import { orderEventOf } from '../settings/settings-patch';
import { jsonChunks } from './json-chunks';
import type { Workspace } from './workspaces';

const WEEK_MS = 7 * 86_400_000;

/** A JSON number, or text that reads as one (as profile-state's `num` accepts), else NULL. */
const numberAt = (path: string) => {
  const type = `json_type(e.properties, '${path}')`;
  const text = `trim(json_extract(e.properties, '${path}'))`;
  return `CASE WHEN ${type} IN ('integer', 'real') THEN json_extract(e.properties, '${path}')
    WHEN ${type} = 'text' AND ${text} GLOB '*[0-9]*' AND ${text} NOT GLOB '*[^0-9.eE+-]*' THEN CAST(${text} AS REAL) END`;
};

/** An order's value: properties.revenue, else properties.total, else 0 (as `eventRevenue`). */
const ORDER_VALUE = `coalesce(${numberAt('$.revenue')}, ${numberAt('$.total')}, 0)`;

/**
 * Every order of the workspace up to asOf with its person (canonical profile, so an order sent
 * under a guest id counts once the guest is merged) and its rank in that person's orders.
 * ?1 workspace, ?2 order event name, ?3 asOf, optional ?4 JSON array of canonical ids.
 * Scoped to a few people, `+e.workspace_id` keeps SQLite on the (profile_id, timestamp) index:
 * otherwise it picks (workspace_id, timestamp) and scans the whole workspace for each read.
 */
const orders = (scoped: boolean) => `SELECT p.canonical_id AS cid, e.timestamp AS ts, ${ORDER_VALUE} AS value,
    row_number() OVER (PARTITION BY p.canonical_id ORDER BY e.timestamp, e.seq) AS rn
  FROM ${scoped ? 'profiles p CROSS JOIN events e ON e.profile_id = p.id' : 'events e CROSS JOIN profiles p ON p.id = e.profile_id'}
  WHERE ${scoped ? 'p.workspace_id = ?1 AND p.canonical_id IN (SELECT value FROM json_each(?4)) AND +e.workspace_id = ?1' : 'e.workspace_id = ?1 AND p.workspace_id = ?1'}
    AND e.type = 'track' AND e.event = ?2 AND e.timestamp <= ?3`;

/**
 * SQL for one person's order summary as a JSON array [orders, firstAt, lastAt, total, firstValue]
 * (NULL without orders), for a column of a larger statement: `profileSql` names the canonical
 * profile, `orderEventSql` the order event, `asOfSql` the time. The profile read folds it into its
 * one statement instead of a second round trip.
 */
export const personStatsColumn = (profileSql: string, orderEventSql: string, asOfSql: string) => `(SELECT
    CASE WHEN count(*) > 0 THEN json_array(count(*), min(ts), max(ts), total(value), total(CASE WHEN rn = 1 THEN value END)) END
  FROM (SELECT e.timestamp AS ts, ${ORDER_VALUE} AS value, row_number() OVER (ORDER BY e.timestamp, e.seq) AS rn
    FROM profiles so CROSS JOIN events e ON e.profile_id = so.id
    WHERE so.workspace_id = ?1 AND so.canonical_id = ${profileSql} AND +e.workspace_id = ?1
      AND e.type = 'track' AND e.event = ${orderEventSql} AND e.timestamp <= ${asOfSql}))`;

/** The summary `personStatsColumn` read, as CustomerStats. */
export function toPersonStats(profileId: string, column: string | null): CustomerStats | null {
  if (column === null) return null;
  const [orders, firstAt, lastAt, total, firstValue] = JSON.parse(column) as number[];
  return { profileId, orders, firstAt, lastAt, total, firstValue };
}

interface StatsRow {
  profile_id: string;
  orders: number;
  first_at: number;
  last_at: number;
  total: number;
  first_value: number;
}

/**
 * Per-person order summaries (count, first and last time, total value, first order's value)
 * for every customer of the workspace, or only the given canonical profiles.
 *
 * @example
 * await loadCustomerStats(db, 'ws_1', 'Order Completed', Date.now())
 */
export async function loadCustomerStats(db: D1Database, workspaceId: string, orderEvent: string, asOf: number, profileIds?: readonly string[]): Promise<CustomerStats[]> {
  const scoped = profileIds !== undefined;
  if (scoped && profileIds.length === 0) return [];
  const sql = `SELECT cid AS profile_id, count(*) AS orders, min(ts) AS first_at, max(ts) AS last_at, total(value) AS total,
      total(CASE WHEN rn = 1 THEN value END) AS first_value
    FROM (${orders(scoped)}) GROUP BY cid`;
  const binds: unknown[] = [workspaceId, orderEvent, asOf];
  if (scoped) binds.push(JSON.stringify(profileIds));
  const { results } = await db.prepare(sql).bind(...binds).all<StatsRow>();
  return results.map((r) => ({ profileId: r.profile_id, orders: r.orders, firstAt: r.first_at, lastAt: r.last_at, total: r.total, firstValue: r.first_value }));
}

/** Repeat orders (each person's first order left out) per week, oldest first, the last week ending at asOf. */
export async function loadWeeklyRepeatOrders(db: D1Database, workspaceId: string, orderEvent: string, asOf: number, weeks: number): Promise<number[]> {
  const { results } = await db
    .prepare(`SELECT CAST((?3 - ts) / ${WEEK_MS} AS INTEGER) AS ago, count(*) AS n FROM (${orders(false)})
      WHERE rn > 1 AND ts > ?3 - ${weeks * WEEK_MS} GROUP BY ago`)
    .bind(workspaceId, orderEvent, asOf)
    .all<{ ago: number; n: number }>();
  const counts = new Array<number>(weeks).fill(0);
  for (const r of results) if (r.ago >= 0 && r.ago < weeks) counts[weeks - 1 - r.ago] = r.n;
  return counts;
}

export interface StoredModel {
  model: PredictionModel;
  fitMs: number;
}

export const predictionModelStatement = (db: D1Database, workspaceId: string) =>
  db.prepare('SELECT model, fit_ms FROM prediction_models WHERE workspace_id = ?').bind(workspaceId);
export const toStoredModel = (rows: readonly unknown[]): StoredModel | null => {
  const row = rows[0] as { model: string; fit_ms: number } | undefined;
  return row ? { model: JSON.parse(row.model) as PredictionModel, fitMs: row.fit_ms } : null;
};

export async function getPredictionModel(db: D1Database, workspaceId: string): Promise<StoredModel | null> {
  return toStoredModel((await predictionModelStatement(db, workspaceId).all()).results);
}

/**
 * Workspaces (of those given, from the directory) whose model is missing or older than `olderThan`,
 * among those with any events of their order event. The directory lives in another database, so
 * each workspace's order event comes in as a parameter.
 */
export async function workspacesDueForFit(db: D1Database, workspaces: readonly Pick<Workspace, 'id' | 'settings'>[], olderThan: number): Promise<string[]> {
  if (workspaces.length === 0) return [];
  const given = workspaces.map((w) => [w.id, orderEventOf(w.settings)]);
  const { results } = await db
    .prepare(`SELECT json_extract(w.value, '$[0]') AS id FROM json_each(?2) w
      LEFT JOIN prediction_models m ON m.workspace_id = json_extract(w.value, '$[0]')
      WHERE (m.as_of IS NULL OR m.as_of < ?1)
        AND EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = json_extract(w.value, '$[0]') AND e.type = 'track'
          AND e.event = json_extract(w.value, '$[1]'))`)
    .bind(olderThan, JSON.stringify(given))
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

type PredictionRow = [string, number, number, number | null, number | null, number | null, number | null, number | null, number | null];
const rowOf = (profileId: string, p: Predictions): PredictionRow => [
  profileId,
  p.pAlive,
  p.churnRisk,
  p.expectedOrders30d,
  p.expectedOrders90d,
  p.expectedOrders365d,
  p.expectedOrderValue,
  p.ltv365d,
  p.ltvPercentile,
];

const insertRows = (db: D1Database, workspaceId: string, chunk: string, now: number) =>
  db
    .prepare(`INSERT OR REPLACE INTO profile_predictions (workspace_id, profile_id, p_alive, churn_risk, expected_orders_30d,
        expected_orders_90d, expected_orders_365d, expected_order_value, ltv_365d, ltv_percentile, updated_at)
      SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, ?3
      FROM json_each(?2)`)
    .bind(workspaceId, chunk, now);

/**
 * A new fit: the model and every customer's predictions replace the old ones in one atomic batch,
 * rows bound as JSON chunks (100k customers are a few dozen statements).
 */
export function saveFitStatements(
  db: D1Database,
  workspaceId: string,
  model: PredictionModel,
  fitMs: number,
  predictions: readonly { profileId: string; predictions: Predictions }[],
): D1PreparedStatement[] {
  return [
    db
      .prepare(`INSERT OR REPLACE INTO prediction_models (workspace_id, as_of, customers, order_event, model, fit_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`)
      .bind(workspaceId, model.asOf, model.customers, model.orderEvent, JSON.stringify(model), fitMs),
    db.prepare('DELETE FROM profile_predictions WHERE workspace_id = ?1').bind(workspaceId),
    ...jsonChunks(predictions.map((p) => rowOf(p.profileId, p.predictions)), 500_000).map((chunk) => insertRows(db, workspaceId, chunk, model.asOf)),
  ];
}

/**
 * Stored predictions of some people brought up to date: rows for those with orders replaced,
 * rows of the others (no orders, merged away, deleted) removed.
 */
export function refreshPredictionStatements(
  db: D1Database,
  workspaceId: string,
  profileIds: readonly string[],
  predictions: readonly { profileId: string; predictions: Predictions }[],
  now: number,
): D1PreparedStatement[] {
  const keep = new Set(predictions.map((p) => p.profileId));
  const gone = profileIds.filter((id) => !keep.has(id));
  const statements = jsonChunks(predictions.map((p) => rowOf(p.profileId, p.predictions)), 500_000).map((chunk) => insertRows(db, workspaceId, chunk, now));
  if (gone.length) {
    statements.push(db.prepare('DELETE FROM profile_predictions WHERE workspace_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2))').bind(workspaceId, JSON.stringify(gone)));
  }
  return statements;
}
