import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import { generateKey, hashKey, keyPrefix, SECRET_SCOPES } from '../auth/keys';
import { requireAdminToken } from '../auth/middleware';
import { DIRECTORY } from '../directory/databases';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { badRequest } from '../http/errors';
import { insertKeyStatement } from '../store/keys';
import { storageCall } from '../store/storage-call';
import { DEFAULT_SETTINGS, insertWorkspaceStatement, type Workspace } from '../store/workspaces';

/** Operator API, behind the deployment's ADMIN_TOKEN. */
export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use('*', requireAdminToken);

/**
 * Creates a workspace with one write key and one secret key carrying every scope.
 * The keys are returned once; only their hashes are stored.
 */
adminRoutes.post('/workspaces', async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 16 * 1024));
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name || name.length > 200) throw badRequest('invalid_field', 'name must be a non-empty string of at most 200 characters', 'name');
  const now = Date.now();
  const workspace: Workspace = { id: `ws_${nanoid(16)}`, name, settings: { ...DEFAULT_SETTINGS }, createdAt: now, database: DIRECTORY, move: null };
  const writeKey = generateKey('write');
  const secretKey = generateKey('secret');
  const db = c.env.DB;
  await storageCall(async () =>
    db.batch([
      insertWorkspaceStatement(db, workspace),
      insertKeyStatement(db, {
        id: `key_${nanoid(16)}`,
        workspaceId: workspace.id,
        kind: 'write',
        scopes: [],
        hash: await hashKey(writeKey),
        prefix: keyPrefix(writeKey),
        now,
      }),
      insertKeyStatement(db, {
        id: `key_${nanoid(16)}`,
        workspaceId: workspace.id,
        kind: 'secret',
        scopes: [...SECRET_SCOPES],
        hash: await hashKey(secretKey),
        prefix: keyPrefix(secretKey),
        now,
      }),
    ]),
  );
  return c.json({ id: workspace.id, name: workspace.name, writeKey, secretKey }, 201);
});
