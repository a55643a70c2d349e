import { Hono, type Context } from 'hono';
import { resolveWriteKey } from '../auth/write-key';
import { rudderSourceConfig } from '../compat/rudder-source-config';
import type { AppEnv } from '../env';
import { openIngestCors } from '../http/ingest-cors';
import { ingestRequest, unpackBatch } from './ingest';

/**
 * RudderStack's own SDKs, unmodified, with their data plane and config URLs pointed at the
 * collector (mounted at the root): the source configuration they load at start-up and the browser
 * SDK's beacon route. Their event routes (`/v1/batch`, `/v1/track`, ...) are the collector's own;
 * the CORS headers RudderStack sends (`AnonymousId`, `SentAt`, ...) are allowed there.
 */
export const rudderstackCompatRoutes = new Hono<AppEnv>();

// sendBeacon cannot set headers: the write key comes as `?writeKey=` and the body as text/plain
// `{batch, sentAt}`. Beacons never preflight, but a fetch-based polyfill may.
rudderstackCompatRoutes.use('/beacon/v1/batch', openIngestCors(['POST']));
rudderstackCompatRoutes.post('/beacon/v1/batch', async (c) => c.json(await ingestRequest(c, unpackBatch)));

// The browser SDK asks `/sourceConfig/?...&writeKey=` with the key also as HTTP Basic; Android and
// iOS ask `/sourceConfig?p=...` with HTTP Basic only. A secret key or an unknown key is a 401.
const sourceConfig = async (c: Context<AppEnv>) => {
  const { workspace } = await resolveWriteKey(c.env.DB, { authorization: c.req.header('authorization'), queryKey: c.req.query('writeKey') });
  c.header('Cache-Control', 'private, max-age=60');
  return c.json(rudderSourceConfig({ workspaceId: workspace.id, workspaceName: workspace.name }));
};
for (const path of ['/sourceConfig', '/sourceConfig/']) {
  rudderstackCompatRoutes.use(path, openIngestCors(['GET']));
  rudderstackCompatRoutes.get(path, sourceConfig);
}
