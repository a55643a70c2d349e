import { Hono } from 'hono';
import { nanoid } from 'nanoid';
import type { AppEnv } from './env';
import { errorBody, renderError } from './http/errors';
import { accountRoutes } from './routes/accounts';
import { adminRoutes } from './routes/admin';
import { consoleRoutes } from './routes/console';
import { identityRoutes } from './routes/identity';
import { importRoutes } from './routes/import';
import { insightsRoutes } from './routes/insights';
import { ingestRoutes } from './routes/ingest';
import { profileRoutes } from './routes/profiles';

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
  app.route('/v1/profiles', profileRoutes);
  app.route('/v1/accounts', accountRoutes);
  app.route('/v1/identity', identityRoutes);

  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(renderError);
  return app;
}
