import {
  COMPUTED_COLUMNS,
  isComputedColumn,
  isDaysAgo,
  PREDICTION_FIELDS,
  type Comparison,
  type Condition,
  type EventCondition,
  type Scalar,
} from './condition';
import type { Params } from './params';
import { parseIsoDate } from './validate';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/**
 * What a comparison reads: a JSON document at a path (traits, computed, event properties)
 * or a profile column.
 */
type Operand = { json: string; path: string } | { column: string; kind: 'number' | 'date' };

/** A JSON path naming keys literally (`$."plan"`); the validator refuses quotes in names. */
export function jsonPath(keys: readonly string[]): string {
  return `$${keys.map((k) => `."${k}"`).join('')}`;
}

/**
 * How event conditions are written. `correlated` (default) looks up each candidate's events
 * through the profile index: best for a few profiles (real time). `set` computes, once, the
 * set of people whose events qualify (one pass over the workspace's events in the window) and
 * tests membership: best when every profile is a candidate (backfill, cron, preview).
 */
export type EventStrategy = { mode: 'correlated' } | { mode: 'set'; workspaceId: string };

/**
 * Compiles a validated condition into a SQL boolean expression over the canonical profile
 * row aliased `p`. Every value and name goes through `params`; only fixed SQL text and
 * placeholders end up in the string. Leaves never yield NULL, so `not` is a true complement.
 *
 * @example
 * const params = new Params();
 * compileCondition({ trait: 'plan', op: 'eq', value: 'pro' }, params, Date.now());
 * // "coalesce(json_extract(p.traits, ?1) = ?2, 0)", params.values = ['$."plan"', 'pro']
 */
export function compileCondition(condition: Condition, params: Params, now: number, events: EventStrategy = { mode: 'correlated' }): string {
  const child = (c: Condition) => compileCondition(c, params, now, events);
  if ('and' in condition) return `(${condition.and.map(child).join(' AND ')})`;
  if ('or' in condition) return `(${condition.or.map(child).join(' OR ')})`;
  if ('not' in condition) return `(NOT ${child(condition.not)})`;
  if ('segment' in condition) {
    return `EXISTS (SELECT 1 FROM segment_members sm WHERE sm.workspace_id = p.workspace_id AND sm.segment_key = ${params.add(condition.segment)} AND sm.profile_id = p.id)`;
  }
  if ('event' in condition) return events.mode === 'set' ? compileEventSet(condition, params, now, events.workspaceId) : compileEvent(condition, params, now);
  if ('trait' in condition) return compileComparison({ json: 'p.traits', path: jsonPath([condition.trait]) }, condition, params, now);
  if ('prediction' in condition) {
    // Column names come from the fixed PREDICTION_FIELDS table, never from input.
    const column = `(SELECT pp.${PREDICTION_FIELDS[condition.prediction]} FROM profile_predictions pp WHERE pp.workspace_id = p.workspace_id AND pp.profile_id = p.id)`;
    return compileComparison({ column, kind: 'number' }, condition, params, now);
  }
  if ('computedTrait' in condition) {
    // A person without matching events has the trait's empty value (0 for counts), not "missing".
    const key = params.add(condition.computedTrait);
    const doc = `coalesce((SELECT v.value FROM computed_trait_values v WHERE v.workspace_id = p.workspace_id AND v.trait_key = ${key} AND v.profile_id = p.id), (SELECT t.empty_value FROM computed_traits t WHERE t.workspace_id = p.workspace_id AND t.key = ${key}))`;
    return compileComparison({ json: doc, path: '$' }, condition, params, now);
  }
  const name = condition.computed;
  if (isComputedColumn(name)) return compileComparison({ column: COMPUTED_COLUMNS[name].sql, kind: COMPUTED_COLUMNS[name].kind }, condition, params, now);
  // Nested computed traits use a dot once: "eventCounts.Order Completed".
  const dot = name.indexOf('.');
  const keys = dot > 0 ? [name.slice(0, dot), name.slice(dot + 1)] : [name];
  return compileComparison({ json: 'p.computed', path: jsonPath(keys) }, condition, params, now);
}

/** The filters on `e` shared by both strategies: name, window, property filters. */
function eventFilters(c: EventCondition, params: Params, now: number): string[] {
  const where: string[] = [];
  if (c.event !== '*') where.push(`e.event = ${params.add(c.event)}`);
  const w = c.within;
  if (w && 'days' in w) where.push(`e.timestamp >= ${params.add(now - w.days * DAY_MS)}`);
  else if (w && 'hours' in w) where.push(`e.timestamp >= ${params.add(now - w.hours * HOUR_MS)}`);
  else if (w) {
    if (w.from !== undefined) where.push(`e.timestamp >= ${params.add(parseIsoDate(w.from)!)}`);
    if (w.to !== undefined) where.push(`e.timestamp <= ${params.add(parseIsoDate(w.to)!)}`);
  }
  for (const f of c.where ?? []) where.push(compileComparison({ json: 'e.properties', path: jsonPath([f.property]) }, f, params, now));
  return where;
}

function compileEvent(c: EventCondition, params: Params, now: number): string {
  const where = ['ep.workspace_id = p.workspace_id', 'ep.canonical_id = p.id', ...eventFilters(c, params, now)];
  const from = `FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ${where.join(' AND ')}`;
  const count = c.count;
  if (!count || (count.gte === 1 && count.lte === undefined)) return `EXISTS (SELECT 1 ${from})`;
  if (count.eq === 0 || (count.lte === 0 && !count.gte)) return `(NOT EXISTS (SELECT 1 ${from}))`;
  if (count.gte !== undefined && count.lte === undefined) {
    // Stops counting once the threshold is reached: "3+ orders" never scans a whole history.
    return `((SELECT count(*) FROM (SELECT 1 ${from} LIMIT ${params.add(count.gte)})) >= ${params.add(count.gte)})`;
  }
  const n = `(SELECT count(*) ${from})`;
  if (count.eq !== undefined) return `(${n} = ${params.add(count.eq)})`;
  const parts: string[] = [];
  if (count.gte) parts.push(`${n} >= ${params.add(count.gte)}`);
  if (count.lte !== undefined) parts.push(`${n} <= ${params.add(count.lte)}`);
  return `(${parts.join(' AND ')})`;
}

/**
 * Set strategy: `p.id IN (people with qualifying events)`, or NOT IN for "at most"/"never".
 * The subquery does not depend on `p`, so SQLite computes it once per statement.
 */
function compileEventSet(c: EventCondition, params: Params, now: number, workspaceId: string): string {
  const { gte, lte, eq } = c.count ?? {};
  // "0 or more times" holds for everyone; checked first so no unused value gets bound.
  if (gte === 0 && lte === undefined) return '1';
  const where = [`e.workspace_id = ${params.add(workspaceId)}`, ...eventFilters(c, params, now)];
  const people = `SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE ${where.join(' AND ')}`;
  const grouped = (having: string) => `${people} GROUP BY ep.canonical_id HAVING ${having}`;
  if (eq === 0 || (lte !== undefined && !gte)) {
    // "never" or "at most n": everyone except the people above the bound.
    return `(p.id NOT IN (${eq === 0 ? people : grouped(`count(*) > ${params.add(lte!)}`)}))`;
  }
  if (eq !== undefined) return `(p.id IN (${grouped(`count(*) = ${params.add(eq)}`)}))`;
  const low = gte ?? 1;
  if (lte !== undefined) return `(p.id IN (${grouped(`count(*) BETWEEN ${params.add(low)} AND ${params.add(lte)}`)}))`;
  if (low === 1) return `(p.id IN (${people}))`;
  return `(p.id IN (${grouped(`count(*) >= ${params.add(low)}`)}))`;
}

/** Epoch ms of a date value: ISO string, `{daysAgo}`, or epoch ms already. */
function toMs(value: unknown, now: number): number {
  if (isDaysAgo(value)) return Math.round(now - value.daysAgo * DAY_MS);
  if (typeof value === 'number') return value;
  return parseIsoDate(value)!;
}

const SQL_OPS = { eq: '=', neq: 'IS NOT', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function compileComparison(operand: Operand, cmp: Comparison, params: Params, now: number): string {
  return `coalesce(${comparisonExpr(operand, cmp, params, now)}, 0)`;
}

function comparisonExpr(operand: Operand, { op, value }: Comparison, params: Params, now: number): string {
  if ('column' in operand) {
    const col = operand.column;
    if (op === 'exists') return `${col} IS NOT NULL`;
    if (op === 'notExists') return `${col} IS NULL`;
    const asValue = (v: unknown) => (operand.kind === 'date' ? toMs(v, now) : (v as number));
    if (op === 'in') return `${col} IN (SELECT value FROM json_each(${params.add(JSON.stringify((value as Scalar[]).map(asValue)))}))`;
    return `${col} ${SQL_OPS[op as keyof typeof SQL_OPS]} ${params.add(asValue(value))}`;
  }
  const doc = operand.json;
  const path = params.add(operand.path);
  const type = `json_type(${doc}, ${path})`;
  const extracted = `json_extract(${doc}, ${path})`;
  switch (op) {
    case 'exists':
      return `coalesce(${type}, 'null') <> 'null'`;
    case 'notExists':
      return `coalesce(${type}, 'null') = 'null'`;
    case 'in':
      return `${extracted} IN (SELECT value FROM json_each(${params.add(JSON.stringify(value))}))`;
    case 'contains': {
      const v = params.add(value as string);
      return `(CASE ${type} WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(${doc}, ${path}) j WHERE j.value = ${v}) WHEN 'text' THEN instr(${extracted}, ${v}) > 0 ELSE 0 END)`;
    }
    case 'startsWith': {
      const v = params.add(value as string);
      return `(${type} = 'text' AND substr(${extracted}, 1, length(${v})) = ${v})`;
    }
  }
  const sqlOp = SQL_OPS[op];
  if (typeof value === 'boolean') {
    // JSON booleans come out of json_extract as 1/0; their JSON type tells them apart from numbers.
    return `${type} ${op === 'neq' ? 'IS NOT' : '='} ${params.add(value ? 'true' : 'false')}`;
  }
  const ordered = op !== 'eq' && op !== 'neq';
  if (isDaysAgo(value) || (ordered && typeof value === 'string')) {
    // A date: ISO text in the document, compared as epoch ms; anything that is not a date never matches.
    return `(${type} = 'text' AND CAST(unixepoch(${extracted}, 'subsec') * 1000 AS INTEGER) ${sqlOp} ${params.add(toMs(value, now))})`;
  }
  if (ordered) {
    // SQLite sorts any text above any number: without the type check "plan > 3" would match "pro".
    return `(${type} IN ('integer', 'real') AND ${extracted} ${sqlOp} ${params.add(value as number)})`;
  }
  return `${extracted} ${sqlOp} ${params.add(value as string | number)}`;
}
