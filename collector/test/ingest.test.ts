import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { inboxOf } from '../src/resolver/inbox-client';
import { basic, call, callRaw, createWorkspace, sendBatch, settleInboxes, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace();
});

const countEvents = async (workspaceId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM events WHERE workspace_id = ?').bind(workspaceId).first<{ n: number }>())!.n;

describe('health and workspaces', () => {
  it('answers /health', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('request-id')).toBeTruthy();
  });

  it('creates a workspace with a write key and a secret key', async () => {
    expect(ws.id).toMatch(/^ws_/);
    expect(ws.writeKey).toMatch(/^wk_/);
    expect(ws.secretKey).toMatch(/^sk_/);
    const stored = await env.DB.prepare('SELECT key_hash FROM api_keys WHERE workspace_id = ?').bind(ws.id).all();
    expect(JSON.stringify(stored.results)).not.toContain(ws.writeKey);
  });

  it.each([
    ['no token', undefined, 401],
    ['wrong token', 'Bearer nope', 401],
  ])('refuses workspace creation with %s', async (_label, authorization, status) => {
    const res = await call('/v1/admin/workspaces', {
      method: 'POST',
      headers: authorization ? { authorization } : {},
      json: { name: 'x' },
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses a workspace without a name, naming the field', async () => {
    const res = await call('/v1/admin/workspaces', {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token' },
      json: {},
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'name' } });
  });
});

describe('ingestion statuses', () => {
  it('keeps properties, traits and context exactly as sent: numbers, unicode, nesting, nulls', async () => {
    const properties = { big: 12345678901234567000, small: 1e-7, neg: -0.5, text: 'é \u2028 "quoted" \\ 😀', nested: { list: [1, { deep: null }, 'x'], empty: {} }, none: null };
    const traits = { name: 'Zoë', tags: ['a', 'b'] };
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Exact', userId: 'exact-1', messageId: 'm-exact-1', properties, context: { page: { title: 'Tÿtle' } } },
      { type: 'identify', userId: 'exact-1', messageId: 'm-exact-2', traits },
    ]);
    expect(res.status).toBe(200);
    const timeline = (await (await call('/v1/profiles/user_id:exact-1/events', { headers: { authorization: `Bearer ${ws.secretKey}` } })).json()) as { data: { messageId: string; properties: unknown; traits: unknown; context: { page: unknown } }[] };
    const byId = Object.fromEntries(timeline.data.map((e) => [e.messageId, e]));
    expect(byId['m-exact-1']!.properties).toEqual(properties);
    expect(byId['m-exact-1']!.context.page).toEqual({ title: 'Tÿtle' });
    expect(byId['m-exact-2']!.traits).toEqual(traits);
    const profile = (await (await call('/v1/profiles/user_id:exact-1', { headers: { authorization: `Bearer ${ws.secretKey}` } })).json()) as { traits: unknown };
    expect(profile.traits).toEqual(traits);
  });

  it('keeps a known person exactly when later batches read and update them: traits, consent, revenue, merges', async () => {
    const traits = { name: 'Zoë "Z" \\ \u2028 😀', tags: ['a', null], nested: { n: -0.5, big: 12345678901234567000 } };
    const consent = { context: { consent: { categoryPreferences: { Analytics: true, 'Ads "x"': false } } } };
    expect((await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'exact-3', messageId: 'm-exact-3', traits, ...consent },
      { type: 'track', event: 'Order Completed', userId: 'exact-3', messageId: 'm-exact-4', properties: { revenue: 0.1 } },
    ])).status).toBe(200);
    // Each later batch reads the person back from D1 before it plans: revenue adds up as doubles
    // (0.1 + 0.2 + 0.3), and an alias merges a second profile into them.
    expect((await sendBatch(ws.writeKey, [{ type: 'track', event: 'Order Completed', userId: 'exact-3', messageId: 'm-exact-5', properties: { revenue: 0.2 } }])).status).toBe(200);
    expect((await sendBatch(ws.writeKey, [{ type: 'track', event: 'Order Completed', anonymousId: 'exact-3-anon', messageId: 'm-exact-6', properties: { revenue: 0.3 } }])).status).toBe(200);
    expect((await sendBatch(ws.writeKey, [{ type: 'alias', userId: 'exact-3', previousId: 'exact-3-anon', messageId: 'm-exact-7' }])).status).toBe(200);
    expect((await sendBatch(ws.writeKey, [{ type: 'track', event: 'Viewed', anonymousId: 'exact-3-anon', messageId: 'm-exact-8' }])).status).toBe(200);
    const profile = (await (await call('/v1/profiles/user_id:exact-3', { headers: { authorization: `Bearer ${ws.secretKey}` } })).json()) as {
      traits: unknown;
      consent: Record<string, { granted: boolean }>;
      computed: { revenue: number; eventCount: number; eventCounts: Record<string, number> };
      mergeCount: number;
    };
    expect(profile.traits).toEqual(traits);
    expect(Object.fromEntries(Object.entries(profile.consent).map(([k, v]) => [k, v.granted]))).toEqual({ Analytics: true, 'Ads "x"': false });
    expect(profile.computed.revenue).toBe(0.1 + 0.2 + 0.3);
    expect(profile.computed).toMatchObject({ eventCount: 6, eventCounts: { 'Order Completed': 3, Viewed: 1 } });
    expect(profile.mergeCount).toBe(1);
  });

  it('stores a batch sent with HTTP Basic', async () => {
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm-basic-1', properties: { total: 20 } },
      { type: 'page', anonymousId: 'a1', name: 'Home', messageId: 'm-basic-2' },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 2, rejected: [] });
    const row = await env.DB.prepare('SELECT * FROM events WHERE message_id = ?').bind('m-basic-1').first<Record<string, unknown>>();
    expect(row).toMatchObject({ workspace_id: ws.id, type: 'track', event: 'Order Completed', user_id: 'u1' });
    expect(JSON.parse(row!.properties as string)).toEqual({ total: 20 });
  });

  it('accepts the write key in the body (sendBeacon) and in the query string', async () => {
    const inBody = await call('/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ writeKey: ws.writeKey, batch: [{ type: 'track', event: 'A', anonymousId: 'x', messageId: 'm-body' }] }),
    });
    expect(inBody.status).toBe(200);
    const inQuery = await call(`/v1/batch?writeKey=${ws.writeKey}`, {
      method: 'POST',
      json: { batch: [{ type: 'track', event: 'A', anonymousId: 'x', messageId: 'm-query' }] },
    });
    expect(inQuery.status).toBe(200);
    expect(await inQuery.json()).toMatchObject({ accepted: 1 });
  });

  it.each([
    ['missing', {}],
    ['wrong', { authorization: basic('wk_not_a_real_key') }],
  ])('answers 401 for a %s write key', async (_label, headers) => {
    const res = await call('/v1/batch', { method: 'POST', headers, json: { batch: [] } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('does not take a secret key for ingestion', async () => {
    const res = await sendBatch(ws.secretKey, [{ type: 'track', event: 'A', userId: 'u' }]);
    expect(res.status).toBe(401);
  });

  it.each([
    ['not JSON', '{"batch": [', 'invalid_json'],
    ['empty', '', 'invalid_json'],
    ['an array', '[]', 'invalid_json'],
  ])('answers 400 when the body is %s', async (_label, body, code) => {
    const res = await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
  });

  it('answers 400 naming the field when there is no batch array', async () => {
    const res = await sendBatch(ws.writeKey, undefined as unknown as unknown[]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_batch', field: 'batch' } });
  });

  it('answers 413 for a body over 500 KB', async () => {
    const big = 'x'.repeat(20_000);
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'track', event: 'Big', userId: 'u', properties: { big }, messageId: `big-${i}` }));
    const res = await sendBatch(ws.writeKey, batch);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id LIKE 'big-%'").first('n')).toBe(0);
  });

  // A streamed body has no Content-Length: the collector counts the bytes as they arrive.
  const streamed = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.slice(i, i + 16_384));
        controller.close();
      },
    });
  };

  it.each([
    ['stores a streamed batch under the limit', 2, 200],
    ['answers 413 for a streamed batch over 500 KB', 30, 413],
  ])('%s', async (_label, count, status) => {
    const prefix = `stream-${status}-`;
    const big = 'x'.repeat(20_000);
    const batch = Array.from({ length: count }, (_, i) => ({ type: 'track', event: 'Big', userId: 'u', properties: { big }, messageId: `${prefix}${i}` }));
    const res = await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, body: streamed(JSON.stringify({ batch })) });
    expect(res.status).toBe(status);
    const stored = await env.DB.prepare('SELECT count(*) AS n FROM events WHERE message_id LIKE ?').bind(`${prefix}%`).first('n');
    expect(stored).toBe(status === 200 ? count : 0);
  });
});

describe('per-message validation', () => {
  it('stores the good messages of a mixed batch and reports each bad one', async () => {
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Good 1', userId: 'u2', messageId: 'mix-1' },
      { type: 'track', userId: 'u2', messageId: 'mix-bad-no-event' },
      { type: 'explode', userId: 'u2', messageId: 'mix-bad-type' },
      { type: 'identify', messageId: 'mix-bad-no-id', traits: { plan: 'pro' } },
      { type: 'track', event: 'Huge', userId: 'u2', messageId: 'mix-bad-size', properties: { blob: 'y'.repeat(33 * 1024) } },
      'not an object',
      { type: 'track', event: 'Bad props', userId: 'u2', messageId: 'mix-bad-props', properties: [1, 2] },
      { type: 'track', event: 'Bad time', userId: 'u2', messageId: 'mix-bad-time', timestamp: 'yesterday' },
      { type: 'identify', userId: 'u2', messageId: 'mix-2', traits: { plan: 'pro' } },
    ]);
    expect(res.status).toBe(200);
    const body = await res.json<{ accepted: number; rejected: { index: number; messageId: string | null; code: string; field?: string }[] }>();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.messageId, r.code, r.field])).toEqual([
      [1, 'mix-bad-no-event', 'invalid_field', 'event'],
      [2, 'mix-bad-type', 'invalid_field', 'type'],
      [3, 'mix-bad-no-id', 'missing_id', 'userId'],
      [4, 'mix-bad-size', 'message_too_large', ''],
      [5, null, 'invalid_message', ''],
      [6, 'mix-bad-props', 'invalid_field', 'properties'],
      [7, 'mix-bad-time', 'invalid_field', 'timestamp'],
    ].map(([i, id, code, field]) => [i, id, code, field || undefined]));
    const stored = await env.DB.prepare("SELECT message_id FROM events WHERE message_id LIKE 'mix-%' ORDER BY message_id").all();
    expect(stored.results.map((r) => r.message_id)).toEqual(['mix-1', 'mix-2']);
  });

  it.each(['track', 'identify', 'page', 'screen', 'group', 'alias'])('accepts a valid /v1/%s message', async (type) => {
    const message = { userId: 'u3', event: 'Clicked', groupId: 'g1', previousId: 'anon-9', messageId: `single-${type}` };
    const res = await call(`/v1/${type}`, { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: message });
    expect(res.status).toBe(200);
    const row = await env.DB.prepare('SELECT type FROM events WHERE message_id = ?').bind(`single-${type}`).first('type');
    expect(row).toBe(type);
  });

  it('answers 400 naming the field for a bad single message', async () => {
    const res = await call('/v1/track', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { userId: 'u' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'event' } });
  });
});

describe('exactly-once storage', () => {
  it('accepts a repeated messageId without storing it twice', async () => {
    const message = { type: 'track', event: 'Paid', userId: 'u4', messageId: 'dup-1' };
    for (let i = 0; i < 3; i++) {
      const res = await sendBatch(ws.writeKey, [message, message]);
      expect(await res.json()).toMatchObject({ accepted: 2, rejected: [] });
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'dup-1'").first('n')).toBe(1);
  });

  it('keeps the same messageId apart per workspace', async () => {
    const other = await createWorkspace('Other shop');
    await sendBatch(ws.writeKey, [{ type: 'track', event: 'X', userId: 'u', messageId: 'shared-id' }]);
    await sendBatch(other.writeKey, [{ type: 'track', event: 'X', userId: 'u', messageId: 'shared-id' }]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'shared-id'").first('n')).toBe(2);
  });

  it('gives a messageId to messages without one', async () => {
    const before = await countEvents(ws.id);
    await sendBatch(ws.writeKey, [{ type: 'track', event: 'No id', userId: 'u5' }, { type: 'track', event: 'No id', userId: 'u5' }]);
    expect(await countEvents(ws.id)).toBe(before + 2);
    const ids = await env.DB.prepare("SELECT message_id FROM events WHERE event = 'No id'").all<{ message_id: string }>();
    expect(new Set(ids.results.map((r) => r.message_id)).size).toBe(2);
  });
});

describe('normalisation and enrichment', () => {
  it('corrects the event time for the sender clock skew using sentAt', async () => {
    // The sender's clock runs one hour behind; the event happened 10 s before it was sent.
    const skew = 3_600_000;
    const now = Date.now();
    const sentAt = new Date(now - skew).toISOString();
    const timestamp = new Date(now - skew - 10_000).toISOString();
    await sendBatch(ws.writeKey, [{ type: 'track', event: 'Skewed', userId: 'u6', messageId: 'skew-1', timestamp }], { sentAt });
    const row = await env.DB.prepare("SELECT timestamp, received_at, original_timestamp FROM events WHERE message_id = 'skew-1'").first<{
      timestamp: number;
      received_at: number;
      original_timestamp: number;
    }>();
    expect(row!.original_timestamp).toBe(Date.parse(timestamp));
    expect(row!.received_at - row!.timestamp).toBe(10_000);
    expect(Math.abs(row!.timestamp - (now - 10_000))).toBeLessThan(5_000);
  });

  it('keeps the order a device recorded when its clock is right, whatever each request spent on the wire', async () => {
    // Two batches from one browser, 3 ms apart: the first was slow on the wire (900 ms), the second fast.
    // Correcting each by its own travel time would put the second event before the first.
    const now = Date.now();
    const first = { type: 'track', event: 'Step', userId: 'u6b', messageId: 'order-1', timestamp: new Date(now - 903).toISOString() };
    const second = { type: 'track', event: 'Step', userId: 'u6b', messageId: 'order-2', timestamp: new Date(now - 900).toISOString() };
    await sendBatch(ws.writeKey, [first], { sentAt: new Date(now - 902).toISOString() });
    await sendBatch(ws.writeKey, [second], { sentAt: new Date(Date.now() - 5).toISOString() });
    const rows = await env.DB.prepare(
      "SELECT message_id, timestamp FROM events WHERE message_id IN ('order-1', 'order-2') ORDER BY timestamp",
    ).all<{ message_id: string; timestamp: number }>();
    expect(rows.results).toEqual([
      { message_id: 'order-1', timestamp: Date.parse(first.timestamp) },
      { message_id: 'order-2', timestamp: Date.parse(second.timestamp) },
    ]);
  });

  it('never stores an event in the future, where it would hold lastSeen open', async () => {
    const now = Date.now();
    const future = { type: 'track', event: 'Future', userId: 'u6c', messageId: 'future-1', timestamp: '2099-01-01T00:00:00.000Z' };
    await sendBatch(ws.writeKey, [future], { sentAt: new Date(now).toISOString() });
    const stored = await env.DB.prepare("SELECT timestamp, received_at FROM events WHERE message_id = 'future-1'").first<{
      timestamp: number;
      received_at: number;
    }>();
    expect(stored!.timestamp).toBe(stored!.received_at);
    const profile = await call('/v1/profiles/user_id:u6c', { headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect(Date.parse((await profile.json<any>()).computed.lastSeen)).toBeLessThanOrEqual(Date.now());
  });

  it('parses the user agent into browser, os and device, and truncates the IP by default', async () => {
    const ua =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'a7', messageId: 'ua-1', context: { userAgent: ua, ip: '203.0.113.77' } }]);
    const row = await env.DB.prepare("SELECT context FROM events WHERE message_id = 'ua-1'").first<{ context: string }>();
    const context = JSON.parse(row!.context);
    expect(context.browser).toMatchObject({ name: 'Mobile Safari', version: '17.4' });
    expect(context.os).toMatchObject({ name: 'iOS', version: '17.4' });
    expect(context.device).toMatchObject({ type: 'mobile', manufacturer: 'Apple', model: 'iPhone' });
    expect(context.ip).toBe('203.0.113.0');
  });

  it('adds geo from Cloudflare request data', async () => {
    const request = new Request('http://collector.test/v1/batch', {
      method: 'POST',
      headers: { authorization: basic(ws.writeKey), 'content-type': 'application/json', 'cf-connecting-ip': '198.51.100.23' },
      body: JSON.stringify({ batch: [{ type: 'track', event: 'Geo', userId: 'u8', messageId: 'geo-1' }] }),
      cf: { country: 'ID', region: 'Jakarta', city: 'Jakarta', timezone: 'Asia/Jakarta' },
    } as RequestInit);
    const { exports } = await import('cloudflare:workers');
    const res = await exports.default.fetch(request);
    expect(res.status).toBe(200);
    await settleInboxes();
    const row = await env.DB.prepare("SELECT context FROM events WHERE message_id = 'geo-1'").first<{ context: string }>();
    const context = JSON.parse(row!.context);
    expect(context.location).toEqual({ country: 'ID', region: 'Jakarta', city: 'Jakarta', timezone: 'Asia/Jakarta' });
    expect(context.ip).toBe('198.51.100.0');
  });
});

describe('storage outage', () => {
  it('accepts while D1 is down, holds the event (never a dead letter) and stores it once D1 is back', async () => {
    const message = { type: 'track', event: 'During outage', userId: 'u9', messageId: 'outage-1' };
    await env.DB.exec('ALTER TABLE events RENAME TO events_offline');
    try {
      const res = await callRaw('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { batch: [message] } });
      expect(res.status).toBe(200);
      const status = await inboxOf(env, ws.id).settle(); // tries, fails on the outage, backs off
      expect(status).toMatchObject({ pending: 1, deadLettered: 0 });
    } finally {
      await env.DB.exec('ALTER TABLE events_offline RENAME TO events');
    }
    // The backed-off alarm brings it in (no settle: the alarm alone).
    await expect.poll(async () => (await inboxOf(env, ws.id).status()).pending, { timeout: 10_000, interval: 50 }).toBe(0);
    const retry = await sendBatch(ws.writeKey, [message]);
    expect(retry.status).toBe(200);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'outage-1'").first('n')).toBe(1);
  });
});

describe('CORS', () => {
  it('answers the preflight of ingest routes for any origin', async () => {
    const res = await call('/v1/batch', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('does not open CORS on the admin API', async () => {
    const res = await call('/v1/admin/workspaces', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('compressed bodies', () => {
  const compress = async (text: string, format: 'gzip' | 'deflate') =>
    new Response(new Blob([text]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer();
  const post = (body: BodyInit, encoding: string, path = '/v1/batch', contentType = 'application/json') =>
    call(path, { method: 'POST', headers: { authorization: basic(ws.writeKey), 'content-type': contentType, 'content-encoding': encoding }, body });
  const stored = async (prefix: string) =>
    env.DB.prepare('SELECT count(*) AS n FROM events WHERE message_id LIKE ?').bind(`${prefix}%`).first('n');

  // (LIKE ignores case, so each case gets its own prefix.)
  it.each([
    ['gzip', 'a'],
    ['x-gzip', 'b'],
    ['deflate', 'c'],
    ['GZIP', 'd'],
  ])('stores a batch sent with Content-Encoding %s', async (encoding, tag) => {
    const prefix = `enc-${tag}-`;
    const batch = [1, 2].map((i) => ({ type: 'track', event: 'Zipped', userId: 'z1', messageId: `${prefix}${i}` }));
    const format = encoding.toLowerCase() === 'deflate' ? 'deflate' : 'gzip';
    const res = await post(await compress(JSON.stringify({ batch }), format), encoding);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, accepted: 2 });
    expect(await stored(prefix)).toBe(2);
  });

  it('imports gzipped NDJSON', async () => {
    const ndjson = [1, 2, 3].map((i) => JSON.stringify({ type: 'track', event: 'Zipped import', userId: 'z2', messageId: `enc-import-${i}` })).join('\n');
    const res = await post(await compress(ndjson, 'gzip'), 'gzip', '/v1/import', 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3, rejectedCount: 0 });
    expect(await stored('enc-import-')).toBe(3);
  });

  it.each([
    ['an encoding it cannot decode', 'br', '{"batch":[]}', 415, 'unsupported_encoding'],
    ['an encoding named like an object property', 'constructor', '{"batch":[]}', 415, 'unsupported_encoding'],
    ['a body that is not the gzip it claims', 'gzip', '{"batch":[]}', 400, 'invalid_encoding'],
  ])('refuses %s, naming the header', async (_label, encoding, body, status, code) => {
    const res = await post(body, encoding);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, field: 'content-encoding' } });
  });

  it('answers 413 for a small gzip body that inflates past 500 KB, storing nothing', async () => {
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'track', event: 'Bomb', userId: 'z3', properties: { pad: ' '.repeat(20_000) }, messageId: `enc-bomb-${i}` }));
    const body = await compress(JSON.stringify({ batch }), 'gzip');
    expect(body.byteLength).toBeLessThan(10_000);
    const res = await post(body, 'gzip');
    expect(res.status).toBe(413);
    expect(await stored('enc-bomb-')).toBe(0);
  });
});
