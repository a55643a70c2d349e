import { cors } from 'hono/cors';

/**
 * Request headers a browser library may send to an ingest or settings route, so its CORS preflight
 * must allow them. A preflight naming any other header fails and the library's request never leaves
 * the page, so each one here is a header a real library sends:
 * - Authorization: Segment's analytics.js (Basic, write key) and RudderStack's JavaScript SDK.
 * - X-Retry-Count: analytics.js on a retried request.
 * - AnonymousId, SentAt: every RudderStack event request (AnonymousId keeps one visitor's events in order).
 * - Rsa-*: RudderStack on a retried or recovered request.
 */
export const INGEST_REQUEST_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-Retry-Count',
  'AnonymousId',
  'SentAt',
  'Rsa-Recovered',
  'Rsa-Retry-Attempt',
  'Rsa-Since-Last-Attempt',
  'Rsa-Since-First-Attempt',
  'Rsa-Retry-Reason',
] as const;

/**
 * CORS open to any origin, for ingest and settings routes only: they take a write key (public by
 * design), never a secret key. Mount it route by route, beside secret-key routes that must stay closed.
 *
 * @example
 * routes.use('/batch', openIngestCors(['POST']));
 */
export function openIngestCors(methods: readonly ('GET' | 'POST')[]) {
  return cors({
    origin: '*',
    allowMethods: [...methods, 'OPTIONS'],
    allowHeaders: [...INGEST_REQUEST_HEADERS],
    // Browsers hide Retry-After from cross-origin scripts unless exposed; the SDK's backoff honours it.
    exposeHeaders: ['Retry-After'],
    maxAge: 86400,
  });
}
