import { encodeCursor, profileJson } from '../identity/profile-view';
import { personPredictions } from '../predictions/service';
import type { ProfileView, TimelineEvent } from '../store/profiles';

/**
 * The body of `GET /v1/profiles/{ref}`. Predictions and RFM are computed here, at answer time, from
 * the stored model and the person's orders: they move with the clock, so a kept view stays right.
 *
 * @example
 * profileBody(view, Date.now()) // -> '{"id":"prof_…","identities":[…],…,"computedTraits":{}}'
 */
export function profileBody(view: ProfileView, now: number): string {
  // predictions and rfm only for people with orders (and once a model is fitted).
  return JSON.stringify({ ...profileJson(view), ...(personPredictions(view.model, view.orders, now) ?? {}), computedTraits: view.computedTraits });
}

/** Whether the body of this view is the same at any time (no model, or no orders): it can be kept as text. */
export const timeless = (view: ProfileView): boolean => view.model === null || view.orders === null;

/**
 * The body of a timeline page: the first `limit` of `rows` (newest first; `rows` may hold one more,
 * which says there is a next page).
 *
 * @example
 * timelineBody(rows, 20) // -> '{"data":[…20 events…],"cursor":{"next":"WzE3…","hasMore":true}}'
 */
export function timelineBody(rows: readonly TimelineEvent[], limit: number): string {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const hasMore = rows.length > limit;
  return JSON.stringify({
    data: page.map(({ timestamp, ...e }) => ({ ...e, timestamp: new Date(timestamp).toISOString() })),
    cursor: { next: hasMore && last ? encodeCursor(last) : null, hasMore },
  });
}
