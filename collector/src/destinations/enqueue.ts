import type { StoredEvent } from '../ingest/normalise';
import { forwardingStatement, type ForwardCandidate } from '../store/event-deliveries';
import { drainEventDeliveries } from './drain-events';
import { isObject } from './outbound';

/** An event just stored, with the profile it resolved to. */
export type StoredWithProfile = Pick<StoredEvent, 'messageId' | 'type' | 'event' | 'context'> & { profileId?: string | null };

/**
 * Consent categories an event grants: `context.consent.categoryPreferences` entries that are `true`.
 *
 * @example
 * grantedCategories({ consent: { categoryPreferences: { Advertising: true, Analytics: false } } }) // ['Advertising']
 */
export function grantedCategories(context: StoredEvent['context']): string[] {
  const prefs = isObject(context.consent) ? context.consent.categoryPreferences : undefined;
  return isObject(prefs) ? Object.keys(prefs).filter((k) => prefs[k] === true) : [];
}

/**
 * The outbox statement for events just stored, or null when there are none: for the resolver,
 * which can add it to the write batch that stores the events (one transaction: at least once).
 *
 * @example
 * const statement = eventForwardingStatement(db, workspace.id, stored, now);
 * await db.batch([...writes, ...(statement ? [statement] : [])]);
 */
export function eventForwardingStatement(db: D1Database, workspaceId: string, events: readonly StoredWithProfile[], now: number): D1PreparedStatement | null {
  if (events.length === 0) return null;
  const candidates: ForwardCandidate[] = events.map((e) => ({
    messageId: e.messageId,
    profileId: e.profileId ?? null,
    type: e.type,
    event: e.event,
    granted: grantedCategories(e.context),
  }));
  return forwardingStatement(db, workspaceId, candidates, now);
}

/**
 * Queues events just stored (with their profile ids) for every event destination of the
 * workspace whose filter and consent category let them through. Returns how many deliveries
 * were queued; a messageId queued before for a destination is not queued again.
 *
 * @example
 * const queued = await enqueueEventForwarding(env.DB, workspace, outcome.storedEvents);
 * if (queued > 0) ctx.waitUntil(drainEventDeliveries(env.DB, { workspaceId: workspace.id }));
 */
export async function enqueueEventForwarding(
  db: D1Database,
  workspace: { id: string },
  storedEvents: readonly StoredWithProfile[],
  now = Date.now(),
): Promise<number> {
  const statement = eventForwardingStatement(db, workspace.id, storedEvents, now);
  if (!statement) return 0;
  const result = await statement.run();
  return result.meta.changes ?? 0;
}

/**
 * After the resolver stored a batch: when it queued deliveries for event destinations, drain
 * this workspace's destinations in the background (the cron drains whatever is left). Never
 * throws: the events and their outbox rows are already committed.
 *
 * @example
 * drainForwardedSoon(db, workspace.id, stored.forwarded, (p) => ctx.waitUntil(p));
 */
export function drainForwardedSoon(db: D1Database, workspaceId: string, queued: number, waitUntil?: (promise: Promise<unknown>) => void): void {
  if (queued === 0 || !waitUntil) return;
  waitUntil(drainEventDeliveries(db, { workspaceId, maxRounds: 10 }).catch((err) => console.error('event forwarding drain failed', workspaceId, err)));
}
