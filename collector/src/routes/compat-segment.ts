import { Hono } from 'hono';
import { resolveWriteKey } from '../auth/write-key';
import { segmentSettings } from '../compat/segment-settings';
import { SEGMENT_SHORT_PATHS } from '../compat/segment-paths';
import type { AppEnv } from '../env';
import { openIngestCors } from '../http/ingest-cors';
import { ingestRequest, oneMessageAnswer, unpackBatch, unpackOne } from './ingest';

/**
 * Segment's own libraries, unmodified, with only their settings host pointed at the collector
 * (mounted under /v1): the settings they load at start-up, analytics.js's short paths
 * (`/v1/t` ... `/v1/b`, `text/plain` JSON with the write key in the body and as HTTP Basic), and
 * the mobile libraries' `/v1/b` batches. Every message goes through the same ingest entry as
 * `/v1/batch`. The long paths (`/v1/track`, `/v1/batch`, ...) are the collector's own.
 */
export const segmentCompatRoutes = new Hono<AppEnv>();

const openPost = openIngestCors(['POST']);
for (const path of ['/b', ...Object.keys(SEGMENT_SHORT_PATHS).map((letter) => `/${letter}`)]) segmentCompatRoutes.use(path, openPost);

segmentCompatRoutes.post('/b', async (c) => c.json(await ingestRequest(c, unpackBatch)));

for (const [letter, type] of Object.entries(SEGMENT_SHORT_PATHS)) {
  segmentCompatRoutes.post(`/${letter}`, async (c) => c.json(oneMessageAnswer(await ingestRequest(c, unpackOne(type)))));
}

segmentCompatRoutes.use('/projects/:writeKey/settings', openIngestCors(['GET']));

// Only a live write key gets settings (a secret key or an unknown one is a 401), and reading them
// spends no ingest budget: a page load fetches them once, and they hold nothing secret.
segmentCompatRoutes.get('/projects/:writeKey/settings', async (c) => {
  const writeKey = c.req.param('writeKey');
  await resolveWriteKey(c.env.DB, { bodyKey: writeKey });
  c.header('Cache-Control', 'public, max-age=60');
  return c.json(segmentSettings({ writeKey, origin: new URL(c.req.url) }));
});
