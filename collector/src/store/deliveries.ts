import type { DestinationKind } from '../destinations/kinds';
import type { DeliveryState } from '../webhooks/retry-policy';
import type { Identity } from './members';

/** Everything one attempt needs: where to send, the secret, and the change with its profile. */
export interface DueDelivery {
  id: number;
  attempts: number;
  workspaceId: string;
  destinationId: string;
  /** `segments` (signed webhook) or `whatsapp` (a template message on entry). */
  destinationKind: DestinationKind;
  /** WhatsApp: phone number id, token, template, language. */
  config: Record<string, string> | null;
  url: string;
  secret: string;
  changeId: number;
  kind: 'entered' | 'exited';
  segmentKey: string;
  segmentName: string | null;
  profileId: string;
  reason: string | null;
  mergedInto: string | null;
  occurredAt: number;
  traits: Record<string, unknown>;
  identities: Identity[];
}

interface DueRow {
  id: number;
  attempts: number;
  workspace_id: string;
  destination_id: string;
  destination_kind: DestinationKind;
  config: string | null;
  url: string;
  secret: string;
  change_id: number;
  kind: 'entered' | 'exited';
  segment_key: string;
  segment_name: string | null;
  profile_id: string;
  reason: string | null;
  merged_into: string | null;
  occurred_at: number;
  traits: string | null;
  identities: string | null;
}

/**
 * Claims up to `limit` due deliveries by pushing their next attempt `leaseMs` ahead in one
 * UPDATE, so two drains running at once (cron and an ingest's waitUntil) never send the same
 * delivery twice. A delivery waits while an earlier one for the same destination, segment and
 * profile is still pending: a receiver never sees an exit before the entry it closes.
 */
export async function claimDueDeliveries(
  db: D1Database,
  opts: { now: number; limit: number; leaseMs: number; workspaceId?: string; skipWorkspaces?: readonly string[] },
): Promise<number[]> {
  const { results } = await db
    .prepare(
      `UPDATE webhook_deliveries SET next_attempt_at = ?2
       WHERE id IN (
         SELECT d.id FROM webhook_deliveries d
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND (?4 IS NULL OR d.workspace_id = ?4)
           AND d.workspace_id NOT IN (SELECT value FROM json_each(?5))
           AND NOT EXISTS (
             SELECT 1 FROM webhook_deliveries o
             WHERE o.destination_id = d.destination_id AND o.segment_key = d.segment_key
               AND o.profile_id = d.profile_id AND o.status = 'pending' AND o.id < d.id)
         ORDER BY d.next_attempt_at, d.id LIMIT ?3)
       RETURNING id`,
    )
    .bind(opts.now, opts.now + opts.leaseMs, opts.limit, opts.workspaceId ?? null, JSON.stringify(opts.skipWorkspaces ?? []))
    .all<{ id: number }>();
  return results.map((r) => r.id).sort((a, b) => a - b);
}

/** The claimed deliveries with their destination, change, segment name and the person's data now. */
export async function loadDeliveries(db: D1Database, ids: readonly number[]): Promise<DueDelivery[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT d.id, d.attempts, d.workspace_id, d.destination_id, dst.kind AS destination_kind, dst.config, dst.url, dst.secret,
         c.id AS change_id, c.kind,
         c.segment_key, s.name AS segment_name, c.profile_id, c.reason, c.merged_into, c.occurred_at, pr.traits,
         (SELECT json_group_array(json_object('type', i.type, 'value', i.value))
            FROM profiles ip JOIN identities i ON i.profile_id = ip.id
            WHERE ip.workspace_id = c.workspace_id AND ip.canonical_id = coalesce(pr.canonical_id, c.profile_id)) AS identities
       FROM webhook_deliveries d
       JOIN destinations dst ON dst.id = d.destination_id
       JOIN segment_changes c ON c.id = d.change_id
       LEFT JOIN segments s ON s.workspace_id = c.workspace_id AND s.key = c.segment_key
       LEFT JOIN profiles pr ON pr.id = c.profile_id
       WHERE d.id IN (SELECT value FROM json_each(?1))
       ORDER BY d.id`,
    )
    .bind(JSON.stringify(ids))
    .all<DueRow>();
  return results.map((r) => ({
    id: r.id,
    attempts: r.attempts,
    workspaceId: r.workspace_id,
    destinationId: r.destination_id,
    destinationKind: r.destination_kind,
    config: r.config === null ? null : (JSON.parse(r.config) as Record<string, string>),
    url: r.url,
    secret: r.secret,
    changeId: r.change_id,
    kind: r.kind,
    segmentKey: r.segment_key,
    segmentName: r.segment_name,
    profileId: r.profile_id,
    reason: r.reason,
    mergedInto: r.merged_into,
    occurredAt: r.occurred_at,
    traits: r.traits ? (JSON.parse(r.traits) as Record<string, unknown>) : {},
    identities: r.identities ? (JSON.parse(r.identities) as Identity[]) : [],
  }));
}

/** Writes the outcome of one attempt. */
export function recordAttemptStatement(
  db: D1Database,
  id: number,
  state: DeliveryState,
  attempt: { at: number; responseStatus: number | null; error: string | null },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = coalesce(?4, next_attempt_at),
         delivered_at = ?5, last_attempt_at = ?6, last_response_status = ?7, last_error = ?8
       WHERE id = ?1`,
    )
    .bind(
      id,
      state.status,
      state.attempts,
      state.status === 'pending' ? state.nextAttemptAt : null,
      state.status === 'delivered' ? state.deliveredAt : null,
      attempt.at,
      attempt.responseStatus,
      attempt.error,
    );
}

/** Where a delivery stands: the columns every outbox (segment changes, forwarded events) shares. */
export interface DeliveryProgress<S extends string = 'pending' | 'delivered' | 'dead'> {
  status: S;
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export type ProgressRow<S extends string = 'pending' | 'delivered' | 'dead'> = {
  status: S;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_response_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
};

/** The progress columns of an outbox row, camelCased. */
export const progressOf = <S extends string>(r: ProgressRow<S>): DeliveryProgress<S> => ({
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastResponseStatus: r.last_response_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

export interface DeliveryRecord extends DeliveryProgress {
  id: number;
  changeId: number;
  event: string;
  segmentKey: string;
  profileId: string;
}

type RecordRow = ProgressRow & {
  id: number;
  change_id: number;
  kind: string;
  segment_key: string;
  profile_id: string;
};

/** A destination's deliveries, newest first, paged by id (`before` is the last id seen). */
export async function listDeliveries(
  db: D1Database,
  workspaceId: string,
  destinationId: string,
  page: { limit: number; before?: number; status?: string },
): Promise<DeliveryRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.change_id, c.kind, d.segment_key, d.profile_id, d.status, d.attempts, d.next_attempt_at,
         d.last_attempt_at, d.last_response_status, d.last_error, d.created_at, d.delivered_at
       FROM webhook_deliveries d JOIN segment_changes c ON c.id = d.change_id
       WHERE d.workspace_id = ?1 AND d.destination_id = ?2 AND d.id < ?3 AND (?4 IS NULL OR d.status = ?4)
       ORDER BY d.id DESC LIMIT ?5`,
    )
    .bind(workspaceId, destinationId, page.before ?? Number.MAX_SAFE_INTEGER, page.status ?? null, page.limit)
    .all<RecordRow>();
  return results.map((r) => ({
    id: r.id,
    changeId: r.change_id,
    event: `segment.${r.kind}`,
    segmentKey: r.segment_key,
    profileId: r.profile_id,
    ...progressOf(r),
  }));
}

/**
 * History retention: finished deliveries (delivered or dead) older than `before`, and changes
 * older than `before` that no delivery refers to any more. Pending deliveries and their changes stay.
 */
export function pruneHistoryStatements(db: D1Database, before: number): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'dead') AND created_at < ?1").bind(before),
    db
      .prepare('DELETE FROM segment_changes WHERE occurred_at < ?1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.change_id = segment_changes.id)')
      .bind(before),
  ];
}
