import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { badRequest, notFound } from '../http/errors';
import { iso } from '../segments/definition';
import { listDeliveries } from '../store/deliveries';
import {
  DESTINATION_EVENTS,
  deleteDestination,
  getDestination,
  insertDestinationStatement,
  listDestinations,
  type Destination,
  type DestinationEvent,
} from '../store/destinations';
import { listSegments } from '../store/segments';
import { storageCall } from '../store/storage-call';

/**
 * Webhook destinations for segment changes. Creating and deleting need a secret key with
 * `admin`; listing destinations and their deliveries needs `read`. The signing secret is
 * shown only masked after creation.
 */
export const destinationRoutes = new Hono<AppEnv>();

const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'];

destinationRoutes.post('/', requireSecretKey('admin'), async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 64 * 1024));
  const url = checkUrl(body.url);
  if (typeof body.secret !== 'string' || body.secret.length < 16 || body.secret.length > 200) {
    throw badRequest('invalid_field', 'secret must be a string of 16 to 200 characters', 'secret');
  }
  const events = body.events === undefined ? [...DESTINATION_EVENTS] : checkEvents(body.events);
  let segments: string[] | null = null;
  if (body.segments !== undefined && body.segments !== null) {
    if (!Array.isArray(body.segments) || body.segments.some((k) => typeof k !== 'string')) {
      throw badRequest('invalid_field', 'segments must be an array of segment keys', 'segments');
    }
    const known = new Set((await storageCall(() => listSegments(c.env.DB, c.var.workspaceId))).map((s) => s.key));
    const unknown = (body.segments as string[]).findIndex((k) => !known.has(k));
    if (unknown >= 0) throw badRequest('unknown_segment', `No segment with key "${body.segments[unknown]}"`, `segments[${unknown}]`);
    segments = [...new Set(body.segments as string[])];
  }
  const destination: Destination = { id: `dst_${nanoid(16)}`, url, secret: body.secret, segments, events, createdAt: Date.now() };
  await storageCall(() => insertDestinationStatement(c.env.DB, c.var.workspaceId, destination).run());
  return c.json(render(destination), 201);
});

destinationRoutes.get('/', requireSecretKey('read'), async (c) => {
  const list = await storageCall(() => listDestinations(c.env.DB, c.var.workspaceId));
  return c.json({ data: list.map(render) });
});

destinationRoutes.get('/:id', requireSecretKey('read'), async (c) => {
  const d = await storageCall(() => getDestination(c.env.DB, c.var.workspaceId, c.req.param('id')));
  if (!d) throw notFound('No such destination');
  return c.json(render(d));
});

destinationRoutes.delete('/:id', requireSecretKey('admin'), async (c) => {
  const existed = await storageCall(() => deleteDestination(c.env.DB, c.var.workspaceId, c.req.param('id')));
  if (!existed) throw notFound('No such destination');
  return c.body(null, 204);
});

/** Deliveries of one destination, newest first: `?status=pending|delivered|dead&limit=&cursor=`. */
destinationRoutes.get('/:id/deliveries', requireSecretKey('read'), async (c) => {
  const db = c.env.DB;
  const ws = c.var.workspaceId;
  const id = c.req.param('id');
  if (!(await storageCall(() => getDestination(db, ws, id)))) throw notFound('No such destination');
  const status = c.req.query('status');
  if (status !== undefined && !DELIVERY_STATUSES.includes(status)) {
    throw badRequest('invalid_query', `status must be one of ${DELIVERY_STATUSES.join(', ')}`, 'status');
  }
  const limitText = c.req.query('limit') ?? '50';
  const cursorText = c.req.query('cursor');
  if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 500) {
    throw badRequest('invalid_query', 'limit must be an integer from 1 to 500', 'limit');
  }
  if (cursorText !== undefined && !/^\d{1,15}$/.test(cursorText)) throw badRequest('invalid_query', 'cursor is not valid', 'cursor');
  const limit = Number(limitText);
  const rows = await storageCall(() =>
    listDeliveries(db, ws, id, { limit: limit + 1, before: cursorText === undefined ? undefined : Number(cursorText), status }),
  );
  const hasMore = rows.length > limit;
  const data = rows.slice(0, limit).map((r) => ({
    ...r,
    nextAttemptAt: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
    lastAttemptAt: r.lastAttemptAt === null ? null : iso(r.lastAttemptAt),
    createdAt: iso(r.createdAt),
    deliveredAt: r.deliveredAt === null ? null : iso(r.deliveredAt),
  }));
  return c.json({ data, cursor: { next: hasMore ? String(data[data.length - 1].id) : null, hasMore } });
});

function checkUrl(v: unknown): string {
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    throw badRequest('invalid_field', 'url must be an absolute http(s) URL', 'url');
  }
  if (typeof v !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:') || v.length > 2000) {
    throw badRequest('invalid_field', 'url must be an absolute http(s) URL', 'url');
  }
  return url.toString();
}

function checkEvents(v: unknown): DestinationEvent[] {
  const allowed = DESTINATION_EVENTS as readonly string[];
  if (!Array.isArray(v) || v.length === 0 || v.some((e) => !allowed.includes(e))) {
    throw badRequest('invalid_field', `events must be a non-empty array of ${DESTINATION_EVENTS.join(', ')}`, 'events');
  }
  return [...new Set(v as DestinationEvent[])];
}

function render(d: Destination) {
  return {
    id: d.id,
    url: d.url,
    secret: `${d.secret.slice(0, 4)}${'•'.repeat(8)}`,
    segments: d.segments,
    events: d.events,
    createdAt: iso(d.createdAt),
  };
}
