import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseNames } from '../src/directory/databases';
import { runScheduled } from '../src/scheduled';
import type { IngestInbox } from '../src/resolver/inbox';
import { inboxOf } from '../src/resolver/inbox-client';
import { tableNames } from '../src/store/move-rows';
import { MOVED_TABLES, NOT_MOVED_TABLES } from '../src/store/move-tables';
import { ADMIN_TOKEN, basic, call, callRaw, createWorkspace, settleInboxes, type TestWorkspace } from './helpers';

// Workspaces spread over several D1 databases (wrangler.toml binds DB and DB_2; the tests' setup
// applies every migration to both). DB also holds the directory.

const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
  callRaw(`/v1/admin/workspaces${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers } });
const describeWorkspace = async (id: string) => (await admin(`/${id}`)).json<{ database: string; move: Record<string, unknown> | null }>();
const api = (key: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
  callRaw(path, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
const ingest = (ws: TestWorkspace, batch: unknown[]) => callRaw('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { batch } });
const received = async (ws: TestWorkspace): Promise<unknown[]> => (await fetch(`http://hooks.test/__received?path=/databases-test/${ws.id}`)).json<unknown[]>();
const d1 = (name: string) => (env as unknown as Record<string, D1Database>)[name];

/** A workspace's rows in every moved table of one database. */
async function rowsIn(database: string, workspaceId: string): Promise<Record<string, number>> {
  const db = d1(database);
  const counts = await db.batch(MOVED_TABLES.map((t) => db.prepare(`SELECT count(*) AS n FROM ${t.table} WHERE workspace_id = ?`).bind(workspaceId)));
  return Object.fromEntries(MOVED_TABLES.map((t, i) => [t.table, (counts[i].results[0] as { n: number }).n]).filter(([, n]) => n !== 0));
}

const withInbox = (ws: TestWorkspace, fn: (instance: IngestInbox) => void) => runInDurableObject(inboxOf(env, ws.id), async (i: IngestInbox) => fn(i));
const moving: TestWorkspace[] = [];
afterEach(async () => {
  for (const ws of moving.splice(0)) await withInbox(ws, (i) => (i.faults = {}));
});

/** Runs the workspace's inbox (the move and the drain) until its move is over: the alarm would do the same. */
async function finishMove(ws: TestWorkspace): Promise<Record<string, unknown>> {
  await expect
    .poll(
      async () => {
        await inboxOf(env, ws.id).settle();
        return (await describeWorkspace(ws.id)).move?.status;
      },
      { timeout: 20_000, interval: 200 },
    )
    .toBe('done');
  await settleInboxes();
  return (await describeWorkspace(ws.id)).move!;
}

describe('the databases', () => {
  it('binds at least two, DB first, each with the whole schema', async () => {
    const names = databaseNames(env);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names[0]).toBe('DB');
    const schemas = await Promise.all(names.map((n) => tableNames(d1(n))));
    for (const tables of schemas) expect(tables).toEqual(schemas[0]);
  });

  it('knows every table: a move copies it or says why not (a new migration must list its tables)', async () => {
    const known = new Set([...MOVED_TABLES.map((t) => t.table), ...NOT_MOVED_TABLES]);
    expect((await tableNames(env.DB)).filter((t) => !known.has(t))).toEqual([]);
  });
});

describe('placement', () => {
  it('spreads new workspaces over the databases, least loaded first, and shows where each went', async () => {
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await admin('', { method: 'POST', json: { name: `spread ${i}` } });
      expect(res.status).toBe(201);
      const created = await res.json<{ id: string; database: string }>();
      expect((await describeWorkspace(created.id)).database).toBe(created.database);
      placed.push(created.database);
    }
    // Empty workspaces weigh the same (a reservation each), so they alternate, DB first on a tie.
    expect(placed[0]).toBe('DB');
    const perDatabase = (name: string) => placed.filter((p) => p === name).length;
    expect(perDatabase('DB')).toBe(3);
    expect(perDatabase('DB_2')).toBe(3);
  });

  it('puts a workspace where the operator says, and refuses an unknown database naming the field', async () => {
    const res = await admin('', { method: 'POST', json: { name: 'pinned', database: 'DB_2' } });
    expect(await res.json()).toMatchObject({ database: 'DB_2' });
    const bad = await admin('', { method: 'POST', json: { name: 'nowhere', database: 'DB_9' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_field', field: 'database' } });
  });

  it('answers 404 for an unknown workspace and 401 without the operator token', async () => {
    expect((await admin('/ws_nope')).status).toBe(404);
    expect((await callRaw('/v1/admin/workspaces/ws_nope')).status).toBe(401);
  });
});

describe('workspaces on different databases', () => {
  it('keep their data apart: each reads and writes its own database only', async () => {
    const a = await createWorkspace('on DB', 'DB');
    const b = await createWorkspace('on DB_2', 'DB_2');
    for (const [ws, plan] of [[a, 'basic'], [b, 'pro']] as const) {
      const res = await call('/v1/batch', {
        method: 'POST',
        headers: { authorization: basic(ws.writeKey) },
        json: { batch: [{ type: 'identify', userId: 'same-user', traits: { plan }, messageId: `m-${ws.id}` }, { type: 'track', userId: 'same-user', event: 'Viewed', messageId: `t-${ws.id}` }] },
      });
      expect(res.status).toBe(200);
    }
    expect((await (await api(a.secretKey, '/v1/profiles/user_id:same-user')).json<any>()).traits.plan).toBe('basic');
    expect((await (await api(b.secretKey, '/v1/profiles/user_id:same-user')).json<any>()).traits.plan).toBe('pro');
    expect(await rowsIn('DB', a.id)).toMatchObject({ events: 2, profiles: 1 });
    expect(await rowsIn('DB_2', a.id)).toEqual({});
    expect(await rowsIn('DB_2', b.id)).toMatchObject({ events: 2, profiles: 1 });
    expect(await rowsIn('DB', b.id)).toEqual({});
    // A segment made through b's key lands on DB_2, and reads through a's key never see it.
    expect((await api(b.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } } })).status).toBe(201);
    expect(await (await api(b.secretKey, '/v1/segments/pro')).json()).toMatchObject({ size: 1 });
    expect((await api(a.secretKey, '/v1/segments/pro')).status).toBe(404);
    expect((await rowsIn('DB_2', b.id)).segment_members).toBe(1);
  });
});

describe('the cron', () => {
  it('runs on every database: time windows expire for workspaces on each', async () => {
    const now = Date.now();
    const spaces = [await createWorkspace('cron on DB', 'DB'), await createWorkspace('cron on DB_2', 'DB_2')];
    for (const ws of spaces) {
      await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { batch: [{ type: 'track', userId: 'sleepy', event: 'Viewed', messageId: `s-${ws.id}` }] } });
      const created = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'dormant', name: 'Dormant', condition: { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } } } });
      expect(await created.json()).toMatchObject({ size: 0, timeRelative: true });
    }
    const report = await runScheduled(env, now + 31 * 86_400_000);
    expect(report.failedWorkspaces).toEqual([]);
    for (const ws of spaces) expect(await (await api(ws.secretKey, '/v1/segments/dormant')).json()).toMatchObject({ size: 1 });
  });
});

describe('moving a workspace', () => {
  it('refuses an unknown database (400 naming database), the database it is on (409) and an unknown workspace (404)', async () => {
    const ws = await createWorkspace('stays', 'DB');
    for (const database of ['DB_9', 'db_2', 42, undefined]) {
      const res = await admin(`/${ws.id}/move`, { method: 'POST', json: { database } });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'database' } });
    }
    const same = await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB' } });
    expect(same.status).toBe(409);
    expect(await same.json()).toMatchObject({ error: { code: 'same_database' } });
    expect((await admin('/ws_nope/move', { method: 'POST', json: { database: 'DB_2' } })).status).toBe(404);
    expect(await describeWorkspace(ws.id)).toMatchObject({ database: 'DB', move: null });
  });

  it('moves with nothing lost while ingest keeps arriving: every event lands once, keys, profiles and segments work after, the old rows are gone', async () => {
    const ws = await createWorkspace('moving shop', 'DB');
    moving.push(ws);
    const track = (i: number) => ({ type: 'track', userId: `u-${i % 40}`, event: 'Order Completed', properties: { revenue: 1 }, messageId: `order-${i}` });
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 50) {
        const batch = Array.from({ length: Math.min(50, to - i) }, (_, j) => track(i + j));
        expect((await ingest(ws, batch)).status).toBe(200);
      }
    };
    // Before: 300 events of 40 people, plus one of them on the pro plan and a segment of pro people.
    // A webhook on entering it: its deliveries point at segment changes, whose ids the move shifts.
    await send(0, 300);
    expect((await ingest(ws, [{ type: 'identify', userId: 'u-1', traits: { plan: 'pro' }, messageId: 'pro-1' }])).status).toBe(200);
    await settleInboxes();
    // Ids the target numbered already: a neighbour on DB_2 with a segment change of its own.
    const neighbour = await createWorkspace('neighbour on DB_2', 'DB_2');
    await call('/v1/batch', { method: 'POST', headers: { authorization: basic(neighbour.writeKey) }, json: { batch: [{ type: 'identify', userId: 'n', traits: { plan: 'pro' }, messageId: 'n-pro' }] } });
    expect((await api(neighbour.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } } })).status).toBe(201);
    const hook = `http://hooks.test/databases-test/${ws.id}`;
    expect((await api(ws.secretKey, '/v1/destinations', { method: 'POST', json: { url: hook, secret: 'whsec_0123456789abcdef' } })).status).toBe(201);
    expect((await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } } })).status).toBe(201);
    await runScheduled(env, Date.now()); // the cron drains the webhook outbox
    expect(await received(ws)).toHaveLength(1);
    const readOnly = await (await api(ws.secretKey, '/v1/keys', { method: 'POST', json: { kind: 'secret', scopes: ['read'] } })).json<{ key: string }>();
    const before = await rowsIn('DB', ws.id);

    // The move starts and is held before it copies: ingest is still acknowledged and waits in the inbox.
    await withInbox(ws, (i) => (i.faults.holdMove = true));
    const started = await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB_2' } });
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ database: 'DB', move: { status: 'waiting', from: 'DB', to: 'DB_2' } });
    expect(await describeWorkspace(ws.id)).toMatchObject({ database: 'DB', move: { status: 'waiting' } });
    await send(300, 500);
    expect(await (await api(ws.secretKey, '/v1/ingest/status')).json()).toMatchObject({ pending: 200 });
    // Other writes would land in the old database behind the copy's back: refused until it is over; reads go on.
    const refused = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'late', name: 'Late', condition: { trait: 'vip', op: 'exists' } } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await refused.json()).toMatchObject({ error: { code: 'workspace_moving' } });
    expect((await api(ws.secretKey, '/v1/profiles/user_id:u-1')).status).toBe(200);
    const again = await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB_2' } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'move_in_progress' } });

    // Released, it crashes once after writing a chunk (before saving its cursor), resumes, and more ingest arrives meanwhile.
    let crashes = 0;
    await withInbox(ws, (i) => {
      i.faults = {
        afterMoveChunk: () => {
          if (crashes++ === 1) throw new Error('killed after a chunk');
        },
      };
    });
    await inboxOf(env, ws.id).settle();
    await send(500, 600);
    const move = await finishMove(ws);
    expect(crashes).toBeGreaterThan(2);
    expect(move).toMatchObject({ status: 'done', from: 'DB', to: 'DB_2' });
    expect(move.rowsCopied).toBeGreaterThanOrEqual(Object.values(before).reduce((a, b) => a + b, 0));
    expect(await describeWorkspace(ws.id)).toMatchObject({ database: 'DB_2' });

    // Every event exactly once, on the new database only.
    expect(await rowsIn('DB', ws.id)).toEqual({});
    const after = await rowsIn('DB_2', ws.id);
    expect(after.events).toBe(601);
    const ids = await env.DB_2!.prepare("SELECT count(DISTINCT message_id) AS n FROM events WHERE workspace_id = ? AND message_id LIKE 'order-%'").bind(ws.id).first<{ n: number }>();
    expect(ids!.n).toBe(600);
    expect(after.profiles).toBe(before.profiles);
    // Profiles add up what arrived before, during and after the move; the timeline keeps its order.
    const u1 = await (await api(readOnly.key, '/v1/profiles/user_id:u-1')).json<any>();
    expect(u1.computed).toMatchObject({ eventCount: 16, revenue: 15 });
    const timeline = await (await api(ws.secretKey, '/v1/profiles/user_id:u-3/events?limit=100')).json<{ data: { messageId: string }[] }>();
    expect(timeline.data).toHaveLength(15);
    // Writes work again, on the new database; the segment keeps its members and takes new ones.
    expect((await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'late', name: 'Late', condition: { trait: 'vip', op: 'exists' } } })).status).toBe(201);
    expect((await ingest(ws, [{ type: 'identify', userId: 'u-2', traits: { plan: 'pro' }, messageId: 'pro-2' }])).status).toBe(200);
    await settleInboxes();
    const members = await (await api(ws.secretKey, '/v1/segments/pro/members')).json<{ data: unknown[] }>();
    expect(members.data).toHaveLength(2);
    expect(await rowsIn('DB', ws.id)).toEqual({});
    // The webhook heard each entry once: nothing re-sent by the move; every delivery still points at its change.
    await runScheduled(env, Date.now());
    expect(await received(ws)).toHaveLength(2);
    const orphans = await env
      .DB_2!.prepare('SELECT count(*) AS n FROM webhook_deliveries d WHERE d.workspace_id = ?1 AND NOT EXISTS (SELECT 1 FROM segment_changes c WHERE c.id = d.change_id AND c.workspace_id = ?1)')
      .bind(ws.id)
      .first<{ n: number }>();
    expect(orphans!.n).toBe(0);
    expect((await rowsIn('DB_2', ws.id)).webhook_deliveries).toBe(2);
  }, 60_000);

  it('leaves a moving workspace to its move (the cron skips it), and gives a move up after five failures in a row: the workspace stays and works', async () => {
    const ws = await createWorkspace('unlucky', 'DB');
    moving.push(ws);
    await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { batch: [{ type: 'track', userId: 'sleepy', event: 'Viewed', messageId: 'u-1' }] } });
    expect((await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'dormant', name: 'Dormant', condition: { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } } } })).status).toBe(201);
    await withInbox(ws, (i) => (i.faults.holdMove = true));
    expect((await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB_2' } })).status).toBe(202);
    const later = Date.now() + 31 * 86_400_000;
    await runScheduled(env, later);
    expect(await (await api(ws.secretKey, '/v1/segments/dormant')).json()).toMatchObject({ size: 0 });

    await withInbox(ws, (i) => {
      i.faults = {
        afterMoveChunk: () => {
          throw new Error('disk full');
        },
      };
    });
    for (let attempt = 0; attempt < 5; attempt++) await inboxOf(env, ws.id).settle();
    expect(await describeWorkspace(ws.id)).toMatchObject({ database: 'DB', move: { status: 'failed', error: expect.stringContaining('disk full') } });
    expect(Object.keys(await rowsIn('DB_2', ws.id)).length).toBeGreaterThan(0); // what the failed copy left there
    // Writes and ingest work again, on DB; the cron takes the workspace back.
    expect((await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'any', name: 'Any', condition: { trait: 'plan', op: 'exists' } } })).status).toBe(201);
    expect((await ingest(ws, [{ type: 'track', userId: 'sleepy', event: 'Viewed', messageId: 'u-2' }])).status).toBe(200);
    await settleInboxes();
    expect((await rowsIn('DB', ws.id)).events).toBe(2);
    await runScheduled(env, later);
    expect(await (await api(ws.secretKey, '/v1/segments/dormant')).json()).toMatchObject({ size: 1 });
    // The next move replaces the leftovers: everything once.
    await withInbox(ws, (i) => (i.faults = {}));
    expect((await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB_2' } })).status).toBe(202);
    await finishMove(ws);
    expect(await rowsIn('DB_2', ws.id)).toMatchObject({ events: 2, profiles: 1, segments: 2, segment_members: 1 });
    expect(await rowsIn('DB', ws.id)).toEqual({});
  }, 30_000);

  it('moves back, and event ids stay unique beside another workspace on the target', async () => {
    const ws = await createWorkspace('back and forth', 'DB_2');
    const neighbour = await createWorkspace('neighbour', 'DB');
    moving.push(ws);
    const batch = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'track', anonymousId: `a-${i % 5}`, event: 'Seen', messageId: `${prefix}-${i}` }));
    await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, json: { batch: batch('w', 30) } });
    // The neighbour's ids cover the mover's on the other database: copied as they are, they would collide.
    for (let i = 0; i < 7; i++) await call('/v1/batch', { method: 'POST', headers: { authorization: basic(neighbour.writeKey) }, json: { batch: batch(`n${i}`, 100) } });
    const source = await env.DB_2!.prepare('SELECT max(seq) AS top FROM events WHERE workspace_id = ?').bind(ws.id).first<{ top: number }>();
    const covered = await env.DB.prepare('SELECT count(*) AS n FROM events WHERE seq = ?').bind(source!.top).first<{ n: number }>();
    expect(covered!.n).toBe(1);
    expect((await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB' } })).status).toBe(202);
    await finishMove(ws);
    await call('/v1/batch', { method: 'POST', headers: { authorization: basic(neighbour.writeKey) }, json: { batch: batch('later', 10) } });
    expect(await rowsIn('DB', ws.id)).toMatchObject({ events: 30, profiles: 5, identities: 5 });
    expect(await rowsIn('DB', neighbour.id)).toMatchObject({ events: 710 });
    expect(await rowsIn('DB_2', ws.id)).toEqual({});
    const seqs = await env.DB.prepare('SELECT count(*) AS n, count(DISTINCT seq) AS d FROM events').first<{ n: number; d: number }>();
    expect(seqs!.d).toBe(seqs!.n);
  }, 30_000);
});
