import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import type { AppEnv } from './env';
import { errorBody, renderError } from './http/errors';
import { operatorWorkspace } from './auth/operator-workspace';
import { requireSecretKey } from './auth/middleware';
import { securityHeaders } from './http/security-headers';
import { adminRoutes } from './routes/admin';
import { consoleRoutes } from './routes/console';
import { exportRoutes } from './routes/export';
import { destinationRoutes } from './routes/destinations';
import { keyRoutes } from './routes/keys';
import { settingsRoutes } from './routes/settings';
import { accountRoutes } from './routes/accounts';
import { identityRoutes } from './routes/identity';
import { importRoutes } from './routes/import';
import { insightsRoutes } from './routes/insights';
import { ingestRoutes } from './routes/ingest';
import { ingestStatusRoutes } from './routes/ingest-status';
import { rudderstackCompatRoutes } from './routes/compat-rudderstack';
import { segmentCompatRoutes } from './routes/compat-segment';
import { privacyInfoRoutes, privacyProfileRoutes, suppressionRoutes } from './routes/privacy';
import { profileSegmentRoutes } from './routes/profile-segments';
import { profileRoutes } from './routes/profiles';
import { predictionRoutes } from './routes/predictions';
import { computedTraitRoutes } from './routes/computed-traits';
import { sdkAssetRoutes } from './routes/sdk-asset';
import { segmentRoutes } from './routes/segments';

/** The collector's HTTP surface: one sub-app per resource, one error renderer. */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    // A caller's id is echoed only when it looks like an id: never a header-sized blob or markup.
    const given = c.req.header('request-id');
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : nanoid();
    c.set('requestId', requestId);
    await next();
    c.header('Request-Id', requestId);
  });
  app.use('*', securityHeaders);

  app.get('/health', (c) => c.json({ ok: true }));
  app.route('/v1', ingestRoutes);
  app.route('/v1/ingest', ingestStatusRoutes);
  app.route('/v1', segmentCompatRoutes);
  app.route('/', rudderstackCompatRoutes);
  app.route('/v1/import', importRoutes);
  app.route('/v1/admin', adminRoutes);
  app.route('/v1/insights', insightsRoutes);
  app.route('/v1/events', exportRoutes);
  app.route('/console', consoleRoutes);
  app.route('/v1/keys', keyRoutes(requireSecretKey('admin')));
  app.route('/v1/admin/workspaces/:workspaceId/keys', keyRoutes(operatorWorkspace));
  app.route('/v1/settings', settingsRoutes({ read: requireSecretKey('read'), admin: requireSecretKey('admin') }));
  app.route('/v1/admin/workspaces/:workspaceId/settings', settingsRoutes({ read: operatorWorkspace, admin: operatorWorkspace }));
  app.route('/v1/profiles', privacyProfileRoutes);
  app.route('/v1/suppressions', suppressionRoutes);
  app.route('/v1/privacy', privacyInfoRoutes);
  app.route('/v1/segments', segmentRoutes);
  app.route('/v1/destinations', destinationRoutes);
  // Before profileRoutes: GET /v1/profiles/{ref}/segments is answered by the segments module.
  app.route('/v1/profiles', profileSegmentRoutes);
  app.route('/v1/profiles', profileRoutes);
  app.route('/v1/predictions', predictionRoutes);
  app.route('/v1/computed-traits', computedTraitRoutes);
  app.route('/v1/accounts', accountRoutes);
  app.route('/v1/identity', identityRoutes);
  app.route('/', sdkAssetRoutes);

  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(renderError);
  return app;
}
