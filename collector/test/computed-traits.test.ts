import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';
import { api, DAY, insertEvents, insertProfiles, insertSecretKey, membersOf } from './segment-fixtures';

const NOW = Date.now();
let ws: TestWorkspace;

async function profile(ref: string) {
  const res = await api(ws.secretKey, `/v1/profiles/${ref}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const define = (body: Record<string, unknown>) => api(ws.secretKey, '/v1/computed-traits', { method: 'POST', json: body });

beforeAll(async () => {
  ws = await createWorkspace('Traits');
  // ana's history is split over a guest profile merged into her own.
  await insertProfiles(ws.id, [{ id: 'ana' }, { id: 'ana_guest', canonicalId: 'ana' }, { id: 'ben' }, { id: 'cat' }]);
  await insertEvents(ws.id, [
    { profileId: 'ana_guest', event: 'Order Completed', timestamp: NOW - 100 * DAY, properties: { revenue: 10, category: 'shoes' } },
    { profileId: 'ana', event: 'Order Completed', timestamp: NOW - 20 * DAY, properties: { revenue: 30, category: 'bags' } },
    { profileId: 'ana', event: 'Order Completed', timestamp: NOW - 5 * DAY, properties: { revenue: 20, category: 'shoes' } },
    { profileId: 'ana', event: 'Product Viewed', timestamp: NOW - 5 * DAY, properties: { category: 'hats' } },
    { profileId: 'ben', event: 'Order Completed', timestamp: NOW - 50 * DAY, properties: { revenue: 'n/a', category: 'hats' } },
    { profileId: 'ben', event: 'Order Completed', timestamp: NOW - 40 * DAY, properties: { revenue: 5 } },
  ]);
});

describe('computed traits', () => {
  it.each([
    ['count', { aggregate: 'count' }, { ana: 3, ben: 2, cat: 0 }],
    ['sum', { aggregate: 'sum', property: 'revenue' }, { ana: 60, ben: 5, cat: null }],
    ['avg', { aggregate: 'avg', property: 'revenue' }, { ana: 20, ben: 5, cat: null }],
    ['min', { aggregate: 'min', property: 'revenue' }, { ana: 10, ben: 5, cat: null }],
    ['max', { aggregate: 'max', property: 'revenue' }, { ana: 30, ben: 5, cat: null }],
    ['first', { aggregate: 'first', property: 'category' }, { ana: 'shoes', ben: 'hats', cat: null }],
    ['last', { aggregate: 'last', property: 'category' }, { ana: 'shoes', ben: 'hats', cat: null }],
    ['most_frequent', { aggregate: 'mostFrequent', property: 'category' }, { ana: 'shoes', ben: 'hats', cat: null }],
    ['distinct', { aggregate: 'distinctCount', property: 'category' }, { ana: 2, ben: 1, cat: 0 }],
    ['last_30d', { aggregate: 'count', windowDays: 30 }, { ana: 2, ben: 0, cat: 0 }],
    ['first_revenue', { aggregate: 'first', property: 'revenue' }, { ana: 10, ben: 'n/a', cat: null }],
  ])('%s over existing history, across merged ids', async (key, spec, expected) => {
    const res = await define({ key, event: 'Order Completed', ...spec });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ key, name: key, event: 'Order Completed', ...spec });
    for (const [person, value] of Object.entries(expected)) {
      expect((await profile(person)).computedTraits[key], `${person}`).toEqual(value);
    }
  });

  it('lists, reads and deletes definitions', async () => {
    const list = (await (await api(ws.secretKey, '/v1/computed-traits')).json()) as { data: { key: string; profiles: number }[] };
    expect(list.data.map((t) => t.key)).toContain('sum');
    expect(list.data.find((t) => t.key === 'count')!.profiles).toBe(2);
    expect((await api(ws.secretKey, '/v1/computed-traits/sum')).status).toBe(200);
    expect((await api(ws.secretKey, '/v1/computed-traits/first_revenue', { method: 'DELETE' })).status).toBe(204);
    expect((await api(ws.secretKey, '/v1/computed-traits/first_revenue')).status).toBe(404);
    expect((await api(ws.secretKey, '/v1/computed-traits/first_revenue', { method: 'DELETE' })).status).toBe(404);
    expect((await profile('ana')).computedTraits).not.toHaveProperty('first_revenue');
  });

  it.each([
    [{ event: 'x', aggregate: 'count' }, 'key'],
    [{ key: 'Bad Key', event: 'x', aggregate: 'count' }, 'key'],
    [{ key: 'k', event: 'x', aggregate: 'median', property: 'p' }, 'aggregate'],
    [{ key: 'k', aggregate: 'count' }, 'event'],
    [{ key: 'k', event: 'x', aggregate: 'sum' }, 'property'],
    [{ key: 'k', event: 'x', aggregate: 'sum', property: 'a"b' }, 'property'],
    [{ key: 'k', event: 'x', aggregate: 'count', windowDays: 0 }, 'windowDays'],
    [{ key: 'k', event: 'x', aggregate: 'count', windowDays: '7' }, 'windowDays'],
    [{ key: 'k', event: 'x', aggregate: 'count', name: '' }, 'name'],
    [{ key: 'k', event: 'x', aggregate: 'count', window: 7 }, 'window'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await define(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.field).toBe(field);
  });

  it('refuses a second trait with the same key, and non-admin keys', async () => {
    expect((await define({ key: 'count', event: 'x', aggregate: 'count' })).status).toBe(409);
    const reader = await insertSecretKey(ws.id, ['read']);
    expect((await api(reader, '/v1/computed-traits', { method: 'POST', json: { key: 'z', event: 'x', aggregate: 'count' } })).status).toBe(403);
    expect((await api(reader, '/v1/computed-traits')).status).toBe(200);
    expect((await call('/v1/computed-traits')).status).toBe(401);
  });

  it('segments on a computed trait, people without events counting 0', async () => {
    const res = await api(ws.secretKey, '/v1/segments', {
      method: 'POST',
      json: { key: 'no_recent_orders', name: 'No recent orders', condition: { computedTrait: 'last_30d', op: 'lt', value: 1 } },
    });
    expect(res.status).toBe(201);
    expect(await membersOf(ws.id, 'no_recent_orders')).toEqual(['ben', 'cat']);
    const big = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'big', name: 'Big', condition: { computedTrait: 'sum', op: 'gte', value: 50 } } });
    expect(big.status).toBe(201);
    expect(await membersOf(ws.id, 'big')).toEqual(['ana']);
    const bad = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'bad', name: 'Bad', condition: { computedTrait: 'A B', op: 'lt', value: 1 } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe('condition.computedTrait');
  });

  it('keeps values current on ingest, before segments are refreshed', async () => {
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Order Completed', userId: 'dan', messageId: 'dan-1', properties: { revenue: 40, category: 'coats' } },
      { type: 'track', event: 'Order Completed', userId: 'dan', messageId: 'dan-2', properties: { revenue: 45, category: 'coats' } },
    ]);
    expect(res.status).toBe(200);
    await expect.poll(async () => (await api(ws.secretKey, '/v1/profiles/user_id:dan')).status, { timeout: 10_000 }).toBe(200);
    await expect.poll(async () => (await profile('user_id:dan')).computedTraits, { timeout: 10_000 }).toMatchObject({ count: 2, sum: 85, most_frequent: 'coats', last_30d: 2 });
    const dan = (await profile('user_id:dan')).id;
    await expect.poll(async () => await membersOf(ws.id, 'big'), { timeout: 10_000 }).toContain(dan);
  });

  it('lets windowed values expire through the cron', async () => {
    // Ten days on, ana's order of 20 days ago has left the 30-day window; the 5-day-old one has not.
    const later = NOW + 10 * DAY;
    const sweepAt = later - (later % 3_600_000) + 3_600_000;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: sweepAt, cron: '*/5 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await profile('ana')).computedTraits.last_30d).toBe(1);
    expect(await membersOf(ws.id, 'no_recent_orders')).toEqual(['ben', 'cat']);
  });

  it('erases a deleted person\'s trait values and predictions', async () => {
    expect((await api(ws.secretKey, '/v1/predictions/fit', { method: 'POST' })).status).toBe(200);
    const rowsOf = (table: string) => env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE profile_id IN ('ana', 'ana_guest')`).first<{ n: number }>();
    expect((await rowsOf('computed_trait_values'))!.n).toBeGreaterThan(0);
    expect((await rowsOf('profile_predictions'))!.n).toBe(1);
    expect((await api(ws.secretKey, '/v1/profiles/ana', { method: 'DELETE' })).status).toBe(200);
    expect((await rowsOf('computed_trait_values'))!.n).toBe(0);
    expect((await rowsOf('profile_predictions'))!.n).toBe(0);
  });
});
