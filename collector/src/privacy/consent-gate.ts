import type { JsonObject } from '../../../sdk/src/contract';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether an event may be stored when the workspace requires consent `category`: only when the
 * event itself carries `context.consent.categoryPreferences[category] === true` (Segment's
 * consent object, which the SDK's `consent()` and Segment's consent-aware libraries attach to
 * every event). A missing object or category counts as not granted. Deciding per event means
 * a withdrawal takes effect from the very next event, and no stale profile state can let an
 * event through. Pure.
 *
 * @example
 * mayStore({ consent: { categoryPreferences: { Analytics: true } } }, 'Analytics') // -> true
 * mayStore({ consent: { categoryPreferences: { Analytics: false } } }, 'Analytics') // -> false
 * mayStore({}, 'Analytics') // -> false
 */
export function mayStore(context: JsonObject | null | undefined, category: string): boolean {
  const consent = context?.consent;
  return isObject(consent) && isObject(consent.categoryPreferences) && consent.categoryPreferences[category] === true;
}
