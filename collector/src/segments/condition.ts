/**
 * The segment rule language: a JSON condition tree stored per segment. These types are the
 * shape a definition has after `validateCondition` accepted it; the compiler only sees these.
 */

export const COMPARE_OPS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'startsWith',
  'exists',
  'notExists',
] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

/** A point in time relative to the evaluation's "now". */
export interface DaysAgo {
  daysAgo: number;
}

export type Scalar = string | number | boolean;
export type CompareValue = Scalar | Scalar[] | DaysAgo;

export interface Comparison {
  op: CompareOp;
  value?: CompareValue;
}

export interface TraitCondition extends Comparison {
  trait: string;
}

export interface ComputedCondition extends Comparison {
  computed: string;
}

/** Per-person predictions of the latest model (store: profile_predictions). */
export const PREDICTION_FIELDS = {
  pAlive: 'p_alive',
  churnRisk: 'churn_risk',
  expectedOrders30d: 'expected_orders_30d',
  expectedOrders90d: 'expected_orders_90d',
  expectedOrders365d: 'expected_orders_365d',
  expectedOrderValue: 'expected_order_value',
  ltv365d: 'ltv_365d',
  ltvPercentile: 'ltv_percentile',
} as const;
export type PredictionField = keyof typeof PREDICTION_FIELDS;
export const isPredictionField = (name: string): name is PredictionField => Object.hasOwn(PREDICTION_FIELDS, name);

export interface PredictionCondition extends Comparison {
  prediction: PredictionField;
}

/** A marketer-defined computed trait (POST /v1/computed-traits), by key. */
export interface ComputedTraitCondition extends Comparison {
  computedTrait: string;
}

export interface PropertyFilter extends Comparison {
  property: string;
}

export type Within = { days: number } | { hours: number } | { from?: string; to?: string };

export interface CountFilter {
  gte?: number;
  lte?: number;
  eq?: number;
}

export interface EventCondition {
  /** An event name, or `*` for any stored message. */
  event: string;
  where?: PropertyFilter[];
  within?: Within;
  /** Defaults to at least once. */
  count?: CountFilter;
}

export interface AndCondition {
  and: Condition[];
}
export interface OrCondition {
  or: Condition[];
}
export interface NotCondition {
  not: Condition;
}
export interface SegmentRefCondition {
  segment: string;
}

export type Condition =
  | TraitCondition
  | ComputedCondition
  | PredictionCondition
  | ComputedTraitCondition
  | EventCondition
  | AndCondition
  | OrCondition
  | NotCondition
  | SegmentRefCondition;

/** Computed traits kept as profile columns; any other name is read from `profiles.computed` JSON. */
export const COMPUTED_COLUMNS = {
  eventCount: { sql: 'p.event_count', kind: 'number' },
  revenue: { sql: 'p.revenue', kind: 'number' },
  firstSeen: { sql: 'p.first_seen', kind: 'date' },
  lastSeen: { sql: 'p.last_seen', kind: 'date' },
} as const;
export type ComputedColumn = keyof typeof COMPUTED_COLUMNS;

export const isComputedColumn = (name: string): name is ComputedColumn => Object.hasOwn(COMPUTED_COLUMNS, name);

export const isDaysAgo = (v: unknown): v is DaysAgo =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'daysAgo' in v;

/** Keys of the segments a condition references, in order of appearance, without repeats. */
export function referencedSegments(condition: Condition): string[] {
  const found = new Set<string>();
  const walk = (c: Condition) => {
    if ('segment' in c) found.add(c.segment);
    else if ('and' in c) c.and.forEach(walk);
    else if ('or' in c) c.or.forEach(walk);
    else if ('not' in c) walk(c.not);
  };
  walk(condition);
  return [...found];
}

/** Whether membership can change with the clock alone (relative windows, `daysAgo`). */
export function isTimeRelative(condition: Condition): boolean {
  if ('and' in condition) return condition.and.some(isTimeRelative);
  if ('or' in condition) return condition.or.some(isTimeRelative);
  if ('not' in condition) return isTimeRelative(condition.not);
  if ('event' in condition) {
    const w = condition.within;
    const relativeWindow = !!w && ('days' in w || 'hours' in w);
    return relativeWindow || (condition.where ?? []).some((f) => isDaysAgo(f.value));
  }
  if ('trait' in condition || 'computed' in condition) return isDaysAgo(condition.value);
  // Predictions and computed traits move with the clock too, but through their own refresh
  // (daily refit, windowed traits in the cron), which re-evaluates the segments that use them.
  return false;
}

/** Whether a condition reads predictions or these computed traits (so a refresh of them re-evaluates it). */
export function readsDerivedTraits(condition: Condition, traitKeys?: ReadonlySet<string>): boolean {
  if ('and' in condition) return condition.and.some((c) => readsDerivedTraits(c, traitKeys));
  if ('or' in condition) return condition.or.some((c) => readsDerivedTraits(c, traitKeys));
  if ('not' in condition) return readsDerivedTraits(condition.not, traitKeys);
  if ('prediction' in condition) return !traitKeys;
  if ('computedTrait' in condition) return !traitKeys || traitKeys.has(condition.computedTrait);
  return false;
}
