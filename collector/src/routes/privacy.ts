import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../http/errors';
import { parseProfileRef } from '../identity/profile-view';
import { erasePerson, liftSuppression } from '../privacy/erase';
import { exportPerson } from '../privacy/export';
import { findPerson } from '../privacy/find-person';
import { inboxOf } from '../resolver/inbox-client';
import { getPrivacyStats, listLog, type LogEntry } from '../store/privacy';
import { storageCall } from '../store/storage-call';
import { getWorkspace } from '../store/workspaces';
import { invalidateProfileReads } from '../profile-reads/invalidate';

async function workspaceOf(db: D1Database, id: string) {
  const workspace = await storageCall(() => getWorkspace(db, id));
  if (!workspace) throw notFound();
  return workspace;
}

/** `DELETE /v1/profiles/{ref}` and `GET /v1/profiles/{ref}/export`, mounted beside the profile API. */
export const privacyProfileRoutes = new Hono<AppEnv>();

privacyProfileRoutes.delete('/:ref', requireSecretKey('admin'), async (c) => {
  const suppress = c.req.query('suppress');
  if (suppress !== undefined && suppress !== 'true' && suppress !== 'false') {
    throw badRequest('invalid_field', 'suppress must be true or false', 'suppress');
  }
  const workspace = await workspaceOf(c.env.DB, c.var.workspaceId);
  const person = await findPerson(c.var.db, workspace, c.req.param('ref'));
  const erased = await erasePerson(c.var.db, workspace.id, person, { suppress: suppress === 'true', keyId: c.var.keyId });
  // The erased person's refs answer 404 from now on, and the read store keeps nothing of them.
  await invalidateProfileReads(c.env, workspace.id, { profileIds: person.profileIds, erased: true });
  // The archive's copy: hidden from every reader by the erasure's tombstone already; the
  // workspace's inbox now rewrites the objects. If this call fails the next erasure's picks it up.
  await inboxOf(c.env, workspace.id).scheduleArchiveJob(workspace.id, 'purge').catch((err) => console.error('archive purge not scheduled', err));
  return c.json({
    deleted: true,
    profileId: person.canonicalId,
    deletionId: erased.logId,
    rowCounts: erased.rowCounts,
    suppressed: erased.suppressed.map((s) => s.type),
  });
});

privacyProfileRoutes.get('/:ref/export', requireSecretKey('read'), async (c) => {
  const workspace = await workspaceOf(c.env.DB, c.var.workspaceId);
  const person = await findPerson(c.var.db, workspace, c.req.param('ref'));
  return new Response(await exportPerson(c.var.db, workspace.id, person, { bucket: c.env.ARCHIVE, workspace }), {
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="profile-${person.canonicalId}.json"`,
    },
  });
});

/** `POST /v1/suppressions/{type}:{value}/lift`. */
export const suppressionRoutes = new Hono<AppEnv>();

suppressionRoutes.post('/:ref/lift', requireSecretKey('admin'), async (c) => {
  const workspace = await workspaceOf(c.env.DB, c.var.workspaceId);
  const ref = parseProfileRef(c.req.param('ref'), workspace.settings.defaultCountry);
  if (ref.kind !== 'identifier') throw badRequest('invalid_ref', 'Name the identifier as {type}:{value}', 'ref');
  const { lifted } = await liftSuppression(c.var.db, workspace.id, ref.id, c.var.keyId);
  if (lifted.length === 0) throw notFound('This identifier is not suppressed');
  return c.json({ lifted: lifted.length, types: lifted.map((l) => l.type) });
});

/** `GET /v1/privacy/log` (deletions and lifts, no personal data) and `GET /v1/privacy/stats`. */
export const privacyInfoRoutes = new Hono<AppEnv>();
privacyInfoRoutes.use('*', requireSecretKey('read'));

const logJson = (e: LogEntry) => ({
  id: e.id,
  action: e.action,
  keyId: e.keyId,
  createdAt: new Date(e.createdAt).toISOString(),
  ids: e.ids,
  rowCounts: e.rowCounts,
  suppressed: e.suppressed,
});

privacyInfoRoutes.get('/log', async (c) => {
  const limit = Number(c.req.query('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badRequest('invalid_field', 'limit must be 1 to 200', 'limit');
  const cursor = c.req.query('cursor');
  let before: { createdAt: number; id: string } | undefined;
  if (cursor !== undefined) {
    const m = /^(\d{1,15})_([A-Za-z0-9_-]{1,64})$/.exec(cursor);
    if (!m) throw badRequest('invalid_cursor', 'cursor is not one this API returned', 'cursor');
    before = { createdAt: Number(m[1]), id: m[2] };
  }
  const entries = await storageCall(() => listLog(c.var.db, c.var.workspaceId, limit, before));
  const last = entries.at(-1);
  return c.json({ entries: entries.map(logJson), nextCursor: entries.length === limit && last ? `${last.createdAt}_${last.id}` : null });
});

privacyInfoRoutes.get('/stats', async (c) => c.json(await storageCall(() => getPrivacyStats(c.var.db, c.var.workspaceId))));
