import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScheduled } from '../src/scheduled';
import { call, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// Retention never deletes what a rule still reads: the hot window widens to the longest segment or
// computed trait window, and events that all-time rules read stay in D1 (archive/retention-plan.ts).

let ws: TestWorkspace;
const api = (path: string, init: RequestInit & { json?: unknown } = {}) => call(path, { ...init, headers: { authorization: `Bearer ${ws.secretKey}` } });
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const inD1 = async () =>
  (await (await workspaceDb(ws.id)).prepare("SELECT message_id FROM events WHERE workspace_id = ?1 AND message_id LIKE 'rw-%' ORDER BY message_id").bind(ws.id).all<{ message_id: string }>()).results.map((r) => r.message_id);
async function sweep() {
  await runScheduled(env, Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await settleInboxes();
}
const timelineIds = async () => (await (await api('/v1/profiles/user_id:rw-1/events?limit=100')).json<{ data: { messageId: string }[] }>()).data.map((e) => e.messageId).sort();

beforeAll(async () => {
  ws = await createWorkspace('retention-windows');
  await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'rw-1', messageId: 'warm' }]);
  await sendBatch(ws.writeKey, [
    { type: 'track', userId: 'rw-1', event: 'Viewed', timestamp: ago(60), messageId: 'rw-v60' },
    { type: 'track', userId: 'rw-1', event: 'Viewed', timestamp: ago(120), messageId: 'rw-v120' },
    { type: 'page', userId: 'rw-1', name: 'Home', timestamp: ago(100), messageId: 'rw-p100' },
    { type: 'track', userId: 'rw-1', event: 'Signed Up', timestamp: ago(200), messageId: 'rw-s200' },
    { type: 'track', userId: 'rw-1', event: 'Order Completed', properties: { revenue: 5 }, timestamp: ago(200), messageId: 'rw-o200' },
    { type: 'track', userId: 'rw-1', event: 'Purchase', timestamp: ago(300), messageId: 'rw-b300' },
  ]);
  expect((await api('/v1/settings', { method: 'PATCH', json: { retention: { hotDays: 30 } } })).status).toBe(200);
  expect((await api('/v1/segments', { method: 'POST', json: { key: 'viewers_90d', name: 'Viewed in 90 days', condition: { event: 'Viewed', within: { days: 90 } } } })).status).toBe(201);
  expect((await api('/v1/computed-traits', { method: 'POST', json: { key: 'orders_all', aggregate: 'count', event: 'Order Completed' } })).status).toBe(201);
});

describe('retention and the rules that read events', () => {
  it('keeps the longest window rules use, and every event an all-time rule or the predictions read', async () => {
    await sweep();
    // 90 days (the segment) instead of 30; the orders stay (the all-time trait and the predictions read them); the rest goes.
    expect(await inD1()).toEqual(['rw-o200', 'rw-v60']);
    const p = await (await api('/v1/profiles/user_id:rw-1')).json<{ computedTraits: Record<string, unknown> }>();
    expect(p.computedTraits.orders_all).toBe(1);
    const members = await (await api('/v1/segments/viewers_90d/members')).json<{ data: unknown[] }>();
    expect(members.data).toHaveLength(1);
    // What left D1 is still in the person's timeline, from R2.
    expect(await timelineIds()).toEqual(['rw-b300', 'rw-o200', 'rw-p100', 'rw-s200', 'rw-v120', 'rw-v60', 'warm']);
  });

  it('deletes nothing while an all-time rule reads every event', async () => {
    expect((await api('/v1/segments', { method: 'POST', json: { key: 'ever_active', name: 'Ever active', condition: { event: '*' } } })).status).toBe(201);
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'rw-1', event: 'Viewed', timestamp: ago(150), messageId: 'rw-v150' }]);
    await sweep();
    expect(await inD1()).toEqual(['rw-o200', 'rw-v150', 'rw-v60']);
  });
});
