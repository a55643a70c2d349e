import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { fitBgNbd, probabilityAlive } from '../src/predictions/bgnbd';
import { conditionalExpectedValue } from '../src/predictions/gamma-gamma';
import { simulateShop } from '../src/predictions/simulate';
import { call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';
import { api, DAY, insertEvents, insertProfiles, insertSecretKey, membersOf, type EventFixture } from './segment-fixtures';

const truth = { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 };
const spend = { p: 6.25, q: 3.74, v: 15.44 };
const NOW = Date.now();
const shop = simulateShop({ customers: 1500, bgnbd: truth, gammaGamma: spend, maxT: 273, horizon: 0, seed: 3 });

/** The simulated customers as stored profiles and order events, the last calibration day ending now. */
async function storeShop(ws: TestWorkspace) {
  await insertProfiles(ws.id, shop.map((_, i) => ({ id: `sim_${i}` })));
  const events: EventFixture[] = shop.flatMap((c, i) =>
    c.orders
      .filter((o) => o.at <= c.T)
      .map((o) => ({ profileId: `sim_${i}`, event: 'Order Completed', timestamp: Math.round(NOW - (c.T - o.at) * DAY), properties: { revenue: o.value } })),
  );
  for (let i = 0; i < events.length; i += 500) await insertEvents(ws.id, events.slice(i, i + 500));
}

async function profile(ws: TestWorkspace, ref: string) {
  const res = await api(ws.secretKey, `/v1/profiles/${ref}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const relative = (a: number, b: number) => Math.abs(a / b - 1);

describe('predictions API', () => {
  let ws: TestWorkspace;
  let fit: Record<string, any>;

  beforeAll(async () => {
    ws = await createWorkspace('Simulated shop');
    await storeShop(ws);
    // A guest who ordered once, then identified: the guest profile was merged into the user's.
    await insertProfiles(ws.id, [{ id: 'user_1' }, { id: 'guest_1', canonicalId: 'user_1' }, { id: 'browser_1' }]);
    await insertEvents(ws.id, [
      { profileId: 'guest_1', event: 'Order Completed', timestamp: NOW - 60 * DAY, properties: { total: 40 } },
      { profileId: 'user_1', event: 'Order Completed', timestamp: NOW - 30 * DAY, properties: { revenue: 100 } },
      { profileId: 'user_1', event: 'Order Completed', timestamp: NOW - 10 * DAY, properties: { revenue: '60.5', total: 999 } },
      { profileId: 'user_1', event: 'Product Viewed', timestamp: NOW - 5 * DAY },
      { profileId: 'browser_1', event: 'Product Viewed', timestamp: NOW - 5 * DAY },
    ]);
  });

  it('has no model before the first fit', async () => {
    expect((await api(ws.secretKey, '/v1/predictions/model')).status).toBe(404);
    expect((await profile(ws, 'user_1')).predictions).toBeUndefined();
  });

  it('answers 409 when a workspace has no orders', async () => {
    const empty = await createWorkspace('No orders');
    const res = await api(empty.secretKey, '/v1/predictions/fit', { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe('no_customers');
  });

  it('needs an admin key to fit and a read key to read', async () => {
    const reader = await insertSecretKey(ws.id, ['read']);
    expect((await api(reader, '/v1/predictions/fit', { method: 'POST' })).status).toBe(403);
    expect((await call('/v1/predictions/model')).status).toBe(401);
  });

  it('fits over every customer and matches a fit of the same orders in memory', async () => {
    const res = await api(ws.secretKey, '/v1/predictions/fit', { method: 'POST' });
    expect(res.status).toBe(200);
    fit = (await res.json()) as Record<string, any>;
    expect(fit).toMatchObject({ timeUnit: 'day', customers: shop.length + 1 });
    expect(Date.parse(fit.asOf)).toBeGreaterThanOrEqual(NOW);
    // The SQL summaries (x, t_x, T in days) must be exactly what the simulation produced.
    const asOfLag = (Date.parse(fit.asOf) - NOW) / DAY;
    const local = fitBgNbd([...shop.map((c) => ({ x: c.x, tx: c.tx, T: c.T + asOfLag })), { x: 2, tx: 50, T: 60 + asOfLag }]);
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(relative(fit.bgnbd[k], local.params[k]), k).toBeLessThan(1e-3);
    expect(relative(fit.bgnbd.logLikelihood, local.logLikelihood)).toBeLessThan(1e-6);
    // And, 1,500 customers being few, near the parameters they were drawn from.
    expect(relative(fit.bgnbd.r, truth.r)).toBeLessThan(0.3);
    expect(relative(fit.gammaGamma.p * fit.gammaGamma.v / (fit.gammaGamma.q - 1), spend.p * spend.v / (spend.q - 1))).toBeLessThan(0.15);
  });

  it('serves the latest fit with RFM cut points and the weekly tracking series', async () => {
    const res = await api(ws.secretKey, '/v1/predictions/model');
    expect(res.status).toBe(200);
    const model = (await res.json()) as Record<string, any>;
    expect(model).toMatchObject({ asOf: fit.asOf, bgnbd: fit.bgnbd, gammaGamma: fit.gammaGamma, customers: fit.customers });
    expect(model.rfm.recency).toHaveLength(4);
    expect(model.ltvPercentiles).toHaveLength(101);
    expect(model.weekly).toHaveLength(26);
    const expected = model.weekly.reduce((s: number, w: any) => s + w.expected, 0);
    const actual = model.weekly.reduce((s: number, w: any) => s + w.actual, 0);
    expect(actual).toBeGreaterThan(0);
    expect(relative(expected, actual)).toBeLessThan(0.25);
  });

  it('shows a person their predictions from all merged ids, valued by revenue else total', async () => {
    const p = await profile(ws, 'user_1');
    // Three orders (one sent as the guest): x = 2, t_x = 50 days, T = 60 days.
    const T = (Date.now() - (NOW - 60 * DAY)) / DAY;
    expect(p.predictions.pAlive).toBeCloseTo(probabilityAlive(fit.bgnbd, { x: 2, tx: 50, T }), 5);
    expect(p.predictions.churnRisk).toBeCloseTo(1 - p.predictions.pAlive, 5);
    // Repeat orders 100 and "60.5" (revenue wins over total); the first order (40) is left out.
    expect(p.predictions.expectedOrderValue).toBeCloseTo(conditionalExpectedValue(fit.gammaGamma, { x: 2, mean: 80.25 })!, 2);
    expect(p.predictions.expectedOrders30d).toBeLessThan(p.predictions.expectedOrders90d);
    expect(p.predictions.expectedOrders90d).toBeLessThan(p.predictions.expectedOrders365d);
    expect(p.predictions.ltv365d).toBeCloseTo(p.predictions.expectedOrders365d * p.predictions.expectedOrderValue, 0);
    expect(p.predictions.ltvPercentile).toBeGreaterThanOrEqual(0);
    expect(p.predictions.ltvPercentile).toBeLessThanOrEqual(100);
    expect(p.rfm).toMatchObject({ score: `${p.rfm.recency}${p.rfm.frequency}${p.rfm.monetary}` });
    // The guest id answers with the same person.
    expect((await profile(ws, 'guest_1')).predictions).toEqual(p.predictions);
  });

  it('shows no predictions or RFM to a person without orders', async () => {
    const p = await profile(ws, 'browser_1');
    expect(p.predictions).toBeUndefined();
    expect(p.rfm).toBeUndefined();
  });

  it('ranks the best customers high in RFM and LTV', async () => {
    const best = shop.map((c, i) => ({ i, n: c.orders.length, last: c.T - c.tx })).sort((a, b) => b.n - a.n || a.last - b.last)[0]!;
    const p = await profile(ws, `sim_${best.i}`);
    expect(p.rfm.frequency).toBe(5);
    expect(p.predictions.ltvPercentile).toBeGreaterThan(90);
  });

  it('segments people on a prediction', async () => {
    const res = await api(ws.secretKey, '/v1/segments', {
      method: 'POST',
      json: { key: 'likely_churned', name: 'Likely churned', condition: { prediction: 'pAlive', op: 'lt', value: 0.5 } },
    });
    expect(res.status).toBe(201);
    const members = await membersOf(ws.id, 'likely_churned');
    const { results } = await env.DB.prepare('SELECT profile_id FROM profile_predictions WHERE workspace_id = ? AND p_alive < 0.5 ORDER BY profile_id')
      .bind(ws.id)
      .all<{ profile_id: string }>();
    expect(members.length).toBeGreaterThan(0);
    expect(members).toEqual(results.map((r) => r.profile_id));
    // A customer who never bought again is alive by the model: never in the segment.
    const oneTimer = shop.findIndex((c) => c.x === 0);
    expect(members).not.toContain(`sim_${oneTimer}`);
  });

  it.each([
    [{ prediction: 'pDead', op: 'lt', value: 0.5 }, 'condition.prediction'],
    [{ prediction: 'pAlive', op: 'lt', value: 'soon' }, 'condition.value'],
    [{ prediction: 'pAlive', op: 'contains', value: 'x' }, 'condition.op'],
  ])('refuses a bad prediction condition %j naming %s', async (condition, field) => {
    const res = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'bad', name: 'Bad', condition } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.field).toBe(field);
  });

  it('updates a new customer on ingest, for profiles and segments', async () => {
    await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'customers', name: 'Customers', condition: { prediction: 'pAlive', op: 'gte', value: 0 } } });
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Order Completed', userId: 'new-buyer', messageId: 'nb-1', properties: { revenue: 25 }, timestamp: new Date(NOW - 20 * DAY).toISOString() },
      { type: 'track', event: 'Order Completed', userId: 'new-buyer', messageId: 'nb-2', properties: { revenue: 35 } },
    ]);
    expect(res.status).toBe(200);
    await expect.poll(async () => (await api(ws.secretKey, '/v1/profiles/user_id:new-buyer')).status, { timeout: 10_000 }).toBe(200);
    const p = await profile(ws, 'user_id:new-buyer');
    expect(p.predictions.pAlive).toBeGreaterThan(0);
    await expect.poll(async () => (await membersOf(ws.id, 'customers')).includes(p.id), { timeout: 10_000 }).toBe(true);
  });

  it('counts the order event the workspace names', async () => {
    const other = await createWorkspace('Purchases');
    await insertProfiles(other.id, [{ id: 'buyer' }, { id: 'orderer' }]);
    await insertEvents(other.id, [
      { profileId: 'buyer', event: 'Purchase', timestamp: NOW - 9 * DAY, properties: { revenue: 10 } },
      { profileId: 'buyer', event: 'Purchase', timestamp: NOW - 2 * DAY, properties: { revenue: 12 } },
      { profileId: 'orderer', event: 'Order Completed', timestamp: NOW - 3 * DAY },
    ]);
    const patch = await api(other.secretKey, '/v1/settings', { method: 'PATCH', json: { predictions: { orderEvent: 'Purchase' } } });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as any).predictions).toEqual({ orderEvent: 'Purchase' });
    const res = await api(other.secretKey, '/v1/predictions/fit', { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toMatchObject({ customers: 1, orderEvent: 'Purchase' });
    const bad = await api(other.secretKey, '/v1/settings', { method: 'PATCH', json: { predictions: { orderEvent: '' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe('predictions.orderEvent');
  });

  it('refits daily from the cron', async () => {
    const fresh = await createWorkspace('Cron shop');
    await insertProfiles(fresh.id, [{ id: 'c1' }, { id: 'c2' }]);
    await insertEvents(fresh.id, [
      { profileId: 'c1', event: 'Order Completed', timestamp: NOW - 40 * DAY, properties: { revenue: 20 } },
      { profileId: 'c1', event: 'Order Completed', timestamp: NOW - 4 * DAY, properties: { revenue: 30 } },
      { profileId: 'c2', event: 'Order Completed', timestamp: NOW - 20 * DAY, properties: { revenue: 50 } },
    ]);
    const sweepAt = NOW - (NOW % 3_600_000) + 3_600_000;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: sweepAt, cron: '*/5 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const res = await api(fresh.secretKey, '/v1/predictions/model');
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toMatchObject({ customers: 2, asOf: new Date(sweepAt).toISOString() });
  });
});
