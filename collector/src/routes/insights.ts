import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { notFound } from '../http/errors';
import { dayWindow, DAY_MS, foldEventCounts, intParam, sizeSeries } from '../insights/series';
import { countEventsByDay, countProfiles, tailEvents, traitNames } from '../store/insights';
import { segmentSizeHistory } from '../store/segment-history';
import { getSegment, listSegments, segmentSizes, type Segment } from '../store/segments';
import { storageCall } from '../store/storage-call';
import { getWorkspace } from '../store/workspaces';

/**
 * Aggregates behind the console (secret key, read scope). Days are UTC; `days` is 1-365.
 * Profile and segment details come from their own APIs; these routes only count.
 */
export const insightsRoutes = new Hono<AppEnv>();

insightsRoutes.use('*', requireSecretKey('read'));

/** Who the key belongs to and what it may do: the console signs in with this. */
insightsRoutes.get('/session', async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.var.workspaceId));
  if (!workspace) throw notFound('Workspace not found');
  return c.json({ workspace: { id: workspace.id, name: workspace.name }, scopes: [...c.var.scopes].sort() });
});

/** Daily message counts over the last `days` days: in total, per type and per track event name. */
insightsRoutes.get('/events', async (c) => {
  const days = intParam(c.req.query('days'), 'days', { min: 1, max: 365, fallback: 30 });
  const top = intParam(c.req.query('top'), 'top', { min: 1, max: 100, fallback: 10 });
  const window = dayWindow(days, Date.now());
  const rows = await storageCall(() => countEventsByDay(c.var.db, c.var.workspaceId, window.from, window.to));
  return c.json(foldEventCounts(rows, window.dates, top));
});

/** Profiles known, identified (user id or email) and seen within the last `days` days. */
insightsRoutes.get('/profiles', async (c) => {
  const days = intParam(c.req.query('days'), 'days', { min: 1, max: 365, fallback: 30 });
  const since = Date.now() - days * DAY_MS;
  const counts = await storageCall(() => countProfiles(c.var.db, c.var.workspaceId, since));
  const anonymous = counts.total - counts.identified;
  return c.json({
    days,
    total: counts.total,
    identified: counts.identified,
    anonymous,
    identifiedShare: counts.total === 0 ? 0 : counts.identified / counts.total,
    active: counts.active,
  });
});

/** Trait names held by the most recently seen people (up to 1,000 of them), most common first. */
insightsRoutes.get('/traits', async (c) => {
  const sample = 1000;
  const data = await storageCall(() => traitNames(c.var.db, c.var.workspaceId, sample));
  return c.json({ sample, data });
});

/**
 * The live tail: the newest messages stored after `after` (a seq from a previous answer).
 * Poll with `after=cursor.after`; a burst bigger than `limit` shows its newest part only, and
 * the first call looks back over the last 100,000 stored messages (all tenants) at most.
 */
insightsRoutes.get('/tail', async (c) => {
  const after = intParam(c.req.query('after'), 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
  const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: 100, fallback: 20 });
  const { events, maxSeq } = await storageCall(() => tailEvents(c.var.db, c.var.workspaceId, after, limit));
  // With nothing new for this workspace the cursor still moves to the table's end, so the next
  // poll does not walk other tenants' rows again.
  return c.json({ data: events, cursor: { after: events[0]?.seq ?? Math.max(after, maxSeq) } });
});

/** Daily sizes of the given segments over the window: snapshots, then today's live size. */
async function segmentTrends(db: D1Database, workspaceId: string, segments: Segment[], days: number, key?: string) {
  const window = dayWindow(days, Date.now());
  const [sizes, history] = await Promise.all([
    segmentSizes(db, workspaceId, key),
    segmentSizeHistory(db, workspaceId, window.from, segments),
  ]);
  return segments.map((s) => {
    const size = sizes.get(s.key) ?? 0;
    const mine = history.filter((h) => h.segmentKey === s.key);
    return { key: s.key, name: s.name, size, daily: sizeSeries(mine, window, size) };
  });
}

/** Every segment with its size per day (kept by the scheduled handler; today is live). */
insightsRoutes.get('/segments', async (c) => {
  const days = intParam(c.req.query('days'), 'days', { min: 1, max: 365, fallback: 30 });
  const data = await storageCall(async () => {
    const segments = await listSegments(c.var.db, c.var.workspaceId);
    return segmentTrends(c.var.db, c.var.workspaceId, segments, days);
  });
  return c.json({ days, timezone: 'UTC', data });
});

/** One segment's size per day over the last `days` days; `null` where no snapshot was taken. */
insightsRoutes.get('/segments/:key', async (c) => {
  const days = intParam(c.req.query('days'), 'days', { min: 1, max: 365, fallback: 30 });
  const key = c.req.param('key');
  const [trend] = await storageCall(async () => {
    const segment = await getSegment(c.var.db, c.var.workspaceId, key);
    if (!segment) throw notFound(`No segment with key "${key}"`);
    return segmentTrends(c.var.db, c.var.workspaceId, [segment], days, key);
  });
  return c.json({ days, timezone: 'UTC', ...trend! });
});
