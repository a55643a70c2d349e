import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { getIdentityStats } from '../store/profiles';
import { storageCall } from '../store/storage-call';

/** Identity resolution counters of the workspace: refusals by guard, merges, profiles created. */
export const identityRoutes = new Hono<AppEnv>();

identityRoutes.use('*', requireSecretKey('read'));

identityRoutes.get('/stats', async (c) => {
  const stats = await storageCall(() => getIdentityStats(c.var.db, c.var.workspaceId));
  return c.json({ ...stats, updatedAt: stats.updatedAt === null ? null : new Date(stats.updatedAt).toISOString() });
});
