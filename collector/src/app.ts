import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import type { AppEnv } from './env';
import { errorBody, renderError } from './http/errors';
import { accountRoutes } from './routes/accounts';
import { adminRoutes } from './routes/admin';
import { consoleRoutes } from './routes/console';
import { destinationRoutes } from './routes/destinations';
import { importRoutes } from './routes/import';
import { insightsRoutes } from './routes/insights';
import { identityRoutes } from './routes/identity';
import { ingestRoutes } from './routes/ingest';
import { profileSegmentRoutes } from './routes/profile-segments';
import { profileRoutes } from './routes/profiles';
import { sdkAssetRoutes } from './routes/sdk-asset';
import { segmentRoutes } from './routes/segments';

/** The collector's HTTP surface: one sub-app per resource, one error renderer. */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const requestId = c.req.header('request-id') ?? nanoid();
    c.set('requestId', requestId);
    await next();
    c.header('Request-Id', requestId);
  });

  app.get('/health', (c) => c.json({ ok: true }));
  app.route('/v1', ingestRoutes);
  app.route('/v1/import', importRoutes);
  app.route('/v1/admin', adminRoutes);
  app.route('/v1/insights', insightsRoutes);
  app.route('/console', consoleRoutes);
  app.route('/v1/segments', segmentRoutes);
  app.route('/v1/destinations', destinationRoutes);
  // Before profileRoutes: GET /v1/profiles/{ref}/segments is answered by the segments module.
  app.route('/v1/profiles', profileSegmentRoutes);
  app.route('/v1/profiles', profileRoutes);
  app.route('/v1/accounts', accountRoutes);
  app.route('/v1/identity', identityRoutes);
  app.route('/', sdkAssetRoutes);

  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(renderError);
  return app;
}
