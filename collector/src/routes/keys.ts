import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { createKey, listKeyViews, revokeKey, rotateKey } from '../keys/key-admin';
import { parseKeyRequest, parseRotateRequest } from '../keys/key-request';

const BODY_LIMIT = 4096;

/** A small optional JSON body: empty means `{}`. */
async function optionalBody(req: Request) {
  const text = await readBodyText(req, BODY_LIMIT);
  return text.trim() === '' ? {} : parseJsonObject(text);
}

/**
 * Key management of one workspace, behind `auth` (which sets `c.var.workspaceId`): mounted as
 * `/v1/keys` for a secret key with the admin scope and `/v1/admin/workspaces/:workspaceId/keys`
 * for the operator. Another workspace's key id answers 404.
 */
export function keyRoutes(auth: MiddlewareHandler<AppEnv>) {
  const routes = new Hono<AppEnv>();
  routes.use('*', auth);

  routes.get('/', async (c) => c.json({ keys: await listKeyViews(c.env.DB, c.var.workspaceId) }));

  routes.post('/', async (c) => {
    const spec = parseKeyRequest(parseJsonObject(await readBodyText(c.req.raw, BODY_LIMIT)));
    const { key, view } = await createKey(c.env.DB, c.var.workspaceId, spec);
    return c.json({ ...view, key }, 201);
  });

  routes.post('/:keyId/revoke', async (c) => c.json(await revokeKey(c.env.DB, c.var.workspaceId, c.req.param('keyId'))));

  routes.post('/:keyId/rotate', async (c) => {
    const { graceSeconds } = parseRotateRequest(await optionalBody(c.req.raw));
    const { key, view, replaced } = await rotateKey(c.env.DB, c.var.workspaceId, c.req.param('keyId'), graceSeconds);
    return c.json({ ...view, key, replaced }, 201);
  });

  return routes;
}
