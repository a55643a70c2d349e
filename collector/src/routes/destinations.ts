import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { badRequest, notFound } from '../http/errors';
import { iso } from '../segments/definition';
import { listDeliveries } from '../store/deliveries';
import { SECRET_FIELDS, isEventKind, maskSecret } from '../destinations/kinds';
import { checkDestinationBody } from '../destinations/validate-config';
import { deleteDestination, getDestination, insertDestinationStatement, listDestinations, type Destination } from '../store/destinations';
import { deliveryHealth, listEventDeliveries } from '../store/event-deliveries';
import { listSegments } from '../store/segments';
import { storageCall } from '../store/storage-call';

/**
 * Destinations: signed webhooks of segment changes (`kind` absent or `segments`), event
 * forwarding (`webhook`, `ga4`, `mixpanel`, `meta`) and WhatsApp messages on segment entry
 * (`whatsapp`). Creating and deleting need a secret key with `admin`; listing destinations and
 * their deliveries needs `read`. Secrets are write-only: reads show them masked.
 */
export const destinationRoutes = new Hono<AppEnv>();

// `skipped`: an event a vendor has no use for (event destinations only).
const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'skipped'];

destinationRoutes.post('/', requireSecretKey('admin'), async (c) => {
  const spec = checkDestinationBody(parseJsonObject(await readBodyText(c.req.raw, 64 * 1024)));
  if (spec.segments !== null) {
    const known = new Set((await storageCall(() => listSegments(c.var.db, c.var.workspaceId))).map((s) => s.key));
    const unknown = spec.segments.findIndex((k) => !known.has(k));
    if (unknown >= 0) throw badRequest('unknown_segment', `No segment with key "${spec.segments[unknown]}"`, `segments[${unknown}]`);
  }
  const destination: Destination = { id: `dst_${nanoid(16)}`, ...spec, createdAt: Date.now() };
  await storageCall(() => insertDestinationStatement(c.var.db, c.var.workspaceId, destination).run());
  return c.json(render(destination), 201);
});

destinationRoutes.get('/', requireSecretKey('read'), async (c) => {
  const [list, health] = await storageCall(() => Promise.all([listDestinations(c.var.db, c.var.workspaceId), deliveryHealth(c.var.db, c.var.workspaceId)]));
  // Health: deliveries per status (last 30 days) and the newest attempt, for the console.
  const zero = { pending: 0, delivered: 0, dead: 0, skipped: 0 };
  return c.json({
    data: list.map((d) => {
      const h = health.get(d.id);
      return { ...render(d), health: { ...zero, ...h?.counts, lastAttemptAt: h?.lastAttemptAt ? iso(h.lastAttemptAt) : null } };
    }),
  });
});

destinationRoutes.get('/:id', requireSecretKey('read'), async (c) => {
  const d = await storageCall(() => getDestination(c.var.db, c.var.workspaceId, c.req.param('id')));
  if (!d) throw notFound('No such destination');
  return c.json(render(d));
});

destinationRoutes.delete('/:id', requireSecretKey('admin'), async (c) => {
  const existed = await storageCall(() => deleteDestination(c.var.db, c.var.workspaceId, c.req.param('id')));
  if (!existed) throw notFound('No such destination');
  return c.body(null, 204);
});

/**
 * Deliveries of one destination, newest first: `?status=pending|delivered|dead|skipped&limit=&cursor=`.
 * Segment-triggered kinds list changes (`event`, `segmentKey`), event kinds the events (`messageId`).
 */
destinationRoutes.get('/:id/deliveries', requireSecretKey('read'), async (c) => {
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const id = c.req.param('id');
  const destination = await storageCall(() => getDestination(db, ws, id));
  if (!destination) throw notFound('No such destination');
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
  const page = { limit: limit + 1, before: cursorText === undefined ? undefined : Number(cursorText), status };
  const rows: { id: number; status: string; nextAttemptAt: number; lastAttemptAt: number | null; createdAt: number; deliveredAt: number | null }[] =
    isEventKind(destination.kind)
      ? await storageCall(() => listEventDeliveries(db, ws, id, page))
      : await storageCall(() => listDeliveries(db, ws, id, page));
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

/** A destination as reads show it: secrets masked, kind-specific fields only where they mean something. */
function render(d: Destination) {
  const secrets = SECRET_FIELDS[d.kind] ?? [];
  const config = d.config && Object.fromEntries(Object.entries(d.config).map(([k, v]) => [k, secrets.includes(k) ? maskSecret(v) : v]));
  const segmentTriggered = d.kind === 'segments' || d.kind === 'whatsapp';
  return {
    id: d.id,
    kind: d.kind,
    url: d.url,
    ...(d.kind === 'segments' || d.kind === 'webhook' ? { secret: maskSecret(d.secret) } : {}),
    ...(segmentTriggered ? { segments: d.segments, events: d.events } : {}),
    ...(config ? { config } : {}),
    ...(isEventKind(d.kind) ? { filter: { types: d.filterTypes, events: d.filterEvents } } : {}),
    consentCategory: d.consentCategory,
    createdAt: iso(d.createdAt),
  };
}
