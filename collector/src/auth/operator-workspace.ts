import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { notFound } from '../http/errors';
import { storageCall } from '../store/storage-call';
import { getWorkspace } from '../store/workspaces';
import { databaseOf } from '../directory/databases';
import { refuseWritesWhileMoving, requireAdminToken } from './middleware';

/**
 * Operator routes about one workspace (`/v1/admin/workspaces/:workspaceId/...`): the ADMIN_TOKEN,
 * then the workspace must exist. Sets the same `c.var` as a secret key with every scope, so
 * the workspace's own routes can be mounted behind either.
 */
export const operatorWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  await requireAdminToken(c, async () => {
    const id = c.req.param('workspaceId') ?? '';
    const workspace = await storageCall(() => getWorkspace(c.env.DB, id));
    if (!workspace) throw notFound(`No workspace ${id}`);
    refuseWritesWhileMoving(c.req.method, workspace.move?.status);
    c.set('workspaceId', workspace.id);
    c.set('database', workspace.database);
    c.set('db', databaseOf(c.env, workspace.database));
    c.set('scopes', new Set(['read', 'admin']));
    c.set('keyId', 'operator');
    await next();
  });
});
