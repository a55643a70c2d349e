import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { DAY_MS, dayStart } from '../src/insights/series';
import { createWorkspace, type TestWorkspace } from './helpers';
import { api, insertProfiles } from './segment-fixtures';

let ws: TestWorkspace;
let other: TestWorkspace;
const today = dayStart(Date.now());

/** The Worker's real scheduled handler with the clock at `scheduledTime`. */
async function cron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const pro = (ids: string[]) => ids.map((id) => ({ id, traits: { plan: 'pro' } }));
const trend = async (key: string, days = 4, who = ws) => {
  const res = await api(who.secretKey, `/v1/insights/segments/${key}?days=${days}`);
  return { status: res.status, body: await res.json<{ size: number; daily: { date: string; size: number | null }[] }>() };
};

beforeAll(async () => {
  ws = await createWorkspace('Trend shop');
  other = await createWorkspace('Other');
  await insertProfiles(ws.id, pro(['p1', 'p2', 'p3']));
  const created = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } } });
  expect(created.status).toBe(201);
});

describe('segment sizes per day', () => {
  it('records a size per UTC day from the scheduled handler and shows today live', async () => {
    await cron(today - 2 * DAY_MS + 3_600_000);
    await insertProfiles(ws.id, pro(['p4', 'p5']));
    await api(ws.secretKey, '/v1/segments/evaluate', { method: 'POST' });
    // Two runs on one day: the later one wins.
    await cron(today - DAY_MS + 60_000);
    await insertProfiles(ws.id, pro(['p6']));
    await api(ws.secretKey, '/v1/segments/evaluate', { method: 'POST' });
    await cron(today - DAY_MS + 7_200_000);
    await insertProfiles(ws.id, pro(['p7']));
    await api(ws.secretKey, '/v1/segments/evaluate', { method: 'POST' });

    const { status, body } = await trend('pro');
    expect(status).toBe(200);
    expect(body.size).toBe(7);
    expect(body.daily.map((d) => d.size)).toEqual([null, 3, 6, 7]);
    expect(body.daily.map((d) => d.date)).toEqual([3, 2, 1, 0].map((n) => new Date(today - n * DAY_MS).toISOString().slice(0, 10)));
  });

  it('lists every segment with its trend for the overview', async () => {
    const res = await api(ws.secretKey, '/v1/insights/segments?days=3');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ days: 3, data: [{ key: 'pro', name: 'Pro', size: 7, daily: [{ size: 3 }, { size: 6 }, { size: 7 }] }] });
  });

  it('starts a fresh history when a key is deleted and created again', async () => {
    expect((await api(ws.secretKey, '/v1/segments/pro', { method: 'DELETE' })).status).toBe(204);
    await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro again', condition: { trait: 'plan', op: 'eq', value: 'pro' } } });
    expect((await trend('pro')).body.daily.map((d) => d.size)).toEqual([null, null, null, 7]);
  });

  it('answers 404 for an unknown key and for another workspace, and 400 for bad days', async () => {
    expect((await trend('nope')).status).toBe(404);
    const foreign = await trend('pro', 4, other);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: { code: 'not_found' } });
    const bad = await api(ws.secretKey, '/v1/insights/segments/pro?days=0');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_field', field: 'days' } });
    expect((await api(other.secretKey, '/v1/insights/segments')).status).toBe(200);
    expect(await (await api(other.secretKey, '/v1/insights/segments')).json()).toMatchObject({ data: [] });
  });
});
