import { Hono, type MiddlewareHandler } from 'hono';
import { forgetWorkspaces } from '../auth/write-key';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { notFound } from '../http/errors';
import { applySettingsPatch, settingsView } from '../settings/settings-patch';
import { storageCall } from '../store/storage-call';
import { getWorkspace, updateWorkspaceSettings } from '../store/workspaces';
import { invalidateProfileReads } from '../profile-reads/invalidate';

/**
 * Workspace settings (ipPolicy, requiredConsent, defaultCountry): read with `auth.read`, change
 * with `auth.admin`. Mounted as `/v1/settings` (secret key) and
 * `/v1/admin/workspaces/:workspaceId/settings` (operator).
 */
export function settingsRoutes(auth: { read: MiddlewareHandler<AppEnv>; admin: MiddlewareHandler<AppEnv> }) {
  const routes = new Hono<AppEnv>();

  const load = async (db: D1Database, id: string) => {
    const workspace = await storageCall(() => getWorkspace(db, id));
    if (!workspace) throw notFound();
    return workspace;
  };

  routes.get('/', auth.read, async (c) => c.json(settingsView((await load(c.env.DB, c.var.workspaceId)).settings)));

  routes.patch('/', auth.admin, async (c) => {
    const patch = parseJsonObject(await readBodyText(c.req.raw, 4096));
    const workspace = await load(c.env.DB, c.var.workspaceId);
    const settings = applySettingsPatch(workspace.settings, patch);
    await storageCall(() => updateWorkspaceSettings(c.env.DB, workspace.id, settings));
    // Ingest caches workspaces for 30 s per isolate: this one sees the change at once.
    forgetWorkspaces();
    // Settings steer how reads are resolved and what is derived; a rare write, so every kept read goes.
    await invalidateProfileReads(c.env, workspace.id, 'all');
    return c.json(settingsView(settings));
  });

  return routes;
}
