import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { exportChunks, pullStream } from '../archive/export-stream';
import { parseTimeRange } from '../archive/time-range';
import { erasedFilter } from '../archive/tombstones';
import { notFound } from '../http/errors';
import { storageCall } from '../store/storage-call';
import { getWorkspace } from '../store/workspaces';

/**
 * `GET /v1/events/export?from=&to=` (secret key, `read`): every accepted event of the workspace
 * received in [from, to), once, as NDJSON (one Segment-spec message per line), streamed from the
 * R2 archive object by object, so the Worker's memory stays flat however long the history.
 */
export const exportRoutes = new Hono<AppEnv>();

exportRoutes.get('/export', requireSecretKey('read'), async (c) => {
  const range = parseTimeRange({ from: c.req.query('from'), to: c.req.query('to') });
  const workspaceId = c.var.workspaceId;
  // Erasures not yet rewritten out of the archive are skipped line by line.
  const workspace = await storageCall(() => getWorkspace(c.env.DB, workspaceId));
  if (!workspace) throw notFound('No such workspace');
  const keep = await storageCall(() => erasedFilter(c.var.db, workspace));
  return new Response(pullStream(exportChunks(c.env.ARCHIVE, workspaceId, range, keep)), {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="events-${workspaceId}.ndjson"`,
      'cache-control': 'no-store',
    },
  });
});
