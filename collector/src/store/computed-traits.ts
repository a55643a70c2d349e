import { emptyValueOf, type Aggregate, type ComputedTraitDefinition } from '../computed-traits/definition';
import { jsonPath } from '../segments/compile';

const DAY_MS = 86_400_000;

export interface StoredComputedTrait extends ComputedTraitDefinition {
  createdAt: number;
  computedAt: number | null;
}

interface TraitRow {
  key: string;
  name: string;
  aggregate: string;
  event: string;
  property: string | null;
  window_days: number | null;
  created_at: number;
  computed_at: number | null;
}

const toTrait = (r: TraitRow): StoredComputedTrait => ({
  key: r.key,
  name: r.name,
  aggregate: r.aggregate as Aggregate,
  event: r.event,
  property: r.property,
  windowDays: r.window_days,
  createdAt: r.created_at,
  computedAt: r.computed_at,
});

const COLUMNS = 'key, name, aggregate, event, property, window_days, created_at, computed_at';

export const listComputedTraitsStatement = (db: D1Database, workspaceId: string) =>
  db.prepare(`SELECT ${COLUMNS} FROM computed_traits WHERE workspace_id = ? ORDER BY key`).bind(workspaceId);
export const toComputedTraits = (rows: readonly unknown[]) => (rows as TraitRow[]).map(toTrait);

export async function listComputedTraits(db: D1Database, workspaceId: string): Promise<StoredComputedTrait[]> {
  return toComputedTraits((await listComputedTraitsStatement(db, workspaceId).all()).results);
}

export async function getComputedTrait(db: D1Database, workspaceId: string, key: string): Promise<StoredComputedTrait | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM computed_traits WHERE workspace_id = ? AND key = ?`).bind(workspaceId, key).first<TraitRow>();
  return row ? toTrait(row) : null;
}

export function insertComputedTraitStatement(db: D1Database, workspaceId: string, d: ComputedTraitDefinition, now: number): D1PreparedStatement {
  const empty = emptyValueOf(d.aggregate);
  return db
    .prepare(`INSERT INTO computed_traits (workspace_id, key, name, aggregate, event, property, window_days, empty_value, created_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`)
    .bind(workspaceId, d.key, d.name, d.aggregate, d.event, d.property, d.windowDays, empty === null ? null : JSON.stringify(empty), now);
}

export function deleteComputedTraitStatements(db: D1Database, workspaceId: string, key: string): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM computed_trait_values WHERE workspace_id = ? AND trait_key = ?').bind(workspaceId, key),
    db.prepare('DELETE FROM computed_traits WHERE workspace_id = ? AND key = ?').bind(workspaceId, key),
  ];
}

/** Number of people holding a value of the trait (count traits: people with at least one event). */
export async function computedTraitSizes(db: D1Database, workspaceId: string): Promise<Map<string, number>> {
  const { results } = await db
    .prepare('SELECT trait_key, count(*) AS n FROM computed_trait_values WHERE workspace_id = ? GROUP BY trait_key')
    .bind(workspaceId)
    .all<{ trait_key: string; n: number }>();
  return new Map(results.map((r) => [r.trait_key, r.n]));
}

/**
 * One aggregate per person over matching events, as (cid, value JSON text). Binds: ?1 workspace,
 * ?2 event name, ?3 window start or NULL, ?4 JSON path of the property, ?5 JSON array of
 * canonical ids when scoped.
 */
function aggregateSql(d: ComputedTraitDefinition, scoped: boolean): string {
  const from = scoped
    ? 'profiles p CROSS JOIN events e ON e.profile_id = p.id'
    : 'events e CROSS JOIN profiles p ON p.id = e.profile_id';
  const where = [
    scoped ? 'p.workspace_id = ?1 AND p.canonical_id IN (SELECT value FROM json_each(?5)) AND +e.workspace_id = ?1' : 'e.workspace_id = ?1 AND p.workspace_id = ?1',
    d.event === '*' ? '?2 = ?2' : 'e.event = ?2',
    '(?3 IS NULL OR e.timestamp >= ?3)',
  ];
  // Events without the property (or with null) do not take part, except in a plain count.
  if (d.property !== null) where.push(`coalesce(json_type(e.properties, ?4), 'null') <> 'null'`);
  else where.push('?4 IS NULL');
  const base = `FROM ${from} WHERE ${where.join(' AND ')}`;
  const num = `CASE WHEN json_type(e.properties, ?4) IN ('integer', 'real') THEN json_extract(e.properties, ?4) END`;
  switch (d.aggregate) {
    case 'count':
      return `SELECT p.canonical_id AS cid, json_quote(count(*)) AS value ${base} GROUP BY p.canonical_id`;
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return `SELECT p.canonical_id AS cid, json_quote(${d.aggregate}(${num})) AS value ${base} GROUP BY p.canonical_id HAVING count(${num}) > 0`;
    case 'distinctCount':
      return `SELECT p.canonical_id AS cid, json_quote(count(DISTINCT e.properties -> ?4)) AS value ${base} GROUP BY p.canonical_id`;
    case 'first':
    case 'last':
      return `SELECT cid, value FROM (SELECT p.canonical_id AS cid, e.properties -> ?4 AS value,
          row_number() OVER (PARTITION BY p.canonical_id ORDER BY e.timestamp ${d.aggregate === 'first' ? 'ASC' : 'DESC'}, e.seq ${d.aggregate === 'first' ? 'ASC' : 'DESC'}) AS rn
        ${base}) WHERE rn = 1`;
    case 'mostFrequent':
      // Ties go to the value seen most recently.
      return `SELECT cid, value FROM (SELECT p.canonical_id AS cid, e.properties -> ?4 AS value,
          row_number() OVER (PARTITION BY p.canonical_id ORDER BY count(*) DESC, max(e.timestamp) DESC) AS rn
        ${base} GROUP BY p.canonical_id, e.properties -> ?4) WHERE rn = 1`;
  }
}

/**
 * Recomputes a trait's values: for everyone (backfill, window expiry) or only for the given
 * canonical profiles (after ingest). Ids in `profileIds` that are no longer canonical (merged
 * away, deleted) simply lose their rows.
 *
 * @example
 * await db.batch(computeTraitStatements(db, 'ws_1', definition, Date.now()))
 */
export function computeTraitStatements(
  db: D1Database,
  workspaceId: string,
  d: ComputedTraitDefinition,
  now: number,
  profileIds?: readonly string[],
  { returning = false }: { returning?: boolean } = {},
): D1PreparedStatement[] {
  const scoped = profileIds !== undefined;
  const since = d.windowDays === null ? null : Math.round(now - d.windowDays * DAY_MS);
  const path = d.property === null ? null : jsonPath([d.property]);
  const ids = scoped ? JSON.stringify(profileIds) : null;
  const del = scoped
    ? db.prepare('DELETE FROM computed_trait_values WHERE workspace_id = ?1 AND trait_key = ?2 AND profile_id IN (SELECT value FROM json_each(?3))').bind(workspaceId, d.key, ids)
    : db.prepare('DELETE FROM computed_trait_values WHERE workspace_id = ?1 AND trait_key = ?2').bind(workspaceId, d.key);
  const binds: unknown[] = [workspaceId, d.event, since, path];
  if (scoped) binds.push(ids);
  binds.push(d.key, now);
  const k = scoped ? 6 : 5;
  const insert = db
    .prepare(`INSERT INTO computed_trait_values (workspace_id, trait_key, profile_id, value, updated_at)
      SELECT ?1, ?${k}, cid, value, ?${k + 1} FROM (${aggregateSql(d, scoped)}) WHERE value IS NOT NULL${returning ? ' RETURNING profile_id, value' : ''}`)
    .bind(...binds);
  const stamp = db.prepare('UPDATE computed_traits SET computed_at = ?3 WHERE workspace_id = ?1 AND key = ?2').bind(workspaceId, d.key, now);
  return scoped ? [del, insert] : [del, insert, stamp];
}

/** A profile's value of a computed trait, as stored (JSON text). */
export type TraitValue = { profile_id: string; value: string };

/**
 * Recomputes a trait for everyone (as `computeTraitStatements`), in one D1 batch that also says
 * whose value changed: the values before, then the insert returning the values after.
 *
 * @example
 * const [before, , after] = await db.batch(recomputeTraitStatements(db, 'ws_1', definition, Date.now()));
 * changedProfiles(before.results, after.results) // -> ['prof_a']
 */
export function recomputeTraitStatements(db: D1Database, workspaceId: string, d: ComputedTraitDefinition, now: number): D1PreparedStatement[] {
  const before = db.prepare('SELECT profile_id, value FROM computed_trait_values WHERE workspace_id = ?1 AND trait_key = ?2').bind(workspaceId, d.key);
  return [before, ...computeTraitStatements(db, workspaceId, d, now, undefined, { returning: true })];
}

/** A profile's computed traits as `{key: value}`; people without matching events get the empty value. */
/**
 * SQL for one profile's computed traits as a JSON object (key order), every defined trait present
 * (its empty value when the person has none), for a column of the profile read's one statement.
 */
export const computedTraitsColumn = (profileSql: string) => `(SELECT json_group_object(x.key, json(x.value)) FROM (
    SELECT t.key, coalesce(v.value, t.empty_value) AS value FROM computed_traits t
    LEFT JOIN computed_trait_values v ON v.workspace_id = t.workspace_id AND v.trait_key = t.key AND v.profile_id = ${profileSql}
    WHERE t.workspace_id = ?1 ORDER BY t.key) x)`;

/** Workspaces with windowed computed traits (the cron recomputes them as windows move). */
export async function workspacesWithWindowedTraits(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare('SELECT DISTINCT workspace_id FROM computed_traits WHERE window_days IS NOT NULL').all<{ workspace_id: string }>();
  return results.map((r) => r.workspace_id);
}
