import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { evaluateSegments } from '../src/segments/evaluate';
import { createWorkspace, type TestWorkspace } from './helpers';
import { api, changesOf, DAY, insertEvents, insertProfiles, membersOf } from './segment-fixtures';

let ws: TestWorkspace;
/**
 * Now, or ten minutes before it in the first 5 minutes of an hour. The runs below happen at T plus
 * whole hours, so they keep T's minute: T must not fall where `cron` moves a run out of the sweep.
 */
const T = ((now) => (new Date(now).getUTCMinutes() < 5 ? now - 10 * 60_000 : now))(Date.now());

/**
 * Runs the Worker's real scheduled handler with the clock at `scheduledTime`, moved out of the
 * first 5 minutes of an hour unless `sweep` (then into them), where every segment is re-evaluated.
 */
async function cron(at: number, { sweep = false } = {}) {
  const minute = new Date(at).getUTCMinutes();
  const scheduledTime = sweep ? at - minute * 60_000 : minute < 5 ? at + 10 * 60_000 : at;
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

beforeAll(async () => {
  ws = await createWorkspace('Windows');
  await insertProfiles(ws.id, [
    { id: 't_cart', lastSeen: T - 6 * DAY },
    { id: 't_order', lastSeen: T - 29 * DAY },
    { id: 't_fresh', lastSeen: T - DAY },
  ]);
  await insertEvents(ws.id, [
    { profileId: 't_cart', event: 'Product Added', timestamp: T - 6 * DAY },
    { profileId: 't_order', event: 'Product Added', timestamp: T - 4 * DAY },
    { profileId: 't_order', event: 'Order Completed', timestamp: T - 1.5 * DAY },
  ]);
  for (const [key, condition] of [
    ['cart_abandoners', { and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] }],
    ['dormant', { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }],
    ['dormant_shoppers', { and: [{ segment: 'dormant' }, { event: 'Product Added' }] }],
    ['static', { event: 'Product Added', within: { from: new Date(T - 10 * DAY).toISOString() } }],
  ] as const) {
    const res = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key, name: key, condition } });
    expect(res.status).toBe(201);
  }
});

describe('time windows expire through the scheduled handler', () => {
  it('starts from the backfill', async () => {
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual(['t_cart']);
    expect(await membersOf(ws.id, 'dormant')).toEqual([]);
    const seg = await (await api(ws.secretKey, '/v1/segments/static')).json<any>();
    expect(seg.timeRelative).toBe(false);
  });

  it('half a day later, the order falls out of its 2-day window: t_order enters', async () => {
    await cron(T + 0.75 * DAY);
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual(['t_cart', 't_order']);
  });

  it('two days later, t_cart\'s add-to-cart is 8 days old: it exits; t_order (last seen 31 days ago) is dormant', async () => {
    await cron(T + 2 * DAY);
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual(['t_order']);
    expect(await membersOf(ws.id, 'dormant')).toEqual(['t_order']);
    // Built on a time-relative segment: re-evaluated in the same run, after it.
    expect(await membersOf(ws.id, 'dormant_shoppers')).toEqual(['t_order']);
    expect((await changesOf(ws.id, 'cart_abandoners')).map((c) => [c.profile_id, c.kind, c.occurred_at])).toEqual([
      ['t_cart', 'entered', expect.any(Number)],
      ['t_order', 'entered', T + 0.75 * DAY],
      ['t_cart', 'exited', T + 2 * DAY],
    ]);
  });

  it('running again at the same time changes nothing (enter once, exit once)', async () => {
    const before = (await changesOf(ws.id, 'cart_abandoners')).length;
    await cron(T + 2 * DAY);
    await cron(T + 2 * DAY + 60_000);
    expect((await changesOf(ws.id, 'cart_abandoners')).length).toBe(before);
  });

  const evaluatedAt = async (key: string) =>
    (await env.DB.prepare('SELECT evaluated_at FROM segments WHERE workspace_id = ?1 AND key = ?2').bind(ws.id, key).first<{ evaluated_at: number }>())!.evaluated_at;

  it('leaves segments that do not depend on the clock alone', async () => {
    expect(await evaluatedAt('static')).toBeLessThan(T + DAY);
    expect(await evaluatedAt('dormant')).toBeGreaterThanOrEqual(T + 2 * DAY);
  });

  it('re-evaluates every segment in the first run of each hour (the sweep)', async () => {
    await cron(T + 2 * DAY + 3_600_000, { sweep: true });
    expect(await evaluatedAt('static')).toBeGreaterThan(T + 2 * DAY);
  });
});

describe('real-time scope and merges', () => {
  it('re-evaluates only the given profiles', async () => {
    await insertEvents(ws.id, [{ profileId: 't_fresh', event: 'Product Added', timestamp: T + 2 * DAY }]);
    await env.DB.prepare("UPDATE profiles SET last_seen = ?1 WHERE id = 't_order'").bind(T + 2 * DAY).run();
    const report = await evaluateSegments(env.DB, ws.id, { profileIds: ['t_fresh'], now: T + 2 * DAY + 1000 });
    expect(report).toMatchObject({ entered: 2, exited: 0 });
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual(['t_fresh', 't_order']);
    // t_order is no longer dormant, but it was not in scope: untouched until it is.
    expect(await membersOf(ws.id, 'dormant')).toEqual(['t_order']);
  });

  it('a profile merged into another leaves its segments; the survivor is evaluated on its own', async () => {
    // t_order is absorbed by t_fresh (what identity resolution does on a merge).
    await env.DB.prepare("UPDATE profiles SET canonical_id = 't_fresh', merged_into = 't_fresh' WHERE id = 't_order'").run();
    await evaluateSegments(env.DB, ws.id, { profileIds: ['t_fresh'], now: T + 2 * DAY + 2000 });
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual(['t_fresh']);
    expect(await membersOf(ws.id, 'dormant')).toEqual([]);
    const exits = (await changesOf(ws.id, 'dormant')).filter((c) => c.kind === 'exited');
    expect(exits).toEqual([expect.objectContaining({ profile_id: 't_order', reason: 'merged', merged_into: 't_fresh' })]);
    // t_fresh now owns t_order's order of T-1.5d and its own add-to-cart: no longer abandoning? The order is
    // 3.5 days old at this "now", so t_fresh still abandons; membership stays (no duplicate enter).
    expect((await changesOf(ws.id, 'cart_abandoners')).filter((c) => c.profile_id === 't_fresh' && c.kind === 'entered')).toHaveLength(1);
  });
});
