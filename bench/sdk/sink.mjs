// The bench's one loopback server: it serves the bench page and the three bundles, answers the
// settings/config requests Segment and RudderStack would make to their CDNs, and swallows every
// event they send, counting messages per write key (each page load gets its own key).
// Everything is same-origin, and the page is cross-origin isolated (COOP/COEP), which gives
// performance.now() 5 us resolution in Chromium instead of 100 us.
import { createServer } from 'node:http';

const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Event routes of the three libraries (Segment's one-letter ones, RudderStack's and Segment's batch). */
const EVENT_PATH = /^\/v1\/(batch|t|p|i|g|a|track|page|identify|group|alias)$/;

/** The write key a request belongs to: in the body (Satu, Segment) or as Basic auth (RudderStack). */
function writeKeyOf(req, body) {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (basic) return Buffer.from(basic, 'base64').toString().split(':')[0];
  return body.writeKey ?? body.batch?.[0]?.writeKey;
}

/** Segment's CDN settings: only its own destination (no device-mode integrations), sending here. */
const segmentSettings = (writeKey, apiHost) => ({
  integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http' } },
  plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
  edgeFunction: {},
  analyticsNextEnabled: true,
  middlewareSettings: {},
  enabledMiddleware: {},
  metrics: { sampleRate: 0 },
  legacyVideoPluginsEnabled: false,
  remotePlugins: [],
});

/** RudderStack's source config: an enabled source with no destinations, no error reporting. */
const rudderConfig = (writeKey) => ({
  isHosted: false,
  source: {
    id: 'bench-source', name: 'bench', writeKey, enabled: true, workspaceId: 'bench',
    config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
    destinations: [],
  },
});

/**
 * @param {{ files: Record<string, string | Buffer> }} options path -> body of the static files ("/lib/satu.js", ...)
 * @returns {Promise<{ origin: string, received(writeKey: string): number, close(): Promise<void> }>}
 */
export async function startSink({ files }) {
  const counts = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const send = (status, type, body, headers = {}) =>
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...ISOLATED, ...headers }).end(body);
      if (req.method == 'OPTIONS') return send(204, 'text/plain', '', { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' });
      if (req.method == 'GET') {
        const settings = /^\/v1\/projects\/([^/]+)\/settings$/.exec(url.pathname);
        if (settings) return send(200, 'application/json', JSON.stringify(segmentSettings(settings[1], `${req.headers.host}/v1`)));
        if (url.pathname.startsWith('/sourceConfig')) return send(200, 'application/json', JSON.stringify(rudderConfig(url.searchParams.get('writeKey'))));
        const file = files[url.pathname];
        if (file == null) return send(404, 'text/plain', 'not found');
        return send(200, url.pathname.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', file);
      }
      if (req.method == 'POST' && EVENT_PATH.test(url.pathname)) {
        let body = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        } catch {}
        const key = writeKeyOf(req, body);
        counts.set(key, (counts.get(key) ?? 0) + (Array.isArray(body.batch) ? body.batch.length : 1));
        return send(200, 'application/json', '{"ok":true}');
      }
      send(200, 'application/json', '{}'); // metrics and anything else: accepted and ignored
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    received: (writeKey) => counts.get(writeKey) ?? 0,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
