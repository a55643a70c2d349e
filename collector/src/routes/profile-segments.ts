import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../http/errors';
import { iso } from '../segments/definition';
import { canonicalProfileId, segmentsOfProfile } from '../store/members';
import { storageCall } from '../store/storage-call';

/**
 * `GET /v1/profiles/{ref}/segments`: the segments a person is in. Mounted before the profiles
 * router. A merged-away profile id answers for the profile that absorbed it.
 */
export const profileSegmentRoutes = new Hono<AppEnv>();

profileSegmentRoutes.get('/:ref/segments', requireSecretKey('read'), async (c) => {
  const ref = c.req.param('ref');
  const db = c.env.DB;
  const ws = c.var.workspaceId;
  if (ref.includes(':')) {
    throw badRequest('unsupported_ref', 'Look the profile up by its id here; type:value references are answered by /v1/profiles/{type}:{value}', 'ref');
  }
  const canonical = await storageCall(() => canonicalProfileId(db, ws, ref));
  if (!canonical) throw notFound('No such profile');
  const segments = await storageCall(() => segmentsOfProfile(db, ws, canonical));
  return c.json({ profileId: canonical, data: segments.map((s) => ({ key: s.key, enteredAt: iso(s.enteredAt) })) });
});
