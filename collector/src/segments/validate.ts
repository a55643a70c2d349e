import {
  COMPARE_OPS,
  COMPUTED_COLUMNS,
  isComputedColumn,
  isDaysAgo,
  isPredictionField,
  PREDICTION_FIELDS,
  type CompareOp,
  type Comparison,
  type Condition,
  type CountFilter,
  type PropertyFilter,
  type Within,
} from './condition';

export type Validated = { ok: true; condition: Condition } | { ok: false; path: string; message: string };

// Limits keep one condition within D1's 100 bound parameters and 100 KB of SQL per statement.
const MAX_DEPTH = 12;
const MAX_NODES = 60;
const MAX_IN_VALUES = 500;
const MAX_STRING = 500;
const MAX_DAYS = 3650;
export const SEGMENT_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// SQLite JSON paths quote a key in double quotes and offer no escape for a quote inside it.
const NAME_PATTERN = /^[^"\\\u0000-\u001f]{1,200}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

class Invalid extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An ISO 8601 date or date-time, as the rule language accepts it; returns epoch ms or null. */
export function parseIsoDate(value: unknown): number | null {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Checks a segment condition and returns it typed, or the path of the first bad node
 * (`condition.and[1].where[0].op`) with what is wrong there.
 *
 * @example
 * validateCondition({ trait: 'plan', op: 'eq', value: 'pro' }) // { ok: true, condition: {...} }
 * validateCondition({ and: [{ trait: 'plan', op: 'like' }] }) // { ok: false, path: 'condition.and[0].op', ... }
 */
export function validateCondition(input: unknown, root = 'condition'): Validated {
  const budget = { nodes: 0 };
  try {
    return { ok: true, condition: checkNode(input, root, 0, budget) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, path: err.path, message: err.message };
    throw err;
  }
}

function checkNode(node: unknown, path: string, depth: number, budget: { nodes: number }): Condition {
  if (depth > MAX_DEPTH) throw new Invalid(path, `conditions nest at most ${MAX_DEPTH} levels deep`);
  if (++budget.nodes > MAX_NODES) throw new Invalid(path, `a segment holds at most ${MAX_NODES} conditions`);
  if (!isObject(node)) throw new Invalid(path, 'a condition must be a JSON object');
  const kinds = ['and', 'or', 'not', 'segment', 'event', 'trait', 'computed', 'prediction', 'computedTrait'].filter((k) => k in node);
  if (kinds.length !== 1) {
    throw new Invalid(path, 'a condition has exactly one of: trait, computed, prediction, computedTrait, event, and, or, not, segment');
  }
  const [kind] = kinds;
  if (kind === 'and' || kind === 'or') {
    onlyKeys(node, [kind], path);
    const list = node[kind];
    if (!Array.isArray(list) || list.length === 0) throw new Invalid(`${path}.${kind}`, `${kind} takes a non-empty array`);
    const children = list.map((child, i) => checkNode(child, `${path}.${kind}[${i}]`, depth + 1, budget));
    return kind === 'and' ? { and: children } : { or: children };
  }
  if (kind === 'not') {
    onlyKeys(node, ['not'], path);
    return { not: checkNode(node.not, `${path}.not`, depth + 1, budget) };
  }
  if (kind === 'segment') {
    onlyKeys(node, ['segment'], path);
    if (typeof node.segment !== 'string' || !SEGMENT_KEY_PATTERN.test(node.segment)) {
      throw new Invalid(`${path}.segment`, 'segment must be a segment key (a-z, 0-9, _ and -)');
    }
    return { segment: node.segment };
  }
  if (kind === 'event') return checkEvent(node, path);
  if (kind === 'prediction') {
    onlyKeys(node, ['prediction', 'op', 'value'], path);
    const field = node.prediction;
    if (typeof field !== 'string' || !isPredictionField(field)) {
      throw new Invalid(`${path}.prediction`, `prediction must be one of ${Object.keys(PREDICTION_FIELDS).join(', ')}`);
    }
    return { prediction: field, ...checkComparison(node, path, 'number') };
  }
  if (kind === 'computedTrait') {
    onlyKeys(node, ['computedTrait', 'op', 'value'], path);
    if (typeof node.computedTrait !== 'string' || !SEGMENT_KEY_PATTERN.test(node.computedTrait)) {
      throw new Invalid(`${path}.computedTrait`, 'computedTrait must be a computed trait key (a-z, 0-9, _ and -)');
    }
    return { computedTrait: node.computedTrait, ...checkComparison(node, path, 'any') };
  }
  if (kind === 'trait') {
    onlyKeys(node, ['trait', 'op', 'value'], path);
    const name = checkName(node.trait, `${path}.trait`);
    return { trait: name, ...checkComparison(node, path, 'any') };
  }
  onlyKeys(node, ['computed', 'op', 'value'], path);
  const name = checkName(node.computed, `${path}.computed`);
  const kindOfValue = isComputedColumn(name) ? COMPUTED_COLUMNS[name].kind : 'any';
  return { computed: name, ...checkComparison(node, path, kindOfValue) };
}

function checkEvent(node: Json, path: string): Condition {
  onlyKeys(node, ['event', 'where', 'within', 'count'], path);
  if (typeof node.event !== 'string' || node.event.length === 0 || node.event.length > MAX_STRING) {
    throw new Invalid(`${path}.event`, 'event must be an event name or "*"');
  }
  const out: { event: string; where?: PropertyFilter[]; within?: Within; count?: CountFilter } = { event: node.event };
  if (node.where !== undefined) {
    if (!Array.isArray(node.where)) throw new Invalid(`${path}.where`, 'where must be an array of property filters');
    out.where = node.where.map((f, i) => {
      const at = `${path}.where[${i}]`;
      if (!isObject(f)) throw new Invalid(at, 'a property filter must be an object');
      onlyKeys(f, ['property', 'op', 'value'], at);
      return { property: checkName(f.property, `${at}.property`), ...checkComparison(f, at, 'any') };
    });
  }
  if (node.within !== undefined) out.within = checkWithin(node.within, `${path}.within`);
  if (node.count !== undefined) out.count = checkCount(node.count, `${path}.count`);
  return out;
}

function checkWithin(w: unknown, path: string): Within {
  if (!isObject(w)) throw new Invalid(path, 'within must be {"days":N}, {"hours":N} or {"from","to"}');
  if ('days' in w || 'hours' in w) {
    const unit = 'days' in w ? 'days' : 'hours';
    onlyKeys(w, [unit], path);
    const n = w[unit];
    const max = unit === 'days' ? MAX_DAYS : MAX_DAYS * 24;
    if (typeof n !== 'number' || !(n > 0) || n > max) throw new Invalid(`${path}.${unit}`, `${unit} must be a number in (0, ${max}]`);
    return unit === 'days' ? { days: n } : { hours: n };
  }
  onlyKeys(w, ['from', 'to'], path);
  if (w.from === undefined && w.to === undefined) throw new Invalid(path, 'within needs days, hours, from or to');
  const from = w.from === undefined ? undefined : parseIsoDate(w.from);
  const to = w.to === undefined ? undefined : parseIsoDate(w.to);
  if (from === null) throw new Invalid(`${path}.from`, 'from must be an ISO 8601 date');
  if (to === null) throw new Invalid(`${path}.to`, 'to must be an ISO 8601 date');
  if (from !== undefined && to !== undefined && from > to) throw new Invalid(`${path}.to`, 'to must not be before from');
  return { ...(w.from !== undefined ? { from: w.from as string } : {}), ...(w.to !== undefined ? { to: w.to as string } : {}) };
}

function checkCount(c: unknown, path: string): CountFilter {
  if (!isObject(c)) throw new Invalid(path, 'count must be an object with gte, lte or eq');
  onlyKeys(c, ['gte', 'lte', 'eq'], path);
  const out: CountFilter = {};
  for (const k of ['gte', 'lte', 'eq'] as const) {
    if (c[k] === undefined) continue;
    const n = c[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Invalid(`${path}.${k}`, `${k} must be a non-negative integer`);
    out[k] = n;
  }
  if (Object.keys(out).length === 0) throw new Invalid(path, 'count needs gte, lte or eq');
  if (out.eq !== undefined && Object.keys(out).length > 1) throw new Invalid(`${path}.eq`, 'eq cannot be combined with gte or lte');
  if (out.gte !== undefined && out.lte !== undefined && out.gte > out.lte) throw new Invalid(`${path}.lte`, 'lte must be at least gte');
  return out;
}

/** `valueKind` narrows what a computed column can be compared with. */
function checkComparison(node: Json, path: string, valueKind: 'any' | 'number' | 'date'): Comparison {
  const op = node.op;
  if (typeof op !== 'string' || !(COMPARE_OPS as readonly string[]).includes(op)) {
    throw new Invalid(`${path}.op`, `op must be one of ${COMPARE_OPS.join(', ')}`);
  }
  const at = `${path}.value`;
  const value = node.value;
  const typedOp = op as CompareOp;
  if (typedOp === 'exists' || typedOp === 'notExists') {
    if (value !== undefined) throw new Invalid(at, `${op} takes no value`);
    return { op: typedOp };
  }
  if (value === undefined) throw new Invalid(at, `${op} needs a value`);
  if (valueKind !== 'any' && (typedOp === 'contains' || typedOp === 'startsWith')) {
    throw new Invalid(`${path}.op`, `${op} does not apply to a ${valueKind}`);
  }
  if (typedOp === 'in') {
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
      throw new Invalid(at, `in takes an array of 1 to ${MAX_IN_VALUES} values`);
    }
    value.forEach((v, i) => checkScalar(v, `${at}[${i}]`, valueKind));
    return { op: typedOp, value: value as (string | number | boolean)[] };
  }
  if (typedOp === 'contains' || typedOp === 'startsWith') {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STRING) throw new Invalid(at, `${op} takes a non-empty string`);
    return { op: typedOp, value };
  }
  if (isDaysAgo(value)) {
    onlyKeys(value as unknown as Json, ['daysAgo'], at);
    if (typeof value.daysAgo !== 'number' || !(value.daysAgo >= 0) || value.daysAgo > MAX_DAYS) {
      throw new Invalid(`${at}.daysAgo`, `daysAgo must be a number in [0, ${MAX_DAYS}]`);
    }
    if (valueKind === 'number') throw new Invalid(at, 'a number cannot be compared with a date');
    return { op: typedOp, value: { daysAgo: value.daysAgo } };
  }
  const ordered = typedOp === 'gt' || typedOp === 'gte' || typedOp === 'lt' || typedOp === 'lte';
  if (ordered && typeof value !== 'number' && parseIsoDate(value) === null) {
    throw new Invalid(at, `${op} compares with a number, an ISO 8601 date or {"daysAgo":N}`);
  }
  return { op: typedOp, value: checkScalar(value, at, valueKind) };
}

function checkScalar(v: unknown, path: string, valueKind: 'any' | 'number' | 'date'): string | number | boolean {
  if (valueKind === 'number' && typeof v !== 'number') throw new Invalid(path, 'must be a number');
  if (valueKind === 'date' && typeof v !== 'number' && parseIsoDate(v) === null) {
    throw new Invalid(path, 'must be an ISO 8601 date, epoch milliseconds or {"daysAgo":N}');
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Invalid(path, 'must be a finite number');
  if (typeof v === 'string' && v.length > MAX_STRING) throw new Invalid(path, `strings are at most ${MAX_STRING} characters`);
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new Invalid(path, 'must be a string, a number or a boolean');
  }
  return v;
}

function checkName(v: unknown, path: string): string {
  if (typeof v !== 'string' || !NAME_PATTERN.test(v)) {
    throw new Invalid(path, 'must be a name of 1-200 characters without quotes, backslashes or control characters');
  }
  return v;
}

function onlyKeys(node: Json, allowed: string[], path: string) {
  const extra = Object.keys(node).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new Invalid(`${path}.${extra}`, `unknown key "${extra}" (allowed: ${allowed.join(', ')})`);
}
