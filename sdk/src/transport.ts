import { beacon, hasKeepalive } from './platform';

/**
 * The batch body (a contract `Batch`) around messages already in JSON, which are not serialised
 * again. The write key travels in the body and the body as text/plain, so the request is a CORS
 * "simple request": no preflight round trip, and sendBeacon can carry the same body.
 *
 * @example
 * batchBody('wk_1', ['{"type":"track","event":"A"}']) // -> '{"batch":[{"type":"track","event":"A"}],"sentAt":"...","writeKey":"wk_1"}'
 */
export const batchBody = (writeKey: string, messages: string[]): string =>
  `{"batch":[${messages}],"sentAt":"${new Date().toISOString()}","writeKey":${JSON.stringify(writeKey)}}`;

// A request that never answers (a proxy holding the connection, a half-open socket) would hold the
// delivery round, and with it every tab's lock, for good: past this it counts as no answer and is
// retried with backoff (the collector dedupes by messageId should it have stored it after all).
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * POSTs a batch body; resolves to the response, or undefined when none came (network error,
 * offline, DNS, CORS, no answer within `timeoutMs`: nothing says the collector stored it).
 * `keepalive` lets the request outlive the page (pagehide); the browser allows 64 KB of such
 * bodies in flight per page.
 *
 * @example
 * const res = await post('https://collector.example/v1/batch', batchBody(key, messages));
 */
export const post = (url: string, body: string, keepalive?: boolean, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Response | void> =>
  // Browsers without AbortSignal.timeout (before 2022) send without a limit, as before.
  fetch(url, { method: 'POST', body, keepalive, credentials: 'omit', signal: AbortSignal.timeout?.(timeoutMs) }).catch(() => {});

/**
 * Sends while the page is going away: fetch with keepalive where supported (its answer lets us
 * delete what was acknowledged if the page lives on, e.g. a hidden tab), sendBeacon otherwise.
 * Resolves to undefined when no answer can come back.
 */
export const postOnExit = (url: string, body: string): Promise<Response | void> =>
  hasKeepalive() ? post(url, body, true) : (beacon(url, body), Promise.resolve());
