import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../http/errors';

/**
 * The marketer console: static files built into collector/public/console, served through the
 * ASSETS binding. Any path without a file extension is a client-side route and gets index.html.
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

const hasExtension = (path: string) => /\.[a-z0-9]+$/i.test(path);

async function serve(assets: Fetcher | undefined, url: URL): Promise<Response> {
  if (!assets) throw new ApiError(503, 'console_unavailable', 'The console is not built: run npm run build');
  const path = url.pathname.replace(/^\/console\/?/, '');
  // Asset handling turns ".../index.html" into "..." redirects, so ask for the directory itself.
  const file = path && hasExtension(path) ? `/console/${path}` : '/console/';
  let res = await assets.fetch(new Request(new URL(file, url)));
  if (res.status === 404 && !hasExtension(path)) res = await assets.fetch(new Request(new URL('/console/', url)));
  if (res.status === 404 && file === '/console/') {
    throw new ApiError(503, 'console_unavailable', 'The console is not built: run npm run build');
  }
  // Responses from fetch() carry immutable headers: copy before adding ours.
  const out = new Response(res.body, res);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) out.headers.set(name, value);
  return out;
}

consoleRoutes.get('/', (c) => serve(c.env.ASSETS, new URL(c.req.url)));
consoleRoutes.get('/*', (c) => serve(c.env.ASSETS, new URL(c.req.url)));
