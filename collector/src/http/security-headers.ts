import { createMiddleware } from 'hono/factory';
import { MESSAGE_TYPES } from '../../../sdk/src/contract';
import type { AppEnv } from '../env';

// Ingest routes and the SDK bundle are meant to be called and loaded by any site: they carry
// open CORS instead (routes/ingest.ts) and nothing here.
const OPEN_PATHS = new Set(['/v1/batch', ...MESSAGE_TYPES.map((t) => `/v1/${t}`), '/satu.min.js']);

const COMMON: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// The JSON API loads nothing and is never framed; its answers hold personal data, so no caching.
const API: Record<string, string> = {
  ...COMMON,
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

// Other pages (the console) keep their own scripts and styles but can never be framed.
const PAGES: Record<string, string> = {
  ...COMMON,
  'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
};

/** Whether a path is an open ingest route or the SDK bundle (no security headers, open CORS). */
export const isOpenPath = (path: string) => OPEN_PATHS.has(path.replace(/\/+$/, '') || '/');

/**
 * Security headers on every answer except the open ingest routes and the SDK bundle.
 * Headers a handler set itself (a Cache-Control on an asset, the console's CSP) are kept.
 */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (isOpenPath(c.req.path)) return;
  const headers = c.req.path === '/health' || c.req.path.startsWith('/v1/') ? API : PAGES;
  let res = c.res;
  // A response passed through from fetch() (static assets) has immutable headers.
  try {
    res.headers.set('X-Content-Type-Options', 'nosniff');
  } catch {
    res = new Response(res.body, res);
  }
  for (const [name, value] of Object.entries(headers)) {
    // A handler's own Cache-Control or CSP (the console sets a stricter one) is kept.
    if ((name === 'Cache-Control' || name === 'Content-Security-Policy') && res.headers.has(name)) continue;
    res.headers.set(name, value);
  }
  c.res = res;
});
