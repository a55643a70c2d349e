import { encodeCursor, profileJson } from '../identity/profile-view';
import { personPredictions } from '../predictions/service';
import type { ProfileSelector, ProfileView, TimelineEvent } from '../store/profiles';
import type { Keep } from './view-tables';

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
  return pageText(page.map(eventLine).join(','), hasMore && last ? encodeCursor(last) : null);
}

/**
 * One event as a timeline page shows it (its time as ISO 8601, last): the unit the read store
 * keeps pages in (page.ts), so a stored page answers without parsing and serialising its events.
 *
 * @example
 * eventLine({ messageId: 'm1', type: 'track', event: 'Viewed', name: null, timestamp: 0, properties: null, traits: null, context: null })
 * // -> '{"messageId":"m1","type":"track","event":"Viewed","name":null,"properties":null,"traits":null,"context":null,"timestamp":"1970-01-01T00:00:00.000Z"}'
 */
export const eventLine = ({ timestamp, ...e }: TimelineEvent): string => JSON.stringify({ ...e, timestamp: new Date(timestamp).toISOString() });

/**
 * A page's body around its events, already serialised and joined with commas: what
 * `JSON.stringify({ data, cursor })` gives, without serialising the events again. `next`: the
 * cursor of the page after (null: this is the last page).
 */
export function pageText(events: string, next: string | null): string {
  return PAGE_HEAD + events + pageTail(next);
}

/** What a page's body holds before its events, and after them (`pageText`'s two halves). */
export const PAGE_HEAD = '{"data":[';
export const pageTail = (next: string | null) => `],"cursor":${JSON.stringify({ next, hasMore: next !== null })}}`;

/** The cursor after an event given as its line (`eventLine`): what `encodeCursor` gives for the event. */
export function cursorOfLine(line: string): string {
  const { timestamp, messageId } = JSON.parse(line) as { timestamp: string; messageId: string };
  return encodeCursor({ timestamp: Date.parse(timestamp), messageId });
}

/** The key of a ref in the store: `id\0{profile id}` or `{type}\0{value}`. */
export const refOf = (s: ProfileSelector) => (s.kind === 'id' ? `id\u0000${s.id}` : `${s.id.type}\u0000${s.id.value}`);

/** The refs a view shows: its identifiers and its profile ids (the canonical one, and those of its tree when known). */
export const viewRefs = (view: ProfileView, treeIds: readonly string[] = [view.state.id]) => [
  ...treeIds.map((id) => `id\u0000${id}`),
  ...view.identities.map((i) => `${i.type}\u0000${i.value}`),
];

/** A profile slot as stored: the text when it does not move with the clock, else the view without its model. */
export function wholeKeep(view: ProfileView, body: string, refs: string[]): Keep {
  const profile = timeless(view) ? { text: body, timeless: true } : { text: JSON.stringify({ ...view, model: undefined }), timeless: false };
  return { id: view.state.id, profile, refs, whole: true };
}
