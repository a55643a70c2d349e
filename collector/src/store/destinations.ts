export const DESTINATION_EVENTS = ['segment.entered', 'segment.exited'] as const;
export type DestinationEvent = (typeof DESTINATION_EVENTS)[number];

export interface Destination {
  id: string;
  url: string;
  secret: string;
  /** null: every segment of the workspace. */
  segments: string[] | null;
  events: DestinationEvent[];
  createdAt: number;
}

interface DestinationRow {
  id: string;
  url: string;
  secret: string;
  segments: string | null;
  events: string;
  created_at: number;
}

const COLUMNS = 'id, url, secret, segments, events, created_at';

const toDestination = (r: DestinationRow): Destination => ({
  id: r.id,
  url: r.url,
  secret: r.secret,
  segments: r.segments === null ? null : (JSON.parse(r.segments) as string[]),
  events: JSON.parse(r.events) as DestinationEvent[],
  createdAt: r.created_at,
});

export function insertDestinationStatement(db: D1Database, workspaceId: string, d: Destination): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO destinations (workspace_id, ${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`)
    .bind(workspaceId, d.id, d.url, d.secret, d.segments === null ? null : JSON.stringify(d.segments), JSON.stringify(d.events), d.createdAt);
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

/** Removes a destination and its delivery queue and history; returns whether it existed. */
export async function deleteDestination(db: D1Database, workspaceId: string, id: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare('DELETE FROM destinations WHERE workspace_id = ?1 AND id = ?2').bind(workspaceId, id),
    db.prepare('DELETE FROM webhook_deliveries WHERE workspace_id = ?1 AND destination_id = ?2').bind(workspaceId, id),
  ]);
  return deleted.meta.changes > 0;
}
