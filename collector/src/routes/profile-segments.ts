import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { iso } from '../segments/definition';
import { segmentsOfProfile } from '../store/members';
import { storageCall } from '../store/storage-call';
import { resolveRef } from './profiles';

/**
 * `GET /v1/profiles/{ref}/segments`: the segments a person is in. `{ref}` is a profile id or
 * `type:value` (`email:ana@example.com`), resolved like every profiles route; a merged-away
 * profile id answers for the profile that absorbed it. Mounted before the profiles router.
 */
export const profileSegmentRoutes = new Hono<AppEnv>();

profileSegmentRoutes.get('/:ref/segments', requireSecretKey('read'), async (c) => {
  const canonical = await resolveRef(c, c.req.param('ref'));
  const segments = await storageCall(() => segmentsOfProfile(c.var.db, c.var.workspaceId, canonical));
  return c.json({ profileId: canonical, data: segments.map((s) => ({ key: s.key, enteredAt: iso(s.enteredAt) })) });
});
