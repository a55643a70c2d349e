import { badRequest } from '../http/errors';
import type { Segment } from '../store/segments';
import { isTimeRelative, referencedSegments, type Condition } from './condition';
import { compileCondition } from './compile';
import { findCycle, segmentRefs, type SegmentNode } from './graph';
import { MAX_BOUND_PARAMS, Params } from './params';
import { SEGMENT_KEY_PATTERN, validateCondition } from './validate';

// The membership statement binds up to 3 values of its own besides the condition's.
const CONDITION_PARAM_BUDGET = MAX_BOUND_PARAMS - 3;

/**
 * A condition from a request body, checked all the way: shape (400 naming the bad node's path),
 * size once compiled (D1's parameter limit), referenced segments that exist, and no cycle
 * through `selfKey` when saving.
 *
 * @example
 * checkCondition(body.condition, others, 'cart_abandoners') // Condition, or throws a 400 ApiError
 */
export function checkCondition(input: unknown, others: readonly SegmentNode[], selfKey?: string): Condition {
  const checked = validateCondition(input);
  if (!checked.ok) throw badRequest('invalid_condition', `${checked.path}: ${checked.message}`, checked.path);
  const condition = checked.condition;
  const params = new Params();
  compileCondition(condition, params, 0);
  if (params.values.length > CONDITION_PARAM_BUDGET) {
    throw badRequest('condition_too_complex', `The condition needs ${params.values.length} values; at most ${CONDITION_PARAM_BUDGET} fit in one query`, 'condition');
  }
  const known = new Set(others.map((s) => s.key));
  for (const ref of segmentRefs(condition)) {
    if (ref.key === selfKey) throw badRequest('segment_cycle', `${ref.path}: a segment cannot reference itself`, ref.path);
    if (!known.has(ref.key)) throw badRequest('unknown_segment', `${ref.path}: no segment with key "${ref.key}"`, ref.path);
  }
  if (selfKey) {
    const cycle = findCycle(selfKey, referencedSegments(condition), others);
    if (cycle) throw badRequest('segment_cycle', `Segments would reference each other in a cycle: ${cycle.join(' -> ')}`, 'condition');
  }
  return condition;
}

export function checkKey(v: unknown): string {
  if (typeof v !== 'string' || !SEGMENT_KEY_PATTERN.test(v)) {
    throw badRequest('invalid_field', 'key must be 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit', 'key');
  }
  return v;
}

export function checkName(v: unknown): string {
  const name = typeof v === 'string' ? v.trim() : '';
  if (!name || name.length > 200) throw badRequest('invalid_field', 'name must be a non-empty string of at most 200 characters', 'name');
  return name;
}

/** A segment as the API shows it; times in ISO 8601. */
export function renderSegment(s: Segment, size: number) {
  return {
    key: s.key,
    name: s.name,
    condition: s.condition,
    size,
    dependsOn: s.dependsOn,
    timeRelative: s.timeRelative,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    evaluatedAt: s.evaluatedAt === null ? null : iso(s.evaluatedAt),
  };
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The stored form of a checked definition. */
export function segmentRecord(key: string, name: string, condition: Condition, createdAt: number, now: number) {
  return { key, name, condition, dependsOn: referencedSegments(condition), timeRelative: isTimeRelative(condition), createdAt, updatedAt: now };
}
