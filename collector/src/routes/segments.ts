import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { ApiError, badRequest, notFound } from '../http/errors';
import { compileCondition } from '../segments/compile';
import { checkCondition, checkKey, checkName, iso, renderSegment, segmentRecord } from '../segments/definition';
import { evaluateSegments } from '../segments/evaluate';
import { membersCsv } from '../segments/members-csv';
import { listMembers, previewCondition } from '../store/members';
import { segmentDeletionStatements } from '../store/memberships';
import { deleteSegmentStatement, getSegment, listSegments, segmentSizes, upsertSegmentStatement } from '../store/segments';
import { storageCall } from '../store/storage-call';

/**
 * Segments: definitions, preview, members. Reads and preview need a secret key with `read`;
 * creating, changing, deleting and re-evaluating need `admin`.
 */
export const segmentRoutes = new Hono<AppEnv>();

const MAX_DEFINITION_BYTES = 64 * 1024;
const readBody = async (req: Request) => parseJsonObject(await readBodyText(req, MAX_DEFINITION_BYTES));

segmentRoutes.get('/', requireSecretKey('read'), async (c) => {
  const ws = c.var.workspaceId;
  const [segments, sizes] = await storageCall(() => Promise.all([listSegments(c.var.db, ws), segmentSizes(c.var.db, ws)]));
  return c.json({ data: segments.map((s) => renderSegment(s, sizes.get(s.key) ?? 0)) });
});

/** Creates a segment and computes its membership over existing data before answering. */
segmentRoutes.post('/', requireSecretKey('admin'), async (c) => {
  const body = await readBody(c.req.raw);
  const key = checkKey(body.key);
  const name = checkName(body.name);
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const existing = await storageCall(() => listSegments(db, ws));
  if (existing.some((s) => s.key === key)) throw new ApiError(409, 'segment_exists', `A segment with key "${key}" already exists`, 'key');
  const condition = checkCondition(body.condition, existing, key);
  const now = Date.now();
  const record = segmentRecord(key, name, condition, now, now);
  await storageCall(async () => {
    await db.batch([upsertSegmentStatement(db, ws, record)]);
    await evaluateSegments(db, ws, { keys: new Set([key]), now }, [...existing, { ...record, evaluatedAt: null }]);
  });
  return c.json(await renderStored(db, ws, key), 201);
});

segmentRoutes.post('/preview', requireSecretKey('read'), async (c) => {
  const body = await readBody(c.req.raw);
  const existing = await storageCall(() => listSegments(c.var.db, c.var.workspaceId));
  const condition = checkCondition(body.condition, existing);
  const sampleSize = body.sampleSize === undefined ? 10 : body.sampleSize;
  if (typeof sampleSize !== 'number' || !Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 100) {
    throw badRequest('invalid_field', 'sampleSize must be an integer from 0 to 100', 'sampleSize');
  }
  const now = Date.now();
  const preview = await storageCall(() =>
    previewCondition(c.var.db, c.var.workspaceId, (params) => compileCondition(condition, params, now, { mode: 'set', workspaceId: c.var.workspaceId }), sampleSize),
  );
  return c.json({
    size: preview.size,
    sample: preview.sample.map((p) => ({
      ...p,
      firstSeen: p.firstSeen === null ? null : iso(p.firstSeen),
      lastSeen: p.lastSeen === null ? null : iso(p.lastSeen),
    })),
  });
});

/** On demand, what the cron does for relative windows: re-evaluate every segment over all profiles. */
segmentRoutes.post('/evaluate', requireSecretKey('admin'), async (c) => {
  const report = await storageCall(() => evaluateSegments(c.var.db, c.var.workspaceId, { now: Date.now() }));
  return c.json(report);
});

segmentRoutes.get('/:key', requireSecretKey('read'), async (c) => {
  return c.json(await renderStored(c.var.db, c.var.workspaceId, c.req.param('key')));
});

/** Changes name and/or condition; membership is recomputed for it and for segments built on it. */
segmentRoutes.put('/:key', requireSecretKey('admin'), async (c) => {
  const key = c.req.param('key');
  const body = await readBody(c.req.raw);
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const existing = await storageCall(() => listSegments(db, ws));
  const current = existing.find((s) => s.key === key);
  if (!current) throw notFound(`No segment with key "${key}"`);
  if (body.key !== undefined && body.key !== key) throw badRequest('invalid_field', 'key cannot be changed', 'key');
  const name = body.name === undefined ? current.name : checkName(body.name);
  const condition = body.condition === undefined ? current.condition : checkCondition(body.condition, existing, key);
  const now = Date.now();
  const record = segmentRecord(key, name, condition, current.createdAt, now);
  await storageCall(async () => {
    await db.batch([upsertSegmentStatement(db, ws, record)]);
    if (body.condition !== undefined) {
      const updated = existing.map((s) => (s.key === key ? { ...record, evaluatedAt: s.evaluatedAt } : s));
      await evaluateSegments(db, ws, { keys: new Set([key]), now }, updated);
    }
  });
  return c.json(await renderStored(db, ws, key));
});

/** Deletes a segment; its members exit (reason `segment_deleted`). Refused while another segment uses it. */
segmentRoutes.delete('/:key', requireSecretKey('admin'), async (c) => {
  const key = c.req.param('key');
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const existing = await storageCall(() => listSegments(db, ws));
  if (!existing.some((s) => s.key === key)) throw notFound(`No segment with key "${key}"`);
  const users = existing.filter((s) => s.dependsOn.includes(key)).map((s) => s.key);
  if (users.length > 0) throw new ApiError(409, 'segment_in_use', `Segments ${users.join(', ')} reference "${key}"; change them first`);
  const runId = `run_${nanoid(16)}`;
  await storageCall(() => db.batch([...segmentDeletionStatements(db, ws, key, runId, Date.now()), deleteSegmentStatement(db, ws, key)]));
  return c.body(null, 204);
});

/** Members, paged by cursor; `?format=csv` streams every member as CSV. */
segmentRoutes.get('/:key/members', requireSecretKey('read'), async (c) => {
  const key = c.req.param('key');
  const db = c.var.db;
  const ws = c.var.workspaceId;
  if (!(await storageCall(() => getSegment(db, ws, key)))) throw notFound(`No segment with key "${key}"`);
  const format = c.req.query('format') ?? 'json';
  if (format === 'csv') {
    return new Response(membersCsv(db, ws, key), {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${key}.csv"` },
    });
  }
  if (format !== 'json') throw badRequest('invalid_query', 'format must be json or csv', 'format');
  const limitText = c.req.query('limit') ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000) throw badRequest('invalid_query', 'limit must be an integer from 1 to 1000', 'limit');
  const after = c.req.query('cursor') || undefined;
  const page = await storageCall(() => listMembers(db, ws, key, { limit: limit + 1, after }));
  const hasMore = page.length > limit;
  const data = page.slice(0, limit);
  return c.json({
    data: data.map((m) => ({ profileId: m.profileId, enteredAt: iso(m.enteredAt), identities: m.identities })),
    cursor: { next: hasMore ? data[data.length - 1].profileId : null, hasMore },
  });
});

async function renderStored(db: D1Database, ws: string, key: string) {
  const [segment, sizes] = await storageCall(() => Promise.all([getSegment(db, ws, key), segmentSizes(db, ws, key)]));
  if (!segment) throw notFound(`No segment with key "${key}"`);
  return renderSegment(segment, sizes.get(key) ?? 0);
}
