import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, callRaw, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// POST /v1/admin/workspaces/{id}/rebuild re-derives everything the workspace's events produced
// from the R2 archive, through the same resolver as ingest, and lands where ingest did.

let ws: TestWorkspace;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const api = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  call(path, { ...init, headers: { authorization: `Bearer ${ws.secretKey}`, ...(init.headers ?? {}) } });
const count = async (sql: string) => (await (await workspaceDb(ws.id)).prepare(sql).bind(ws.id).first<{ n: number }>())!.n;

/** A journey: anonymous browsing, sign-up merging devices by user id and email, an account, an alias, orders. */
const JOURNEY: unknown[][] = [
  [
    { type: 'page', anonymousId: 'dev-1', name: 'Home', context: { page: { referrer: 'https://news.example/' }, campaign: { name: 'spring' } }, messageId: 'j-1', timestamp: '2026-03-01T10:00:00Z' },
    { type: 'track', anonymousId: 'dev-1', event: 'Product Viewed', properties: { sku: 'A1' }, messageId: 'j-2', timestamp: '2026-03-01T10:01:00Z' },
  ],
  [{ type: 'identify', userId: 'u-1', anonymousId: 'dev-1', traits: { email: 'Kim@Example.com', plan: 'pro', name: 'Kim' }, messageId: 'j-3', timestamp: '2026-03-01T10:02:00Z' }],
  [
    { type: 'track', userId: 'u-1', event: 'Order Completed', properties: { revenue: 30 }, messageId: 'j-4', timestamp: '2026-03-02T09:00:00Z' },
    { type: 'page', anonymousId: 'dev-2', name: 'Pricing', messageId: 'j-5', timestamp: '2026-03-03T09:00:00Z' },
    { type: 'identify', anonymousId: 'dev-2', traits: { email: 'kim@example.com', plan: 'enterprise' }, messageId: 'j-6', timestamp: '2026-03-03T09:01:00Z' },
    { type: 'group', userId: 'u-1', groupId: 'acme', traits: { name: 'Acme', employees: 40 }, messageId: 'j-7', timestamp: '2026-03-03T09:02:00Z' },
  ],
  [
    { type: 'alias', userId: 'u-2', previousId: 'old-2', messageId: 'j-8', timestamp: '2026-03-04T08:00:00Z' },
    { type: 'identify', userId: 'u-2', traits: { plan: 'free', phone: '+49 30 1234567' }, messageId: 'j-9', timestamp: '2026-03-04T08:01:00Z' },
    { type: 'track', userId: 'u-2', event: 'Order Completed', properties: { revenue: 5 }, messageId: 'j-10', timestamp: '2026-03-04T08:02:00Z' },
    { type: 'track', userId: 'old-2', event: 'Order Completed', properties: { revenue: 7 }, messageId: 'j-11', timestamp: '2026-03-04T08:03:00Z' },
    { type: 'identify', userId: 'anonymous', traits: { email: 'junk@example.com' }, messageId: 'j-12', timestamp: '2026-03-04T08:04:00Z' },
  ],
];
const REFS = ['user_id:u-1', 'anonymous_id:dev-1', 'anonymous_id:dev-2', 'email:kim@example.com', 'user_id:u-2', 'user_id:old-2', 'phone:+49301234567', 'email:junk@example.com'];

/** Everything a reader sees of the workspace's people, without the ids and times a rebuild makes anew. */
async function snapshot() {
  const people: Record<string, unknown> = {};
  for (const ref of REFS) {
    const res = await api(`/v1/profiles/${ref}`);
    if (res.status === 404) {
      people[ref] = null;
      continue;
    }
    const { id: _id, createdAt: _c, updatedAt: _u, identities, ...rest } = await res.json<Record<string, any>>();
    const segments = (await (await api(`/v1/profiles/${ref}/segments`)).json<{ data: { key: string }[] }>()).data.map((s) => s.key).sort();
    const events = (await (await api(`/v1/profiles/${ref}/events?limit=100`)).json<{ data: { messageId: string }[] }>()).data.map((e) => e.messageId).sort();
    people[ref] = { ...rest, identities: [...identities].sort((a: any, b: any) => `${a.type}:${a.value}`.localeCompare(`${b.type}:${b.value}`)), segments, events };
  }
  const tables = {
    events: await count('SELECT count(*) AS n FROM events WHERE workspace_id = ?'),
    profiles: await count('SELECT count(*) AS n FROM profiles WHERE workspace_id = ?'),
    live: await count('SELECT count(*) AS n FROM profiles WHERE workspace_id = ? AND canonical_id = id'),
    identities: await count('SELECT count(*) AS n FROM identities WHERE workspace_id = ?'),
    merges: await count('SELECT count(*) AS n FROM merge_log WHERE workspace_id = ?'),
    members: await count('SELECT count(*) AS n FROM segment_members WHERE workspace_id = ?'),
    accountMembers: await count('SELECT count(*) AS n FROM account_members WHERE workspace_id = ?'),
    traitValues: await count('SELECT count(*) AS n FROM computed_trait_values WHERE workspace_id = ?'),
  };
  const stats = await (await workspaceDb(ws.id)).prepare('SELECT * FROM identity_stats WHERE workspace_id = ?').bind(ws.id).first<Record<string, number>>();
  const { updated_at: _t, ...identityStats } = stats ?? {};
  return { people, tables, identityStats };
}

async function rebuild() {
  const res = await call(`/v1/admin/workspaces/${ws.id}/rebuild`, { method: 'POST', headers: admin });
  expect(res.status).toBe(202);
  return res.json<{ rebuild: { status: string; done: number; total: number } }>();
}
const adminView = async () => (await call(`/v1/admin/workspaces/${ws.id}`, { headers: admin })).json<{ id: string; rebuild: { status: string; done: number; total: number } | null }>();

beforeAll(async () => {
  // On the second database: the rebuild reads and writes where the directory says the workspace lives.
  ws = await createWorkspace('rebuild', 'DB_2');
  expect((await api('/v1/segments', { method: 'POST', json: { key: 'buyers', name: 'Buyers', condition: { event: 'Order Completed' } } })).status).toBe(201);
  expect((await api('/v1/segments', { method: 'POST', json: { key: 'pros', name: 'Pros', condition: { trait: 'plan', op: 'eq', value: 'enterprise' } } })).status).toBe(201);
  expect((await api('/v1/computed-traits', { method: 'POST', json: { key: 'spent', event: 'Order Completed', aggregate: 'sum', property: 'revenue' } })).status).toBe(201);
  expect((await api('/v1/destinations', { method: 'POST', json: { url: 'http://hooks.test/rebuild', secret: 'a-very-secret-signing-key', events: ['segment.entered', 'segment.exited'] } })).status).toBe(201);
  for (const batch of JOURNEY) expect((await sendBatch(ws.writeKey, batch)).status).toBe(200);
});

describe('rebuild from the archive', () => {
  it('re-derives identities, profiles, computed traits and memberships equal to what ingest produced, sending nothing again', async () => {
    const ingested = await snapshot();
    expect(ingested.tables.events).toBe(12);
    expect(ingested.tables.live).toBeGreaterThanOrEqual(2);
    expect((ingested.people['user_id:u-1'] as any).segments).toEqual(['buyers', 'pros']);
    expect(await adminView()).toMatchObject({ id: ws.id, rebuild: null });
    const deliveries = await count('SELECT count(*) AS n FROM webhook_deliveries WHERE workspace_id = ?');
    const forwarded = await count('SELECT count(*) AS n FROM event_deliveries WHERE workspace_id = ?');

    // Damage the derived state: the rebuild must bring it back from the archive alone.
    const before = await (await api('/v1/profiles/user_id:u-1')).json<{ id: string }>();
    const db = await workspaceDb(ws.id);
    await db.prepare("UPDATE profiles SET traits = '{}', revenue = 0 WHERE workspace_id = ?").bind(ws.id).run();
    await db.prepare('DELETE FROM segment_members WHERE workspace_id = ?').bind(ws.id).run();
    expect(await snapshot()).not.toEqual(ingested);

    const started = await rebuild();
    expect(started.rebuild).toMatchObject({ status: 'running', done: 0, total: 12 });
    await settleInboxes();
    expect((await adminView()).rebuild).toMatchObject({ status: 'done', done: 12, total: 12 });
    expect(await snapshot()).toEqual(ingested);
    expect((await (await api('/v1/profiles/user_id:u-1')).json<{ id: string }>()).id).not.toBe(before.id); // new profiles, same people
    expect(await count('SELECT count(*) AS n FROM webhook_deliveries WHERE workspace_id = ?')).toBe(deliveries);
    expect(await count('SELECT count(*) AS n FROM event_deliveries WHERE workspace_id = ?')).toBe(forwarded);
  });

  it('holds ingest that arrives during the rebuild and resolves it after', async () => {
    await rebuild();
    const res = await callRaw('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${ws.writeKey}:`)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [{ type: 'track', userId: 'u-1', event: 'Order Completed', properties: { revenue: 100 }, messageId: 'during-1' }] }),
    });
    expect(res.status).toBe(200);
    await settleInboxes();
    expect((await adminView()).rebuild).toMatchObject({ status: 'done', done: 12, total: 12 });
    const p = await (await api('/v1/profiles/user_id:u-1')).json<{ computed: { revenue: number } }>();
    expect(p.computed.revenue).toBe(130);
  });

  it('leaves an erased person out', async () => {
    expect((await api('/v1/profiles/user_id:u-2', { method: 'DELETE' })).status).toBe(200);
    await rebuild();
    await settleInboxes();
    expect((await api('/v1/profiles/user_id:u-2')).status).toBe(404);
    expect((await api('/v1/profiles/user_id:old-2')).status).toBe(404);
    expect((await api('/v1/profiles/user_id:u-1')).status).toBe(200);
  });

  it('is for the operator only, and 404 for an unknown workspace', async () => {
    expect((await call(`/v1/admin/workspaces/${ws.id}/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}` } })).status).toBe(401);
    expect((await call(`/v1/admin/workspaces/${ws.id}`, { headers: { authorization: `Bearer ${ws.secretKey}` } })).status).toBe(401);
    expect((await call('/v1/admin/workspaces/ws_nope/rebuild', { method: 'POST', headers: admin })).status).toBe(404);
  });
});
