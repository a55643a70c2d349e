import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { notFound } from '../http/errors';
import { getAccountRecord } from '../store/profiles';
import { storageCall } from '../store/storage-call';

/** B2B accounts built by group calls (secret key, `read` scope). */
export const accountRoutes = new Hono<AppEnv>();

accountRoutes.use('*', requireSecretKey('read'));

accountRoutes.get('/:groupId', async (c) => {
  const account = await storageCall(() => getAccountRecord(c.var.db, c.var.workspaceId, c.req.param('groupId')));
  if (!account) throw notFound('No such account');
  const iso = (ms: number) => new Date(ms).toISOString();
  return c.json({ ...account, createdAt: iso(account.createdAt), updatedAt: iso(account.updatedAt) });
});
