import type { StoredEvent } from '../ingest/normalise';
import type { DeliveryState } from '../webhooks/retry-policy';
import { progressOf, type DeliveryProgress, type ProgressRow } from './deliveries';
import { storedEventOf, type EventRow } from './person-data';

/** What the enqueue needs to know of an event just stored (the filter runs in SQL against each destination). */
export interface ForwardCandidate {
  messageId: string;
  profileId: string | null;
  type: string;
  event: string | null;
  /** Consent categories the event's `context.consent.categoryPreferences` grants (true). */
  granted: string[];
}

/**
 * One pending delivery per (event, event destination of the workspace whose filter and consent
 * category let it through). `INSERT OR IGNORE` on the (destination, messageId) key: an event
 * reaches a destination once, however often the hook runs for it. Meant to join the resolver's
 * write batch, so that the events and their outbox rows commit together. The destinations are the
 * outer loop (CROSS JOIN keeps SQLite to that order): a workspace without event destinations,
 * which every resolver batch of most workspaces is, never has its rows' JSON parsed.
 */
export function forwardingStatement(db: D1Database, workspaceId: string, events: readonly ForwardCandidate[], now: number): D1PreparedStatement {
  const rows = events.map((e) => [e.messageId, e.profileId, e.type, e.event, e.granted]);
  return db
    .prepare(
      `INSERT OR IGNORE INTO event_deliveries (workspace_id, destination_id, message_id, profile_id, next_attempt_at, created_at)
       SELECT ?1, d.id, v->>0, v->>1, ?3, ?3
       FROM destinations d CROSS JOIN (SELECT value AS v FROM json_each(?2))
       WHERE d.workspace_id = ?1 AND d.kind IN ('webhook', 'ga4', 'mixpanel', 'meta')
         AND (d.filter_types IS NULL OR EXISTS (SELECT 1 FROM json_each(d.filter_types) WHERE value = v->>2))
         AND (d.filter_events IS NULL OR v->>2 <> 'track' OR EXISTS (SELECT 1 FROM json_each(d.filter_events) WHERE value = v->>3))
         AND (d.consent_category IS NULL OR EXISTS (SELECT 1 FROM json_each(v->4) WHERE value = d.consent_category))`,
    )
    .bind(workspaceId, JSON.stringify(rows), now);
}

/**
 * Claims up to `limit` due deliveries of one destination by pushing their next attempt
 * `leaseMs` ahead in one UPDATE: two drains at once (cron and an ingest's waitUntil) never send
 * the same delivery twice.
 */
export async function claimEventDeliveries(
  db: D1Database,
  destinationId: string,
  opts: { now: number; limit: number; leaseMs: number },
): Promise<number[]> {
  const { results } = await db
    .prepare(
      `UPDATE event_deliveries SET next_attempt_at = ?3
       WHERE id IN (SELECT id FROM event_deliveries WHERE destination_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2
                    ORDER BY next_attempt_at, id LIMIT ?4)
       RETURNING id`,
    )
    .bind(destinationId, opts.now, opts.now + opts.leaseMs, opts.limit)
    .all<{ id: number }>();
  return results.map((r) => r.id).sort((a, b) => a - b);
}

/** A claimed delivery with its stored event (null when it was erased since) and the person's contact identities and traits. */
export interface ClaimedEvent {
  id: number;
  attempts: number;
  event: StoredEvent | null;
  identities: { type: string; value: string }[];
  traits: Record<string, unknown>;
}

type ClaimedRow = EventRow & { delivery_id: number; attempts: number; identities: string | null; person_traits: string | null };

/** The claimed deliveries, in id order; `withPerson` reads the person's email and phone (Meta needs them). */
export async function loadClaimedEvents(db: D1Database, ids: readonly number[], withPerson: boolean): Promise<ClaimedEvent[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT ed.id AS delivery_id, ed.attempts, e.*,
         CASE WHEN ?2 = 1 THEN (SELECT json_group_array(json_object('type', i.type, 'value', i.value))
            FROM profiles ip JOIN identities i ON i.profile_id = ip.id
            WHERE ip.workspace_id = ed.workspace_id AND ip.canonical_id = pr.canonical_id AND i.type IN ('email', 'phone')) END AS identities,
         CASE WHEN ?2 = 1 THEN cp.traits END AS person_traits
       FROM event_deliveries ed
       LEFT JOIN events e ON e.workspace_id = ed.workspace_id AND e.message_id = ed.message_id
       LEFT JOIN profiles pr ON pr.id = ed.profile_id
       LEFT JOIN profiles cp ON cp.id = pr.canonical_id
       WHERE ed.id IN (SELECT value FROM json_each(?1))
       ORDER BY ed.id`,
    )
    .bind(JSON.stringify(ids), withPerson ? 1 : 0)
    .all<ClaimedRow>();
  return results.map((r) => ({
    id: r.delivery_id,
    attempts: r.attempts,
    event: r.message_id === null ? null : storedEventOf(r),
    identities: r.identities ? (JSON.parse(r.identities) as ClaimedEvent['identities']) : [],
    traits: r.person_traits ? (JSON.parse(r.person_traits) as Record<string, unknown>) : {},
  }));
}


/** The outcome of one attempt, or `skipped` (nothing to send to this vendor), or a reason it was never sent. */
export type EventAttemptOutcome = {
  state: DeliveryState | { status: 'skipped'; attempts: number };
  at: number;
  responseStatus: number | null;
  error: string | null;
};

/**
 * Writes outcomes of attempts: deliveries with the same outcome (most often every event of one
 * call) share one UPDATE, so recording a call costs one statement, not one per event.
 */
export function recordEventAttemptsStatements(db: D1Database, outcomes: readonly { id: number; outcome: EventAttemptOutcome }[]): D1PreparedStatement[] {
  const groups = new Map<string, { outcome: EventAttemptOutcome; ids: number[] }>();
  for (const { id, outcome } of outcomes) {
    const key = JSON.stringify(outcome);
    const group = groups.get(key) ?? { outcome, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ outcome: { state, at, responseStatus, error }, ids }) =>
    db
      .prepare(
        `UPDATE event_deliveries SET status = ?2, attempts = ?3, next_attempt_at = coalesce(?4, next_attempt_at),
           delivered_at = ?5, last_attempt_at = ?6, last_response_status = ?7, last_error = ?8
         WHERE id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(
        JSON.stringify(ids),
        state.status,
        state.attempts,
        state.status === 'pending' ? state.nextAttemptAt : null,
        state.status === 'delivered' ? state.deliveredAt : null,
        at,
        responseStatus,
        error,
      ),
  );
}

/** Claimed deliveries that were not tried (their destination failed first): due again at `at`, no attempt counted. */
export function postponeEventDeliveriesStatement(db: D1Database, ids: readonly number[], at: number): D1PreparedStatement {
  return db.prepare('UPDATE event_deliveries SET next_attempt_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))').bind(JSON.stringify(ids), at);
}

export interface EventDeliveryRecord extends DeliveryProgress<EventDeliveryStatus> {
  id: number;
  messageId: string;
  profileId: string | null;
}

type EventDeliveryStatus = 'pending' | 'delivered' | 'dead' | 'skipped';
type RecordRow = ProgressRow<EventDeliveryStatus> & { id: number; message_id: string; profile_id: string | null };

/** An event destination's deliveries, newest first, paged by id (`before` is the last id seen). */
export async function listEventDeliveries(
  db: D1Database,
  workspaceId: string,
  destinationId: string,
  page: { limit: number; before?: number; status?: string },
): Promise<EventDeliveryRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT id, message_id, profile_id, status, attempts, next_attempt_at, last_attempt_at, last_response_status, last_error,
         created_at, delivered_at
       FROM event_deliveries
       WHERE workspace_id = ?1 AND destination_id = ?2 AND id < ?3 AND (?4 IS NULL OR status = ?4)
       ORDER BY id DESC LIMIT ?5`,
    )
    .bind(workspaceId, destinationId, page.before ?? Number.MAX_SAFE_INTEGER, page.status ?? null, page.limit)
    .all<RecordRow>();
  return results.map((r) => ({ id: r.id, messageId: r.message_id, profileId: r.profile_id, ...progressOf(r) }));
}

/** Deliveries of each destination of a workspace per status, with the newest attempt's time: the console's health. */
export async function deliveryHealth(db: D1Database, workspaceId: string): Promise<Map<string, { counts: Record<string, number>; lastAttemptAt: number | null }>> {
  const { results } = await db
    .prepare(
      `SELECT destination_id, status, count(*) AS n, max(last_attempt_at) AS last_attempt_at
       FROM (SELECT destination_id, status, last_attempt_at FROM event_deliveries WHERE workspace_id = ?1
             UNION ALL SELECT destination_id, status, last_attempt_at FROM webhook_deliveries WHERE workspace_id = ?1)
       GROUP BY destination_id, status`,
    )
    .bind(workspaceId)
    .all<{ destination_id: string; status: string; n: number; last_attempt_at: number | null }>();
  const out = new Map<string, { counts: Record<string, number>; lastAttemptAt: number | null }>();
  for (const r of results) {
    const h = out.get(r.destination_id) ?? { counts: {}, lastAttemptAt: null };
    h.counts[r.status] = r.n;
    if (r.last_attempt_at !== null && r.last_attempt_at > (h.lastAttemptAt ?? 0)) h.lastAttemptAt = r.last_attempt_at;
    out.set(r.destination_id, h);
  }
  return out;
}

/** History retention: finished event deliveries older than `before` (pending ones stay). */
export function pruneEventDeliveriesStatement(db: D1Database, before: number): D1PreparedStatement {
  return db.prepare("DELETE FROM event_deliveries WHERE status IN ('delivered', 'dead', 'skipped') AND created_at < ?1").bind(before);
}
