import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { promoMessage } from '../../examples/segment-webhooks/promo.mjs';
import { verifySatuSignature } from '../../examples/segment-webhooks/verify.mjs';
import worker from '../src/index';
import { verifySignature } from '../src/webhooks/signature';
import { MAX_ATTEMPTS } from '../src/webhooks/retry-policy';
import { createWorkspace, type TestWorkspace } from './helpers';
import { api, DAY, insertEvents, insertIdentities, insertProfiles } from './segment-fixtures';

// Deliveries leave the collector through its real fetch and land in the receiver Worker
// (collector/test/webhook-receiver.mjs); paths are unique to this file.
const HOOKS = 'http://hooks.test/webhooks-test';
const SECRET = 'whsec_0123456789abcdef';
let ws: TestWorkspace;
const T = Date.now();
// The first drain's clock: after the deliveries were queued in beforeAll.
let start = 0;

interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
}
const received = async (path: string): Promise<Received[]> => (await fetch(`http://hooks.test/__received?path=/webhooks-test${path}`)).json<Received[]>();
const failNext = (path: string, fail: number) =>
  fetch('http://hooks.test/__control', { method: 'POST', body: JSON.stringify({ path: `/webhooks-test${path}`, fail }) });

async function cron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function destination(path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json: { url: `${HOOKS}${path}`, secret: SECRET, ...extra } });
  expect(res.status).toBe(201);
  return ((await res.json<any>()) as { id: string }).id;
}

const deliveries = async (id: string, query = '') => (await (await api(ws.secretKey, `/v1/destinations/${id}/deliveries${query}`)).json<any>()).data;

let alwaysOk: string;
let flaky: string;
let down: string;

beforeAll(async () => {
  ws = await createWorkspace('Webhooks');
  await insertProfiles(ws.id, [{ id: 'w_sari', traits: { firstName: 'Sari', plan: 'pro' }, lastSeen: T - DAY }]);
  await insertIdentities(ws.id, [
    ['w_sari', 'phone', '+6281234567890'],
    ['w_sari', 'email', 'sari@example.com'],
  ]);
  await insertEvents(ws.id, [{ profileId: 'w_sari', event: 'Product Added', timestamp: T - 6 * DAY }]);
  // The segment exists (matching nobody) before the destinations that name it; its real
  // condition then arrives by PUT, and the re-evaluation's entry fans out to all three.
  const created = await api(ws.secretKey, '/v1/segments', {
    method: 'POST',
    json: { key: 'cart_abandoners', name: 'Cart abandoners', condition: { trait: 'plan', op: 'eq', value: 'none' } },
  });
  expect(created.status).toBe(201);
  alwaysOk = await destination('/ok');
  flaky = await destination('/flaky', { events: ['segment.entered'] });
  down = await destination('/down', { segments: ['cart_abandoners'] });
  await failNext('/flaky', 2);
  await failNext('/down', -1);
  const res = await api(ws.secretKey, '/v1/segments/cart_abandoners', {
    method: 'PUT',
    json: { condition: { and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] } },
  });
  expect(res.status).toBe(200);
});

describe('webhook deliveries', () => {
  it('sends a signed entry that the example receiver verifies and turns into a promo', async () => {
    start = Date.now();
    await cron(start);
    const [hit] = await received('/ok');
    expect(hit.status).toBe(200);
    const header = hit.headers['satu-signature'];
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySatuSignature(SECRET, hit.body, header, { nowSeconds: start / 1000 })).toBe(true);
    expect(await verifySignature(SECRET, hit.body, header, start / 1000)).toBe(true);
    expect(verifySatuSignature(SECRET, hit.body.replace('Sari', 'Eve'), header, { nowSeconds: start / 1000 })).toBe(false);
    expect(verifySatuSignature('wrong-secret-0123456', hit.body, header, { nowSeconds: start / 1000 })).toBe(false);
    expect(verifySatuSignature(SECRET, hit.body, header, { nowSeconds: start / 1000 + 3600 })).toBe(false);

    const webhook = JSON.parse(hit.body);
    expect(webhook).toMatchObject({
      id: expect.stringMatching(/^chg_\d+$/),
      type: 'segment.entered',
      workspaceId: ws.id,
      segment: { key: 'cart_abandoners', name: 'Cart abandoners' },
      profile: { id: 'w_sari', traits: { firstName: 'Sari' } },
    });
    expect(hit.headers['satu-event-id']).toBe(webhook.id);
    expect(promoMessage(webhook)).toMatchObject({
      messaging_product: 'whatsapp',
      to: '6281234567890',
      type: 'template',
      template: { name: 'cart_reminder', components: [{ parameters: [{ text: 'Sari' }, { text: 'BALIK10' }] }] },
    });
  });

  it('retries a failing receiver with backoff until it answers 2xx', async () => {
    expect(await received('/flaky')).toHaveLength(1);
    const [pending] = await deliveries(flaky);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastResponseStatus: 500, lastError: 'HTTP 500', event: 'segment.entered' });
    const retryAt = Date.parse(pending.nextAttemptAt);
    expect(retryAt - start).toBeGreaterThanOrEqual(48_000);
    expect(retryAt - start).toBeLessThan(73_000);

    await cron(start + 30_000); // not due yet
    expect(await received('/flaky')).toHaveLength(1);
    await cron(start + 80_000); // second attempt fails, next in ~2 minutes
    await cron(start + 10 * 60_000); // third succeeds
    const hits = await received('/flaky');
    expect(hits.map((h) => h.status)).toEqual([500, 500, 200]);
    expect(hits.map((h) => h.headers['satu-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(hits.map((h) => JSON.parse(h.body).id)).size).toBe(1);
    expect(await deliveries(flaky)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3, lastResponseStatus: 200 })]);
  });

  it('never sends an entry twice, however often memberships are re-evaluated', async () => {
    expect((await api(ws.secretKey, '/v1/segments/evaluate', { method: 'POST' })).status).toBe(200);
    await cron(start + 11 * 60_000);
    await cron(start + 12 * 60_000);
    const entries = (await received('/ok')).map((h) => JSON.parse(h.body)).filter((w) => w.type === 'segment.entered');
    expect(entries).toHaveLength(1);
  });

  it('sends the exit once when the window expires, only to destinations that asked for exits', async () => {
    await cron(T + 2 * DAY);
    const ok = (await received('/ok')).map((h) => JSON.parse(h.body));
    expect(ok.map((w) => w.type)).toEqual(['segment.entered', 'segment.exited']);
    expect(ok[1]).toMatchObject({ reason: 'no_longer_matches', profile: { id: 'w_sari' } });
    expect((await received('/flaky')).map((h) => JSON.parse(h.body).type)).not.toContain('segment.exited');
  });

  it('holds an exit back while the entry it closes is still being retried, then dead-letters', async () => {
    // /down has failed every attempt of the entry so far; its exit must not overtake it.
    expect((await received('/down')).map((h) => JSON.parse(h.body).type).every((t) => t === 'segment.entered')).toBe(true);
    let clock = T + 2 * DAY;
    // Longer than the longest backoff: every round is one more attempt of the head of the queue.
    for (let i = 0; i < 2 * MAX_ATTEMPTS; i++) await cron((clock += 8 * 3_600_000));
    const rows = await deliveries(down);
    expect(rows.map((r: { event: string; status: string; attempts: number }) => [r.event, r.status, r.attempts])).toEqual([
      ['segment.exited', 'dead', MAX_ATTEMPTS],
      ['segment.entered', 'dead', MAX_ATTEMPTS],
    ]);
    const types = (await received('/down')).map((h) => JSON.parse(h.body).type);
    expect(types.indexOf('segment.exited')).toBe(types.lastIndexOf('segment.entered') + 1);
    expect(await deliveries(down, '?status=dead&limit=1')).toHaveLength(1);
    expect(await deliveries(down, '?status=pending')).toEqual([]);
  });

  it('prunes finished deliveries and their changes after 30 days, in the hourly sweep', async () => {
    const countChanges = async () =>
      (await env.DB.prepare('SELECT count(*) AS n FROM segment_changes WHERE workspace_id = ?1').bind(ws.id).first<{ n: number }>())!.n;
    expect(await countChanges()).toBeGreaterThan(0);
    const at = T + 40 * DAY;
    await cron(at - (new Date(at).getUTCMinutes() * 60_000)); // minute 0: the sweep
    expect(await deliveries(down)).toEqual([]);
    expect(await deliveries(alwaysOk)).toEqual([]);
    expect(await countChanges()).toBe(0);
  });
});

describe('destinations API', () => {
  it('lists destinations with a masked secret', async () => {
    const list = (await (await api(ws.secretKey, '/v1/destinations')).json<any>()).data;
    expect(list).toHaveLength(3);
    expect(JSON.stringify(list)).not.toContain(SECRET);
    expect(list[2]).toMatchObject({ id: down, segments: ['cart_abandoners'], events: ['segment.entered', 'segment.exited'] });
  });

  it.each([
    ['a bad url', { url: 'ftp://x', secret: SECRET }, 'url'],
    ['a short secret', { url: HOOKS, secret: 'short' }, 'secret'],
    ['unknown events', { url: HOOKS, secret: SECRET, events: ['segment.updated'] }, 'events'],
    ['an unknown segment', { url: HOOKS, secret: SECRET, segments: ['cart_abandoners', 'nope'] }, 'segments[1]'],
  ])('refuses %s', async (_label, body, field) => {
    const res = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect(await res.json<any>()).toMatchObject({ error: { field } });
  });

  it('hides destinations from other tenants and deletes them', async () => {
    const other = await createWorkspace('Other');
    expect((await api(other.secretKey, `/v1/destinations/${alwaysOk}`)).status).toBe(404);
    expect((await api(other.secretKey, `/v1/destinations/${alwaysOk}/deliveries`)).status).toBe(404);
    expect((await api(other.secretKey, `/v1/destinations/${alwaysOk}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(ws.secretKey, `/v1/destinations/${alwaysOk}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(ws.secretKey, `/v1/destinations/${alwaysOk}`)).status).toBe(404);
  });
});
