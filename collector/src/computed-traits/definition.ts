/**
 * Computed traits a marketer defines: an aggregate over a person's events of one name, optionally
 * of one property and within the last N days. This module checks a definition; the SQL lives in
 * store/computed-traits.ts.
 */
import { badRequest } from '../http/errors';
import { SEGMENT_KEY_PATTERN } from '../segments/validate';

export const AGGREGATES = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'mostFrequent', 'distinctCount'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface ComputedTraitDefinition {
  key: string;
  name: string;
  aggregate: Aggregate;
  /** An event name, or `*` for any stored message. */
  event: string;
  /** Required except for `count` (which then counts every matching event). */
  property: string | null;
  windowDays: number | null;
}

const FIELDS = ['key', 'name', 'aggregate', 'event', 'property', 'windowDays'];
const MAX_WINDOW_DAYS = 3650;
// SQLite JSON paths quote a key in double quotes with no escape: no quotes or backslashes in names.
const PROPERTY_PATTERN = /^[^"\\\u0000-\u001f]{1,200}$/;

/**
 * The definition in a request body, or a 400 naming the first bad field.
 *
 * @example
 * checkDefinition({ key: 'orders_90d', aggregate: 'count', event: 'Order Completed', windowDays: 90 })
 * // { key: 'orders_90d', name: 'orders_90d', aggregate: 'count', event: 'Order Completed', property: null, windowDays: 90 }
 */
export function checkDefinition(body: Record<string, unknown>): ComputedTraitDefinition {
  for (const field of Object.keys(body)) {
    if (!FIELDS.includes(field)) throw badRequest('invalid_field', `Unknown field; a computed trait has ${FIELDS.join(', ')}`, field);
  }
  const { key, name, aggregate, event, property, windowDays } = body;
  if (typeof key !== 'string' || !SEGMENT_KEY_PATTERN.test(key)) {
    throw badRequest('invalid_field', 'key must be 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit', 'key');
  }
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 200)) {
    throw badRequest('invalid_field', 'name must be a non-empty string of at most 200 characters', 'name');
  }
  if (typeof aggregate !== 'string' || !(AGGREGATES as readonly string[]).includes(aggregate)) {
    throw badRequest('invalid_field', `aggregate must be one of ${AGGREGATES.join(', ')}`, 'aggregate');
  }
  if (typeof event !== 'string' || event.length === 0 || event.length > 500) {
    throw badRequest('invalid_field', 'event must be an event name or "*"', 'event');
  }
  if (property !== undefined && property !== null && (typeof property !== 'string' || !PROPERTY_PATTERN.test(property))) {
    throw badRequest('invalid_field', 'property must be a property name (1-200 characters, no quotes or backslashes)', 'property');
  }
  if ((property === undefined || property === null) && aggregate !== 'count') {
    throw badRequest('invalid_field', `${aggregate} needs a property to aggregate`, 'property');
  }
  if (windowDays !== undefined && windowDays !== null && (typeof windowDays !== 'number' || !(windowDays > 0) || windowDays > MAX_WINDOW_DAYS)) {
    throw badRequest('invalid_field', `windowDays must be a number in (0, ${MAX_WINDOW_DAYS}]`, 'windowDays');
  }
  return {
    key,
    name: typeof name === 'string' ? name.trim() : key,
    aggregate: aggregate as Aggregate,
    event,
    property: typeof property === 'string' ? property : null,
    windowDays: typeof windowDays === 'number' ? windowDays : null,
  };
}

/** What a person without matching events has: counts are 0, everything else is absent. */
export const emptyValueOf = (aggregate: Aggregate): number | null => (aggregate === 'count' || aggregate === 'distinctCount' ? 0 : null);
