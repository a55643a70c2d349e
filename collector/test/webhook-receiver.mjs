// A second Worker in the test runtime that plays the webhook receiver: the collector's outbound
// fetches are routed here (vitest.config.ts: outboundService). It records every request and
// answers 500 as many times as a test asked it to for a path, then 200.
//   POST /__control {"path": "/a", "fail": 2}   make the next 2 requests to /a fail
//   GET  /__received?path=/a                    what /a received: [{headers, body, status}]
const received = new Map();
const failures = new Map();

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__control') {
      const { path, fail } = await request.json();
      failures.set(path, fail);
      return Response.json({ ok: true });
    }
    if (url.pathname === '/__received') {
      return Response.json(received.get(url.searchParams.get('path')) ?? []);
    }
    const body = await request.text();
    const left = failures.get(url.pathname) ?? 0;
    const status = left !== 0 ? 500 : 200;
    if (left > 0) failures.set(url.pathname, left - 1);
    const list = received.get(url.pathname) ?? [];
    list.push({ headers: Object.fromEntries(request.headers), body, status });
    received.set(url.pathname, list);
    return new Response(status === 200 ? 'ok' : 'receiver is down', { status });
  },
};
