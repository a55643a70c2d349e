import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { hashKey as sha256Hex } from '../src/auth/keys';
import { drainEventDeliveries } from '../src/destinations/drain-events';
import { verifySignature } from '../src/webhooks/signature';
import { MAX_ATTEMPTS } from '../src/destinations/delivery-policy';
import { createWorkspace, sendBatch, type TestWorkspace } from './helpers';
import { api } from './segment-fixtures';

// Every outbound call lands in the receiver Worker (collector/test/webhook-receiver.mjs), which
// answers as GA4, Mixpanel, Meta and WhatsApp do. Each destination points its `endpoint` at a
// base path of its own, so what each received is told apart.
const VENDORS = 'http://vendors.test';
const SECRET = 'whsec_forwarding_0123456789';
let ws: TestWorkspace;

interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}
const received = async (path: string): Promise<Received[]> => (await fetch(`${VENDORS}/__received?path=${path}`)).json<Received[]>();
const control = (path: string, settings: { fail?: number; delayMs?: number }) =>
  fetch(`${VENDORS}/__control`, { method: 'POST', body: JSON.stringify({ path, ...settings }) });

async function cron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function destination(json: Record<string, unknown>): Promise<string> {
  const res = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json<any>()) as { id: string }).id;
}

const deliveries = async (id: string, query = ''): Promise<any[]> => {
  const res = await api(ws.secretKey, `/v1/destinations/${id}/deliveries${query}`);
  expect(res.status).toBe(200);
  return (await res.json<any>()).data;
};

/** Polls until every delivery of the destination is settled (the drain runs after the ingest's response). */
const settled = (id: string, count: number) =>
  expect.poll(async () => (await deliveries(id)).filter((d) => d.status !== 'pending' || d.attempts > 0).length, { timeout: 10_000, interval: 50 }).toBe(count);

let seq = 0;
const T = Date.now() - 60_000;
const msg = (m: Record<string, unknown>): Record<string, any> => ({
  messageId: `fwd-${++seq}`,
  timestamp: new Date(T + seq * 1000).toISOString(),
  context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (Test)' },
  ...m,
});
const orderCompleted = (m: Record<string, unknown> = {}) =>
  msg({
    type: 'track',
    event: 'Order Completed',
    userId: 'u-sari',
    anonymousId: 'anon-sari',
    properties: {
      order_id: 'ord-1',
      revenue: 150000,
      currency: 'IDR',
      products: [
        { product_id: 'p-1', name: 'Batik shirt', price: 100000, quantity: 1 },
        { sku: 'SKU-2', name: 'Sarong', price: 25000, quantity: 2 },
      ],
    },
    ...m,
  });

beforeAll(async () => {
  ws = await createWorkspace('Forwarding');
});

describe('POST /v1/destinations with kind', () => {
  it.each([
    [{ kind: 'fax', url: `${VENDORS}/x`, secret: SECRET }, 'kind'],
    [{ kind: 'webhook', url: 'ftp://x', secret: SECRET }, 'url'],
    [{ kind: 'webhook', url: `${VENDORS}/x`, secret: 'short' }, 'secret'],
    [{ kind: 'webhook', url: `${VENDORS}/x`, secret: SECRET, filter: { types: ['bogus'] } }, 'filter.types[0]'],
    [{ kind: 'webhook', url: `${VENDORS}/x`, secret: SECRET, filter: { events: [] } }, 'filter.events'],
    [{ kind: 'webhook', url: `${VENDORS}/x`, secret: SECRET, segments: ['vip'] }, 'segments'],
    [{ kind: 'ga4', config: { apiSecret: 'abcdefgh12' } }, 'config.measurementId'],
    [{ kind: 'ga4', config: { measurementId: 'UA-1234', apiSecret: 'abcdefgh12' } }, 'config.measurementId'],
    [{ kind: 'ga4', config: { measurementId: 'G-ABC123' } }, 'config.apiSecret'],
    [{ kind: 'ga4', config: { measurementId: 'G-ABC123', apiSecret: 'abcdefgh12', endpoint: 'http://x.test/?a=1' } }, 'config.endpoint'],
    [{ kind: 'ga4', config: { measurementId: 'G-ABC123', apiSecret: 'abcdefgh12' }, filter: { types: ['track', 'identify'] } }, 'filter.types[1]'],
    [{ kind: 'ga4' }, 'config'],
    [{ kind: 'mixpanel', config: { projectToken: 'tok 1', apiSecret: 'abcdefgh12' } }, 'config.projectToken'],
    [{ kind: 'mixpanel', config: { projectToken: 'token123', apiSecret: 'abcdefgh12', region: 'eu' } }, 'config.region'],
    [{ kind: 'meta', config: { pixelId: 'pixel', accessToken: 'EAAB12345678' } }, 'config.pixelId'],
    [{ kind: 'meta', config: { pixelId: '1234567890' } }, 'config.accessToken'],
    [{ kind: 'whatsapp', config: { phoneNumberId: '1098765432', accessToken: 'EAAB12345678', template: 'welcome', language: 'en_US' } }, 'segments'],
    [{ kind: 'whatsapp', segments: ['vip'], config: { phoneNumberId: '1098765432', accessToken: 'EAAB12345678', template: 'Welcome!', language: 'en_US' } }, 'config.template'],
    [{ kind: 'whatsapp', segments: ['vip'], config: { phoneNumberId: '1098765432', accessToken: 'EAAB12345678', template: 'welcome', language: 'english' } }, 'config.language'],
    [{ kind: 'whatsapp', segments: ['nope'], config: { phoneNumberId: '1098765432', accessToken: 'EAAB12345678', template: 'welcome', language: 'en' } }, 'segments[0]'],
    [{ kind: 'meta', config: { pixelId: '1234567890', accessToken: 'EAAB12345678' }, consentCategory: 'Ads"; DROP' }, 'consentCategory'],
  ])('%j is a 400 naming %s', async (json, field) => {
    const res = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json });
    expect(res.status).toBe(400);
    expect(((await res.json<any>()) as any).error.field).toBe(field);
  });

  it('keeps secrets write-only: reads show them masked', async () => {
    const id = await destination({ kind: 'meta', config: { pixelId: '1234567890', accessToken: 'EAABsecretsecret', testEventCode: 'TEST123' } });
    const one = await (await api(ws.secretKey, `/v1/destinations/${id}`)).json<any>();
    expect(one).toMatchObject({ kind: 'meta', url: 'https://graph.facebook.com', config: { pixelId: '1234567890', accessToken: 'EAAB••••••••', testEventCode: 'TEST123' } });
    expect(one.filter).toEqual({ types: ['track', 'page'], events: null });
    const list = await (await api(ws.secretKey, '/v1/destinations')).json<any>();
    expect(JSON.stringify(list)).not.toContain('secretsecret');
    expect(list.data.find((d: any) => d.id === id).health).toEqual({ pending: 0, delivered: 0, dead: 0, skipped: 0, lastAttemptAt: null });
    expect((await api(ws.secretKey, `/v1/destinations/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('leaves segment webhooks as they were when kind is absent', async () => {
    const res = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json: { url: `${VENDORS}/seg`, secret: SECRET } });
    expect(res.status).toBe(201);
    const d = await res.json<any>();
    expect(d).toMatchObject({ kind: 'segments', url: `${VENDORS}/seg`, secret: 'whse••••••••', segments: null, events: ['segment.entered', 'segment.exited'] });
    expect((await api(ws.secretKey, `/v1/destinations/${d.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('event forwarding', () => {
  it('posts signed Segment-spec batches to a webhook, each event once even when the sender retries', async () => {
    const id = await destination({ kind: 'webhook', url: `${VENDORS}/fwd-webhook`, secret: SECRET });
    const batch = [orderCompleted(), msg({ type: 'page', anonymousId: 'anon-2', name: 'Home', properties: { url: 'https://shop.test/' } }), msg({ type: 'identify', userId: 'u-2', traits: { plan: 'pro' } })];
    expect((await sendBatch(ws.writeKey, batch)).status).toBe(200);
    expect((await sendBatch(ws.writeKey, batch)).status).toBe(200); // the sender's retry: same messageIds
    await settled(id, 3);
    const posts = await received('/fwd-webhook');
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(await verifySignature(SECRET, post.body, post.headers['satu-signature'], Date.now() / 1000)).toBe(true);
    const body = JSON.parse(post.body);
    expect(body.batch.map((m: any) => [m.type, m.messageId])).toEqual(batch.map((m) => [m.type, m.messageId]));
    expect(body.batch[0]).toMatchObject({ event: 'Order Completed', userId: 'u-sari', properties: { order_id: 'ord-1' }, timestamp: batch[0].timestamp });
    const list = await deliveries(id);
    expect(list.map((d) => [d.messageId, d.status, d.attempts])).toEqual(batch.map((m) => [m.messageId, 'delivered', 1]).reverse());
    await api(ws.secretKey, `/v1/destinations/${id}`, { method: 'DELETE' });
  });

  it('maps to GA4 recommended events over the Measurement Protocol', async () => {
    const id = await destination({ kind: 'ga4', config: { measurementId: 'G-TEST123', apiSecret: 'ga4-secret-1', endpoint: `${VENDORS}/fwd-ga4/` } });
    const batch = [
      orderCompleted(),
      msg({ type: 'track', event: 'Product Viewed', anonymousId: 'anon-sari', userId: 'u-sari', properties: { product_id: 'p-1', name: 'Batik shirt', price: 100000, currency: 'IDR' } }),
      msg({ type: 'page', anonymousId: 'anon-sari', userId: 'u-sari', properties: { url: 'https://shop.test/batik', title: 'Batik' } }),
      msg({ type: 'track', event: 'Video Played', anonymousId: 'anon-3', properties: { videoId: 'v1', autoplay: true } }),
      msg({ type: 'identify', userId: 'u-sari', traits: { plan: 'pro' } }),
    ];
    expect((await sendBatch(ws.writeKey, batch)).status).toBe(200);
    await settled(id, 4); // identify is not a GA4 event: never queued
    const calls = await received('/fwd-ga4/mp/collect');
    expect(calls.every((c) => c.status === 204)).toBe(true);
    expect(new URL(calls[0].url).search).toBe('?measurement_id=G-TEST123&api_secret=ga4-secret-1');
    const bodies = calls.map((c) => JSON.parse(c.body));
    const sari = bodies.find((b) => b.client_id === 'anon-sari');
    expect(sari.user_id).toBe('u-sari');
    expect(sari.events.map((e: any) => e.name)).toEqual(['purchase', 'view_item', 'page_view']);
    expect(sari.events[0].params).toMatchObject({
      transaction_id: 'ord-1',
      value: 150000,
      currency: 'IDR',
      items: [
        { item_id: 'p-1', item_name: 'Batik shirt', price: 100000, quantity: 1 },
        { item_id: 'SKU-2', item_name: 'Sarong', price: 25000, quantity: 2 },
      ],
    });
    expect(sari.events[0].timestamp_micros).toBe(Date.parse(batch[0].timestamp) * 1000);
    expect(sari.events[2].params).toMatchObject({ page_location: 'https://shop.test/batik', page_title: 'Batik' });
    const other = bodies.find((b) => b.client_id === 'anon-3');
    expect(other.user_id).toBeUndefined();
    expect(other.events[0]).toMatchObject({ name: 'video_played', params: { video_id: 'v1', autoplay: 'true' } });
  });

  it('imports into Mixpanel with Basic auth and $insert_id, sets profiles on identify, and dead-letters only the records Mixpanel refuses', async () => {
    const id = await destination({ kind: 'mixpanel', config: { projectToken: 'mptoken123', apiSecret: 'mp-api-secret', endpoint: `${VENDORS}/fwd-mixpanel` } });
    const good = orderCompleted({ messageId: 'c0ffee00-1111-4222-8333-444455556666' });
    // Mixpanel refuses this distinct_id; and its messageId is no valid $insert_id (underscores)
    const placeholder = msg({ messageId: 'fwd_placeholder_1', type: 'track', event: 'Clicked', anonymousId: 'anonymous' });
    const identify = msg({ type: 'identify', userId: 'u-sari', traits: { email: 'sari@example.com', firstName: 'Sari', plan: 'pro' } });
    expect((await sendBatch(ws.writeKey, [good, placeholder, identify])).status).toBe(200);
    await settled(id, 3);
    const [imported] = await received('/fwd-mixpanel/import');
    expect(imported.headers.authorization).toBe(`Basic ${btoa('mp-api-secret:')}`);
    expect(imported.status).toBe(400); // Mixpanel's partial success
    const records = JSON.parse(imported.body);
    expect(records[0]).toMatchObject({
      event: 'Order Completed',
      properties: { token: 'mptoken123', distinct_id: 'u-sari', time: Date.parse(good.timestamp), $insert_id: good.messageId, order_id: 'ord-1', $device_id: 'anon-sari' },
    });
    // messageIds Mixpanel would refuse as $insert_id become a stable hash of themselves
    expect(records[1].properties.$insert_id).toBe((await sha256Hex(placeholder.messageId)).slice(0, 36));
    const [engage] = await received('/fwd-mixpanel/engage');
    expect(JSON.parse(engage.body)).toEqual([{ $token: 'mptoken123', $distinct_id: 'u-sari', $ip: 0, $set: { $email: 'sari@example.com', $first_name: 'Sari', plan: 'pro' } }]);
    const byMessage = Object.fromEntries((await deliveries(id)).map((d) => [d.messageId, d]));
    expect(byMessage[good.messageId]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(byMessage[identify.messageId]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(byMessage[placeholder.messageId]).toMatchObject({ status: 'dead', attempts: 1, lastResponseStatus: 400 });
    expect(byMessage[placeholder.messageId].lastError).toContain('distinct_id');
  });

  it("sends Meta conversions with the person's hashed email and phone from the profile", async () => {
    const id = await destination({ kind: 'meta', config: { pixelId: '1234567890', accessToken: 'EAABgoodtoken', endpoint: `${VENDORS}/fwd-meta` } });
    const identify = msg({ type: 'identify', userId: 'u-meta', anonymousId: 'anon-meta', traits: { email: ' Meta.Buyer@Example.com ', phone: '+62 812-3456-7890' } });
    expect((await sendBatch(ws.writeKey, [identify])).status).toBe(200);
    // The purchase itself carries no email or phone: they come from the profile.
    const order = orderCompleted({ userId: 'u-meta', anonymousId: 'anon-meta', context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Buyer)', page: { url: 'https://shop.test/thanks' } } });
    expect((await sendBatch(ws.writeKey, [order])).status).toBe(200);
    await settled(id, 1);
    const calls = await received('/fwd-meta/v25.0/1234567890/events');
    expect(calls.map((c) => c.status)).toEqual([200]);
    const body = JSON.parse(calls[0].body);
    expect(body.access_token).toBe('EAABgoodtoken');
    expect(body.data).toEqual([
      {
        event_name: 'Purchase',
        event_time: Math.floor(Date.parse(order.timestamp) / 1000),
        event_id: order.messageId,
        action_source: 'website',
        event_source_url: 'https://shop.test/thanks',
        user_data: {
          em: [await sha256Hex('meta.buyer@example.com')],
          ph: [await sha256Hex('6281234567890')],
          external_id: [await sha256Hex('u-meta')],
          client_ip_address: '203.0.113.0', // as stored: the workspace's IP policy (truncate) applies to forwarding too
          client_user_agent: 'Mozilla/5.0 (Buyer)',
        },
        custom_data: {
          value: 150000,
          currency: 'IDR',
          order_id: 'ord-1',
          contents: [
            { id: 'p-1', quantity: 1, item_price: 100000 },
            { id: 'SKU-2', quantity: 2, item_price: 25000 },
          ],
          content_ids: ['p-1', 'SKU-2'],
          content_type: 'product',
        },
      },
    ]);
  });

  it('retries a vendor that fails first, with backoff, until it answers', async () => {
    await control('/fwd-flaky/mp/collect', { fail: 1 });
    const id = await destination({ kind: 'ga4', config: { measurementId: 'G-FLAKY1', apiSecret: 'ga4-secret-1', endpoint: `${VENDORS}/fwd-flaky` } });
    const event = msg({ type: 'track', event: 'Signed Up', anonymousId: 'anon-flaky' });
    expect((await sendBatch(ws.writeKey, [event])).status).toBe(200);
    await settled(id, 1);
    const [first] = await deliveries(id);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastResponseStatus: 500, lastError: 'HTTP 500: receiver is down' });
    // Not due yet: a drain now sends nothing.
    await cron(Date.now());
    expect((await deliveries(id))[0].attempts).toBe(1);
    await cron(Date.parse(first.nextAttemptAt) + 1000);
    expect((await deliveries(id))[0]).toMatchObject({ status: 'delivered', attempts: 2, lastResponseStatus: 204 });
    expect((await received('/fwd-flaky/mp/collect')).map((c) => c.status)).toEqual([500, 204]);
  });

  it(`dead-letters at once on a 4xx, and after ${MAX_ATTEMPTS} failed attempts on 5xx`, async () => {
    const badToken = await destination({ kind: 'meta', config: { pixelId: '1234567890', accessToken: 'bad-token-123', endpoint: `${VENDORS}/fwd-meta-bad` } });
    await control('/fwd-down', { fail: -1 });
    const down = await destination({ kind: 'webhook', url: `${VENDORS}/fwd-down`, secret: SECRET, filter: { events: ['Dead End'] } });
    const event = msg({ type: 'track', event: 'Dead End', anonymousId: 'anon-dead' });
    expect((await sendBatch(ws.writeKey, [event])).status).toBe(200);
    await settled(badToken, 1);
    expect((await deliveries(badToken))[0]).toMatchObject({ status: 'dead', attempts: 1, lastResponseStatus: 400 });
    expect((await deliveries(badToken))[0].lastError).toContain('Invalid OAuth access token');
    await settled(down, 1);
    let clock = Date.now();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      clock += 7 * 3_600_000; // past the longest backoff
      await cron(clock);
    }
    expect((await deliveries(down))[0]).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
    expect(await received('/fwd-down')).toHaveLength(MAX_ATTEMPTS);
  });

  it('filters by type, event name and consent category', async () => {
    const id = await destination({
      kind: 'webhook',
      url: `${VENDORS}/fwd-filtered`,
      secret: SECRET,
      filter: { events: ['Order Completed'] },
      consentCategory: 'Advertising',
    });
    const consent = (advertising: boolean) => ({ ip: '203.0.113.9', consent: { categoryPreferences: { Advertising: advertising, Analytics: true } } });
    const granted = orderCompleted({ messageId: 'flt-granted', anonymousId: 'anon-flt', context: consent(true) });
    const batch = [
      granted,
      orderCompleted({ messageId: 'flt-refused', anonymousId: 'anon-flt', context: consent(false) }),
      orderCompleted({ messageId: 'flt-unknown', anonymousId: 'anon-flt' }),
      msg({ messageId: 'flt-other-event', type: 'track', event: 'Product Viewed', anonymousId: 'anon-flt', context: consent(true) }),
      msg({ messageId: 'flt-page', type: 'page', anonymousId: 'anon-flt', context: consent(true) }),
    ];
    expect((await sendBatch(ws.writeKey, batch)).status).toBe(200);
    await settled(id, 1);
    expect((await deliveries(id)).map((d) => d.messageId)).toEqual(['flt-granted']);
  });

  it('lets a slow destination time out without holding back another', async () => {
    // Only the two destinations of this test take its event.
    for (const d of (await (await api(ws.secretKey, '/v1/destinations')).json<any>()).data) {
      await api(ws.secretKey, `/v1/destinations/${d.id}`, { method: 'DELETE' });
    }
    await control('/fwd-slow', { delayMs: 3000 });
    const slow = await destination({ kind: 'webhook', url: `${VENDORS}/fwd-slow`, secret: SECRET, filter: { events: ['Race'] } });
    const fast = await destination({ kind: 'webhook', url: `${VENDORS}/fwd-fast`, secret: SECRET, filter: { events: ['Race'] } });
    // Queue without the ingest's own drain: this test drives the drain itself, with a short timeout.
    const { enqueueEventForwarding } = await import('../src/destinations/enqueue');
    const event = { messageId: 'race-1', type: 'track' as const, event: 'Race', context: {}, profileId: null };
    await env.DB.prepare(
      `INSERT INTO events (workspace_id, message_id, type, event, anonymous_id, timestamp, received_at, context) VALUES (?1, 'race-1', 'track', 'Race', 'anon-race', ?2, ?2, '{}')`,
    ).bind(ws.id, Date.now()).run();
    expect(await enqueueEventForwarding(env.DB, ws, [event])).toBe(2);
    const report = await drainEventDeliveries(env.DB, { workspaceId: ws.id, timeoutMs: 300 });
    expect(report).toMatchObject({ delivered: 1, retrying: 1 });
    expect((await deliveries(fast))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect((await deliveries(slow))[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await deliveries(slow))[0].lastError).toMatch(/^TimeoutError/);
    await control('/fwd-slow', { delayMs: 0 });
  });
});

describe('WhatsApp on segment entry', () => {
  it('sends the template to people entering the segment who have a phone, and to nobody else', async () => {
    const created = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'wa_vip', name: 'VIP', condition: { trait: 'plan', op: 'eq', value: 'vip' } } });
    expect(created.status).toBe(201);
    const id = await destination({
      kind: 'whatsapp',
      segments: ['wa_vip'],
      config: { phoneNumberId: '1098765432', accessToken: 'EAABwhatsapp1', template: 'vip_welcome', language: 'id', endpoint: `${VENDORS}/fwd-wa` },
    });
    expect(
      (
        await sendBatch(ws.writeKey, [
          msg({ type: 'identify', userId: 'u-wa-1', traits: { plan: 'vip', phone: '+62 811 2233 4455' } }),
          msg({ type: 'identify', userId: 'u-wa-2', traits: { plan: 'vip', email: 'nophone@example.com' } }),
          msg({ type: 'identify', userId: 'u-wa-3', traits: { plan: 'basic', phone: '+62 811 9999 0000' } }),
        ])
      ).status,
    ).toBe(200);
    await settled(id, 1);
    const list = await deliveries(id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ event: 'segment.entered', segmentKey: 'wa_vip', status: 'delivered', attempts: 1, lastResponseStatus: 200 });
    const [sent] = await received('/fwd-wa/v25.0/1098765432/messages');
    expect(sent.headers.authorization).toBe('Bearer EAABwhatsapp1');
    expect(JSON.parse(sent.body)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+6281122334455',
      type: 'template',
      template: { name: 'vip_welcome', language: { code: 'id' } },
    });
    const listed = await (await api(ws.secretKey, '/v1/destinations')).json<any>();
    expect(listed.data.find((d: any) => d.id === id)).toMatchObject({ kind: 'whatsapp', segments: ['wa_vip'], config: { accessToken: 'EAAB••••••••' }, health: { delivered: 1 } });
  });

  it("messages only people whose profile grants the destination's consent category", async () => {
    const created = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'wa_gold', name: 'Gold', condition: { trait: 'plan', op: 'eq', value: 'gold' } } });
    expect(created.status).toBe(201);
    const id = await destination({
      kind: 'whatsapp',
      segments: ['wa_gold'],
      consentCategory: 'Marketing',
      config: { phoneNumberId: '1098765433', accessToken: 'EAABwhatsapp1', template: 'gold_welcome', language: 'en', endpoint: `${VENDORS}/fwd-wa-consent` },
    });
    const consent = (granted: boolean) => ({ consent: { categoryPreferences: { Marketing: granted } } });
    expect(
      (
        await sendBatch(ws.writeKey, [
          msg({ type: 'identify', userId: 'u-gold-1', traits: { plan: 'gold', phone: '+6281200000001' }, context: consent(true) }),
          msg({ type: 'identify', userId: 'u-gold-2', traits: { plan: 'gold', phone: '+6281200000002' }, context: consent(false) }),
          msg({ type: 'identify', userId: 'u-gold-3', traits: { plan: 'gold', phone: '+6281200000003' } }),
        ])
      ).status,
    ).toBe(200);
    await settled(id, 1);
    expect(await deliveries(id)).toHaveLength(1);
    const sent = await received('/fwd-wa-consent/v25.0/1098765433/messages');
    expect(sent.map((r) => JSON.parse(r.body).to)).toEqual(['+6281200000001']);
  });
});
