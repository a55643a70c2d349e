import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../http/errors';

/**
 * The browser SDK bundle, `/satu.min.js`, from the static assets (collector/public, written by
 * `npm run build`). Served by the worker (run_worker_first) so it gets its headers in wrangler dev,
 * on Cloudflare and in the vitest pool alike: any origin may load it, browsers cache it 5 minutes
 * and may serve a stale copy for a day while revalidating (a release reaches every site within
 * minutes, and a collector hiccup never breaks a page). The assets layer answers ETag/304.
 */
export const sdkAssetRoutes = new Hono<AppEnv>();

export const SDK_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=86400';

sdkAssetRoutes.get('/satu.min.js', async (c) => {
  const res = c.env.ASSETS ? await c.env.ASSETS.fetch(c.req.raw) : undefined;
  if (!res || res.status >= 400) {
    throw new ApiError(404, 'not_found', 'The SDK bundle is not built here; run `npm run build`');
  }
  const out = new Response(res.body, res);
  out.headers.set('cache-control', SDK_CACHE_CONTROL);
  out.headers.set('access-control-allow-origin', '*');
  out.headers.set('content-type', 'text/javascript; charset=utf-8');
  return out;
});
