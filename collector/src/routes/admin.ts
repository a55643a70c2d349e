import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import { generateKey, hashKey, keyPrefix, SECRET_SCOPES } from '../auth/keys';
import { requireAdminToken } from '../auth/middleware';
import { forgetKeys } from '../auth/resolve';
import { chooseDatabase } from '../directory/choose';
import { isDatabase } from '../directory/databases';
import { inboxOf } from '../resolver/inbox-client';
import { profileReadsOf } from '../profile-reads/invalidate';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { ApiError, badRequest, notFound } from '../http/errors';
import { insertKeyStatement } from '../store/keys';
import { storageCall } from '../store/storage-call';
import { DEFAULT_SETTINGS, getWorkspace, insertWorkspaceStatement, isMoving, type Workspace } from '../store/workspaces';

/** Operator API, behind the deployment's ADMIN_TOKEN. */
export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use('*', requireAdminToken);

/**
 * Creates a workspace with one write key and one secret key carrying every scope.
 * The keys are returned once; only their hashes are stored. It goes to the least loaded database,
 * or to the one `database` names.
 */
adminRoutes.post('/workspaces', async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 16 * 1024));
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name || name.length > 200) throw badRequest('invalid_field', 'name must be a non-empty string of at most 200 characters', 'name');
  if (body.database !== undefined) requireDatabase(c.env, body.database);
  const database = typeof body.database === 'string' ? body.database : await storageCall(() => chooseDatabase(c.env));
  const now = Date.now();
  const workspace: Workspace = { id: `ws_${nanoid(16)}`, name, settings: { ...DEFAULT_SETTINGS }, createdAt: now, database, move: null };
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
  return c.json({ id: workspace.id, name: workspace.name, database, writeKey, secretKey }, 201);
});

/** A 400 naming `database` unless the value names a data database bound to this Worker. */
function requireDatabase(env: AppEnv['Bindings'], value: unknown): asserts value is string {
  if (typeof value !== 'string' || !isDatabase(env, value)) {
    throw badRequest('invalid_field', `database must name a D1 database of this collector (e.g. DB, DB_2); ${JSON.stringify(value)} is not one`, 'database');
  }
}

/** A workspace as the operator sees it: where its data lives, its latest move and its latest rebuild. */
adminRoutes.get('/workspaces/:workspaceId', async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.req.param('workspaceId')));
  if (!workspace) throw notFound(`No workspace ${c.req.param('workspaceId')}`);
  const { id, name, createdAt, database, move } = workspace;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  // The last rebuild from the R2 archive (null if none), as the workspace's inbox runs it.
  const rebuild = await storageCall(() => inboxOf(c.env, id).rebuildStatus());
  return c.json({
    id,
    name,
    createdAt: new Date(createdAt).toISOString(),
    database,
    move: move && { ...move, startedAt: iso(move.startedAt), finishedAt: iso(move.finishedAt) },
    rebuild,
  });
});

/**
 * The workspace's profile read store (README "Profile reads"): `caughtUp` once every profile's
 * view is stored and current, with counts of stored, named-stale and older rows. Benches wait for it.
 */
adminRoutes.get('/workspaces/:workspaceId/profile-reads', async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.req.param('workspaceId')));
  if (!workspace) throw notFound(`No workspace ${c.req.param('workspaceId')}`);
  return c.json(await storageCall(() => profileReadsOf(c.env, workspace.id).status()));
});

/**
 * Moves a workspace's data to another database, in the background (progress in GET as `move`).
 * Ingest goes on being acknowledged and lands after the move; other writes answer 503
 * `workspace_moving` until the copy is over.
 */
adminRoutes.post('/workspaces/:workspaceId/move', async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 4096));
  requireDatabase(c.env, body.database);
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.req.param('workspaceId')));
  if (!workspace) throw notFound(`No workspace ${c.req.param('workspaceId')}`);
  if (workspace.database === body.database) throw new ApiError(409, 'same_database', `The workspace is on ${body.database} already`, 'database');
  const started = await inboxOf(c.env, workspace.id).startMove(workspace.id, workspace.database, body.database);
  if ('busy' in started) throw new ApiError(409, 'move_in_progress', `The workspace is moving to ${started.busy.to} (${started.busy.status})`);
  // This isolate refuses the workspace's writes at once; the others once their cached keys expire (the move waits for that).
  forgetKeys();
  return c.json({ id: workspace.id, database: workspace.database, move: { ...started.move, startedAt: new Date(started.move.startedAt).toISOString() } }, 202);
});

/**
 * Re-derives the workspace's identities, profiles, computed traits and memberships from its R2
 * archive, on its inbox's alarm (202 with the progress; a rebuild already running is answered as is).
 * Not while the workspace moves between databases (409): the move copies what the rebuild rewrites.
 */
adminRoutes.post('/workspaces/:workspaceId/rebuild', async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.req.param('workspaceId')));
  if (!workspace) throw notFound(`No workspace ${c.req.param('workspaceId')}`);
  if (isMoving(workspace.move?.status)) throw new ApiError(409, 'move_in_progress', `The workspace is moving to ${workspace.move!.to}; rebuild it once the move is over`);
  const rebuild = await storageCall(() => inboxOf(c.env, workspace.id).startRebuild(workspace.id));
  return c.json({ id: workspace.id, rebuild }, 202);
});

/**
 * Applies the workspace's hot window now instead of at the next hourly sweep (after lowering
 * `retention.hotDays`, say): its inbox deletes the archived events older than the window from D1
 * on its alarm, as the sweep would (202).
 */
adminRoutes.post('/workspaces/:workspaceId/retention', async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.req.param('workspaceId')));
  if (!workspace) throw notFound(`No workspace ${c.req.param('workspaceId')}`);
  await storageCall(() => inboxOf(c.env, workspace.id).scheduleArchiveJob(workspace.id, 'retention'));
  return c.json({ id: workspace.id, retention: 'scheduled' }, 202);
});
