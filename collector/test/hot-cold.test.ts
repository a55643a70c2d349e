import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScheduled } from '../src/scheduled';
import { ADMIN_TOKEN, call, callRaw, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// D1 keeps the recent events (settings.retention.hotDays, default 400, by event time); older ones
// are deleted from D1 once archived, and export keeps serving them from R2.

let ws: TestWorkspace;
const api = (path: string, init: RequestInit & { json?: unknown } = {}) => call(path, { ...init, headers: { authorization: `Bearer ${ws.secretKey}` } });
const inD1 = async () =>
  (await (await workspaceDb(ws.id)).prepare('SELECT message_id FROM events WHERE workspace_id = ? ORDER BY message_id').bind(ws.id).all<{ message_id: string }>()).results.map((r) => r.message_id);
const exported = async () => {
  const res = await callRaw('/v1/events/export', { headers: { authorization: `Bearer ${ws.secretKey}` } });
  return new TextDecoder().decode(await res.arrayBuffer()).split('\n').filter(Boolean).map((l) => JSON.parse(l).messageId).sort();
};
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
/** The hourly sweep of the cron (it asks every inbox to apply retention), then the inboxes' alarms. */
async function hourlySweep() {
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  await runScheduled(env, hour);
  await settleInboxes();
}

beforeAll(async () => {
  ws = await createWorkspace('hot-cold', 'DB_2');
  // The predictions read every order (they would stay in D1: retention-windows.test.ts); here they read another event.
  await api('/v1/settings', { method: 'PATCH', json: { predictions: { orderEvent: 'Purchase' } } });
  // Archiving starts with the inbox's first batch; events received from then on may go cold.
  await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'hc-1', traits: { plan: 'pro' }, messageId: 'hc-0' }]);
  await sendBatch(ws.writeKey, [
    { type: 'track', userId: 'hc-1', event: 'Order Completed', properties: { revenue: 10 }, timestamp: ago(500), messageId: 'hc-500' },
    { type: 'track', userId: 'hc-1', event: 'Order Completed', properties: { revenue: 20 }, timestamp: ago(100), messageId: 'hc-100' },
    { type: 'track', userId: 'hc-1', event: 'Order Completed', properties: { revenue: 30 }, timestamp: ago(1), messageId: 'hc-1' },
  ]);
});

describe('hot and cold', () => {
  it('shows retention.hotDays (default 400) in the settings and validates it', async () => {
    expect((await (await api('/v1/settings')).json<any>()).retention).toEqual({ hotDays: 400 });
    const bad = await api('/v1/settings', { method: 'PATCH', json: { retention: { hotDays: 0 } } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'retention.hotDays' } });
  });

  it('deletes archived events older than the hot window from D1, keeps profiles, and exports them from R2', async () => {
    await hourlySweep();
    expect(await inD1()).toEqual(['hc-0', 'hc-1', 'hc-100']); // 400 days by default

    const patch = await api('/v1/settings', { method: 'PATCH', json: { retention: { hotDays: 30 } } });
    expect(patch.status).toBe(200);
    await hourlySweep();
    expect(await inD1()).toEqual(['hc-0', 'hc-1']);
    const p = await (await api('/v1/profiles/user_id:hc-1')).json<{ traits: Record<string, unknown>; computed: { eventCount: number; revenue: number } }>();
    expect(p.traits.plan).toBe('pro');
    expect(p.computed).toMatchObject({ eventCount: 4, revenue: 60 });
    expect(await exported()).toEqual(['hc-0', 'hc-1', 'hc-100', 'hc-500']);
  });

  it('makes every kept profile read stale only after a sweep that moved events out of D1', async () => {
    const readStore = async () =>
      (await call(`/v1/admin/workspaces/${ws.id}/profile-reads`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json<{ generation: number }>();
    const { generation } = await readStore();
    // Nothing older than the hot window is left in D1 (the test before moved it): the hourly run changes nothing.
    await hourlySweep();
    expect(await readStore()).toMatchObject({ generation });
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'hc-1', event: 'Viewed', timestamp: ago(60), messageId: 'hc-60' }]);
    await hourlySweep();
    expect(await inD1()).not.toContain('hc-60');
    expect((await readStore()).generation).toBeGreaterThan(generation);
  });
});
