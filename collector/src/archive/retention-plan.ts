import type { Condition } from '../segments/condition';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** What retention may delete from D1: events older than `before`, except those named in `keep` (all when 'all'). */
export interface RetentionPlan {
  before: number;
  keep: string[] | 'all';
}

/** What the workspace's rules read of its events, for `retentionPlan`. */
export interface RetentionInput {
  now: number;
  hotDays: number;
  segments: readonly { condition: Condition }[];
  computedTraits: readonly { event: string; windowDays: number | null }[];
  /** The predictions' order event: the model reads every order of a person. */
  orderEvent: string | null;
}

/**
 * Which events retention may move out of D1 without changing what a rule computes. The hot window
 * is at least the longest window any segment event condition (`within` days, hours, or from a
 * date) or windowed computed trait uses. Rules with no window (all-time: a segment condition
 * without `within`, a computed trait without `windowDays`, the predictions' orders) keep every
 * event of the names they read in D1 whatever its age, and every event at all when one reads
 * any event (`*`): they are computed from D1, which then holds all they need.
 *
 * @example
 * retentionPlan({ now, hotDays: 30, segments: [{ condition: { event: 'Viewed', within: { days: 90 } } }], computedTraits: [{ event: 'Order Completed', windowDays: null }], orderEvent: null })
 * // -> { before: now - 90 days, keep: ['Order Completed'] }
 */
export function retentionPlan(input: RetentionInput): RetentionPlan {
  let before = input.now - input.hotDays * DAY_MS;
  const keep = new Set<string>();
  const allTime = (event: string) => keep.add(event);
  const windowFrom = (start: number) => (before = Math.min(before, start));
  const walk = (c: Condition): void => {
    if ('and' in c) return c.and.forEach(walk);
    if ('or' in c) return c.or.forEach(walk);
    if ('not' in c) return walk(c.not);
    if (!('event' in c)) return;
    const w = c.within;
    if (w && 'days' in w) windowFrom(input.now - w.days * DAY_MS);
    else if (w && 'hours' in w) windowFrom(input.now - w.hours * HOUR_MS);
    else if (w && w.from !== undefined && Number.isFinite(Date.parse(w.from))) windowFrom(Date.parse(w.from));
    else allTime(c.event);
  };
  for (const s of input.segments) walk(s.condition);
  for (const t of input.computedTraits) {
    if (t.windowDays === null) allTime(t.event);
    else windowFrom(input.now - t.windowDays * DAY_MS);
  }
  if (input.orderEvent !== null) allTime(input.orderEvent);
  return { before, keep: keep.has('*') ? 'all' : [...keep].sort() };
}
