import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import { checkDefinition } from '../computed-traits/definition';
import { backfillComputedTrait } from '../computed-traits/refresh';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { ApiError, notFound } from '../http/errors';
import { computedTraitSizes, deleteComputedTraitStatements, getComputedTrait, insertComputedTraitStatement, listComputedTraits, type StoredComputedTrait } from '../store/computed-traits';
import { storageCall } from '../store/storage-call';
import { invalidateProfileReads } from '../profile-reads/invalidate';

/**
 * Computed traits: a marketer's aggregate over each person's events, backfilled when defined,
 * kept current on ingest and as windows move. Reads need `read`; define and delete need `admin`.
 */
export const computedTraitRoutes = new Hono<AppEnv>();

// Each trait costs statements on every ingest batch: a cap keeps that bounded.
const MAX_TRAITS = 50;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const render = (t: StoredComputedTrait, profiles: number) => ({
  key: t.key,
  name: t.name,
  aggregate: t.aggregate,
  event: t.event,
  property: t.property,
  windowDays: t.windowDays,
  profiles,
  createdAt: iso(t.createdAt),
  computedAt: iso(t.computedAt),
});

computedTraitRoutes.get('/', requireSecretKey('read'), async (c) => {
  const [traits, sizes] = await storageCall(() => Promise.all([listComputedTraits(c.var.db, c.var.workspaceId), computedTraitSizes(c.var.db, c.var.workspaceId)]));
  return c.json({ data: traits.map((t) => render(t, sizes.get(t.key) ?? 0)) });
});

computedTraitRoutes.post('/', requireSecretKey('admin'), async (c) => {
  const definition = checkDefinition(parseJsonObject(await readBodyText(c.req.raw, 16 * 1024)));
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const existing = await storageCall(() => listComputedTraits(db, ws));
  if (existing.some((t) => t.key === definition.key)) throw new ApiError(409, 'computed_trait_exists', `A computed trait with key "${definition.key}" already exists`, 'key');
  if (existing.length >= MAX_TRAITS) throw new ApiError(409, 'too_many_computed_traits', `A workspace holds at most ${MAX_TRAITS} computed traits`);
  const now = Date.now();
  await storageCall(async () => {
    await db.batch([insertComputedTraitStatement(db, ws, definition, now)]);
    await backfillComputedTrait(db, ws, definition, now);
  });
  // Every profile read shows every computed trait.
  await invalidateProfileReads(c.env, ws, 'all');
  return c.json(await renderStored(db, ws, definition.key), 201);
});

computedTraitRoutes.get('/:key', requireSecretKey('read'), async (c) => c.json(await renderStored(c.var.db, c.var.workspaceId, c.req.param('key'))));

computedTraitRoutes.delete('/:key', requireSecretKey('admin'), async (c) => {
  const key = c.req.param('key');
  const db = c.var.db;
  const ws = c.var.workspaceId;
  if (!(await storageCall(() => getComputedTrait(db, ws, key)))) throw notFound(`No computed trait with key "${key}"`);
  await storageCall(() => db.batch(deleteComputedTraitStatements(db, ws, key)));
  await invalidateProfileReads(c.env, ws, 'all');
  return c.body(null, 204);
});

async function renderStored(db: D1Database, ws: string, key: string) {
  const [trait, sizes] = await storageCall(() => Promise.all([getComputedTrait(db, ws, key), computedTraitSizes(db, ws)]));
  if (!trait) throw notFound(`No computed trait with key "${key}"`);
  return render(trait, sizes.get(key) ?? 0);
}
