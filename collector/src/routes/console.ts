import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError, notFound } from '../http/errors';

/**
 * The marketer console: static files built into collector/public/console, served through the
 * ASSETS binding. Any path that is not a built file is a client-side route and gets index.html.
 */
export const consoleRoutes = new Hono<AppEnv>();

// The console loads only its own script and stylesheet and talks only to this origin. Charts are
// inline SVG built through the DOM, so neither 'unsafe-inline' nor 'unsafe-eval' is needed.
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  // Files keep their names across builds: revalidate every time (ETag keeps it cheap).
  'Cache-Control': 'no-cache',
};

// Only these are files; anything else is a client-side route, even when it ends like a file
// name (a profile route such as /console/profiles/email:ana@example.com ends in ".com").
const isAssetPath = (path: string) => /\.(js|css|map|png|svg|ico|webmanifest|txt|json|woff2)$/i.test(path);

async function serve(assets: Fetcher | undefined, url: URL): Promise<Response> {
  if (!assets) throw new ApiError(503, 'console_unavailable', 'The console is not built: run npm run build');
  const path = url.pathname.replace(/^\/console\/?/, '');
  // Asset handling turns ".../index.html" into "..." redirects, so ask for the directory itself.
  const file = isAssetPath(path) ? `/console/${path}` : '/console/';
  const res = await assets.fetch(new Request(new URL(file, url)));
  if (res.status === 404 && file === '/console/') {
    throw new ApiError(503, 'console_unavailable', 'The console is not built: run npm run build');
  }
  if (res.status === 404) throw notFound(`No console file ${path}`);
  // Responses from fetch() carry immutable headers: copy before adding ours.
  const out = new Response(res.body, res);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) out.headers.set(name, value);
  return out;
}

consoleRoutes.get('/', (c) => serve(c.env.ASSETS, new URL(c.req.url)));
consoleRoutes.get('/*', (c) => serve(c.env.ASSETS, new URL(c.req.url)));
