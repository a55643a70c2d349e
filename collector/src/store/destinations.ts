import type { DestinationKind } from '../destinations/kinds';

export const DESTINATION_EVENTS = ['segment.entered', 'segment.exited'] as const;
export type DestinationEvent = (typeof DESTINATION_EVENTS)[number];

export interface Destination {
  id: string;
  /** `segments` for the segment webhooks that predate kinds. */
  kind: DestinationKind;
  url: string;
  secret: string;
  /** null: every segment of the workspace. */
  segments: string[] | null;
  events: DestinationEvent[];
  /** Vendor settings, secrets included (masked by every read of the API). */
  config: Record<string, string> | null;
  /** Event kinds: message types and track event names that pass; null lets everything through. */
  filterTypes: string[] | null;
  filterEvents: string[] | null;
  consentCategory: string | null;
  createdAt: number;
}

interface DestinationRow {
  id: string;
  kind: DestinationKind;
  url: string;
  secret: string;
  segments: string | null;
  events: string;
  config: string | null;
  filter_types: string | null;
  filter_events: string | null;
  consent_category: string | null;
  created_at: number;
}

const COLUMNS = 'id, kind, url, secret, segments, events, config, filter_types, filter_events, consent_category, created_at';

const parsedOrNull = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

const toDestination = (r: DestinationRow): Destination => ({
  id: r.id,
  kind: r.kind,
  url: r.url,
  secret: r.secret,
  segments: parsedOrNull<string[]>(r.segments),
  events: JSON.parse(r.events) as DestinationEvent[],
  config: parsedOrNull<Record<string, string>>(r.config),
  filterTypes: parsedOrNull<string[]>(r.filter_types),
  filterEvents: parsedOrNull<string[]>(r.filter_events),
  consentCategory: r.consent_category,
  createdAt: r.created_at,
});

export function insertDestinationStatement(db: D1Database, workspaceId: string, d: Destination): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO destinations (workspace_id, ${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`)
    .bind(
      workspaceId,
      d.id,
      d.kind,
      d.url,
      d.secret,
      jsonOrNull(d.segments),
      JSON.stringify(d.events),
      jsonOrNull(d.config),
      jsonOrNull(d.filterTypes),
      jsonOrNull(d.filterEvents),
      d.consentCategory,
      d.createdAt,
    );
}

export async function listDestinations(db: D1Database, workspaceId: string): Promise<Destination[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM destinations WHERE workspace_id = ?1 ORDER BY created_at, id`)
    .bind(workspaceId)
    .all<DestinationRow>();
  return results.map(toDestination);
}

export async function getDestination(db: D1Database, workspaceId: string, id: string): Promise<Destination | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM destinations WHERE workspace_id = ?1 AND id = ?2`)
    .bind(workspaceId, id)
    .first<DestinationRow>();
  return row ? toDestination(row) : null;
}

/** Removes a destination and its delivery queues and history; returns whether it existed. */
export async function deleteDestination(db: D1Database, workspaceId: string, id: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare('DELETE FROM destinations WHERE workspace_id = ?1 AND id = ?2').bind(workspaceId, id),
    db.prepare('DELETE FROM webhook_deliveries WHERE workspace_id = ?1 AND destination_id = ?2').bind(workspaceId, id),
    db.prepare('DELETE FROM event_deliveries WHERE workspace_id = ?1 AND destination_id = ?2').bind(workspaceId, id),
  ]);
  return deleted.meta.changes > 0;
}

/**
 * Event destinations with a delivery due, the longest-waiting first, as full rows (the drain
 * needs their config: one query for all of them).
 */
export async function dueEventDestinations(db: D1Database, opts: { now: number; limit: number; workspaceId?: string; skipWorkspaces?: readonly string[] }): Promise<Destination[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS}, (SELECT min(ed.next_attempt_at) FROM event_deliveries ed
           WHERE ed.destination_id = destinations.id AND ed.status = 'pending' AND ed.next_attempt_at <= ?1) AS due
       FROM destinations
       WHERE kind IN ('webhook', 'ga4', 'mixpanel', 'meta') AND (?2 IS NULL OR workspace_id = ?2) AND due IS NOT NULL
         AND workspace_id NOT IN (SELECT value FROM json_each(?4))
       ORDER BY due LIMIT ?3`,
    )
    .bind(opts.now, opts.workspaceId ?? null, opts.limit, JSON.stringify(opts.skipWorkspaces ?? []))
    .all<DestinationRow>();
  return results.map(toDestination);
}
