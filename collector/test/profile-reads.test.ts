import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { invalidateProfileReads, profileReadsOf } from '../src/profile-reads/invalidate';
import { MAX_AGE_MS, type ProfileReads } from '../src/profile-reads/profile-reads';
import { runScheduled } from '../src/scheduled';
import { ADMIN_TOKEN, basic, call, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// The profile read store (collector/src/profile-reads): a repeated read is answered from the
// workspace's Durable Object without D1, and after every kind of write a read answers what the
// write left. Each test reads first (which stores the view), writes, and reads again. The store's
// catch-up after quiet writes is tested in profile-read-store.test.ts.

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Read cache shop');
});

const DAY = 86_400_000;
const api = (path: string, init: RequestInit & { json?: unknown } = {}, w = ws) =>
  call(path, { ...init, headers: { authorization: `Bearer ${w.secretKey}`, ...(init.headers as Record<string, string> | undefined) } });
const send = async (batch: unknown[], w = ws) => expect((await sendBatch(w.writeKey, batch)).status).toBe(200);

interface Read {
  status: number;
  body: Record<string, any>;
  /** Server-Timing `cache`: hit, miss or none. */
  cache: string | undefined;
  /** Whether Server-Timing has a D1 phase. */
  d1: boolean;
}

async function read(path: string, w = ws): Promise<Read> {
  const res = await api(path, {}, w);
  const timing = res.headers.get('server-timing') ?? '';
  return { status: res.status, body: await res.json(), cache: /cache;desc=(\w+)/.exec(timing)?.[1], d1: /\bd1;dur=/.test(timing) };
}
const profile = (ref: string, w = ws) => read(`/v1/profiles/${encodeURIComponent(ref)}`, w);
const timeline = (ref: string, limit = 20) => read(`/v1/profiles/${encodeURIComponent(ref)}/events?limit=${limit}`);

/** Reads twice: the second must come from the cache, so what follows tests invalidation, not a cold read. */
async function filled(ref: string, w = ws): Promise<Read> {
  await profile(ref, w);
  const kept = await profile(ref, w);
  expect(kept).toMatchObject({ status: 200, cache: 'hit', d1: false });
  return kept;
}

const withReads = <T>(fn: (instance: ProfileReads) => T | Promise<T>, w = ws) =>
  runInDurableObject(profileReadsOf(env, w.id), async (instance: ProfileReads) => fn(instance));
const counts = () => withReads((i) => ({ ...i.counts }));
const idOf = async (ref: string) => (await profile(ref)).body.id as string;

describe('reads from the store', () => {
  it('answers a repeated read from the store, without a D1 query', async () => {
    await send([{ type: 'identify', userId: 'c-1', traits: { plan: 'free' }, messageId: 'c-1-1' }]);
    expect(await profile('user_id:c-1')).toMatchObject({ status: 200, cache: 'miss', d1: true });
    const before = await counts();
    const hit = await profile('user_id:c-1');
    expect(hit).toMatchObject({ status: 200, cache: 'hit', d1: false, body: { traits: { plan: 'free' } } });
    const after = await counts();
    expect(after.d1Reads).toBe(before.d1Reads);
    expect(after.hits).toBe(before.hits + 1);

    // A writer that forgets to invalidate: the row changes behind the store's back. The stored
    // read still answers the old view, which it could not if it had queried D1; the safety net
    // (a row older than MAX_AGE_MS does not answer, and sweeps re-read every row) bounds how long.
    const db = await workspaceDb(ws.id);
    await db.prepare(`UPDATE profiles SET traits = '{"plan":"sneaky"}' WHERE workspace_id = ? AND id = ?`).bind(ws.id, hit.body.id).run();
    expect((await profile('user_id:c-1')).body.traits).toEqual({ plan: 'free' });
    await withReads((i) => (i.clock = () => Date.now() + MAX_AGE_MS + 1_000));
    try {
      expect(await profile('user_id:c-1')).toMatchObject({ cache: 'miss', body: { traits: { plan: 'sneaky' } } });
    } finally {
      await withReads((i) => (i.clock = () => Date.now()));
    }
  });

  it('answers the first timeline page from the store for any limit it holds, and sends other pages to D1', async () => {
    await send(Array.from({ length: 5 }, (_, k) => ({ type: 'track', userId: 't-1', event: 'Viewed', messageId: `t-1-${k}`, timestamp: `2026-03-0${k + 1}T00:00:00.000Z` })));
    const first = await timeline('user_id:t-1', 3);
    expect(first).toMatchObject({ status: 200, cache: 'miss' });
    expect(first.body.data).toHaveLength(3);
    expect(first.body.cursor.hasMore).toBe(true);
    for (const limit of [3, 2, 1]) {
      const again = await timeline('user_id:t-1', limit);
      expect(again).toMatchObject({ cache: 'hit', d1: false });
      expect(again.body.data).toEqual(first.body.data.slice(0, limit));
      expect(again.body.cursor.hasMore).toBe(true);
    }
    // A miss reads the page the store keeps (50 events and one more), so a larger limit is a hit too.
    expect((await timeline('user_id:t-1', 10)).cache).toBe('hit');
    const all = await timeline('user_id:t-1', 50);
    expect(all).toMatchObject({ cache: 'hit', body: { cursor: { hasMore: false, next: null } } });
    expect(all.body.data).toHaveLength(5);
    const next = await read(`/v1/profiles/user_id:t-1/events?limit=2&cursor=${first.body.cursor.next}`);
    expect(next).toMatchObject({ status: 200, cache: 'none' });
    expect(next.body.data.map((e: any) => e.messageId)).toEqual(['t-1-1', 't-1-0']);
  });

  it('never keeps a 404', async () => {
    const before = await counts();
    expect(await profile('user_id:later')).toMatchObject({ status: 404, cache: 'miss' });
    expect(await profile('user_id:later')).toMatchObject({ status: 404, cache: 'miss' });
    expect((await counts()).d1Reads).toBe(before.d1Reads + 2);
    await send([{ type: 'identify', userId: 'later', messageId: 'later-1' }]);
    expect((await profile('user_id:later')).status).toBe(200);
  });

  it('does not keep what a read found when a write invalidated the profile while the read was in flight', async () => {
    await send([{ type: 'identify', userId: 'race-1', traits: { plan: 'old' }, messageId: 'race-1-1' }]);
    const db = await workspaceDb(ws.id);
    const { id } = (await db.prepare(`SELECT p.canonical_id AS id FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.workspace_id = ? AND i.value = 'race-1'`).bind(ws.id).first<{ id: string }>())!;
    let reached!: () => void;
    let release!: () => void;
    const atRead = new Promise<void>((r) => (reached = r));
    const gate = new Promise<void>((r) => (release = r));
    await withReads((i) => {
      i.faults.afterRead = async () => {
        i.faults.afterRead = undefined;
        reached();
        await gate;
      };
    });
    const before = await counts();
    const racing = profile('user_id:race-1');
    await atRead;
    // The write lands and invalidates after the read saw the old row, before it could store it.
    await db.prepare(`UPDATE profiles SET traits = '{"plan":"new"}' WHERE workspace_id = ? AND id = ?`).bind(ws.id, id).run();
    await invalidateProfileReads(env, ws.id, { profileIds: [id] });
    release();
    expect((await racing).body.traits).toEqual({ plan: 'old' }); // answered: it began before the write completed
    expect((await counts()).notKept).toBe(before.notKept + 1);
    expect(await profile('user_id:race-1')).toMatchObject({ cache: 'miss', body: { traits: { plan: 'new' } } });
  });
});

describe('every writer invalidates', () => {
  it('the resolver: new traits and new events', async () => {
    await send([{ type: 'identify', userId: 'r-1', traits: { plan: 'free' }, messageId: 'r-1-1' }]);
    await filled('user_id:r-1');
    await timeline('user_id:r-1');
    expect((await timeline('user_id:r-1')).cache).toBe('hit');
    await send([
      { type: 'identify', userId: 'r-1', traits: { plan: 'pro' }, messageId: 'r-1-2' },
      { type: 'track', userId: 'r-1', event: 'Upgraded', messageId: 'r-1-3' },
    ]);
    expect(await profile('user_id:r-1')).toMatchObject({ cache: 'miss', body: { traits: { plan: 'pro' }, computed: { eventCount: 3 } } });
    expect((await timeline('user_id:r-1')).body.data[0].messageId).toBe('r-1-3');
  });

  it('the resolver merging two people: every old ref answers the winner', async () => {
    await send([
      { type: 'track', anonymousId: 'm-anon', event: 'Viewed', messageId: 'm-1' },
      { type: 'identify', userId: 'm-user', traits: { name: 'Mia' }, messageId: 'm-2' },
    ]);
    const anonId = (await filled('anonymous_id:m-anon')).body.id;
    const userId = (await filled('user_id:m-user')).body.id;
    expect(anonId).not.toBe(userId);
    await filled(anonId);
    await filled(userId);
    await send([{ type: 'identify', userId: 'm-user', anonymousId: 'm-anon', messageId: 'm-3' }]);
    const winner = await profile('user_id:m-user');
    expect(winner.body.identities).toEqual(expect.arrayContaining([{ type: 'anonymous_id', value: 'm-anon' }, { type: 'user_id', value: 'm-user' }]));
    for (const ref of ['anonymous_id:m-anon', anonId, userId]) expect((await profile(ref)).body, ref).toEqual(winner.body);
  });

  it('a forced merge and its split', async () => {
    await send([
      { type: 'identify', userId: 'fm-1', messageId: 'fm-1' },
      { type: 'identify', userId: 'fm-2', messageId: 'fm-2' },
    ]);
    const one = (await filled('user_id:fm-1')).body.id;
    const two = (await filled('user_id:fm-2')).body.id;
    await filled(two);
    expect((await api('/v1/profiles/user_id:fm-1/merge', { method: 'POST', json: { from: 'user_id:fm-2' } })).status).toBe(200);
    for (const ref of ['user_id:fm-1', 'user_id:fm-2', two]) expect((await profile(ref)).body.id, ref).toBe(one);
    await filled('user_id:fm-2');
    expect((await api('/v1/profiles/user_id:fm-1/split', { method: 'POST', json: { profileId: two } })).status).toBe(200);
    expect((await profile('user_id:fm-2')).body.id).toBe(two);
    expect((await profile(two)).body.id).toBe(two);
    expect((await profile('user_id:fm-1')).body.identities).toEqual([{ type: 'user_id', value: 'fm-1' }]);
  });

  it('erasure: 404 at once for every ref', async () => {
    await send([{ type: 'identify', userId: 'er-1', anonymousId: 'er-anon', messageId: 'er-1' }]);
    const id = (await filled('user_id:er-1')).body.id;
    await filled(id);
    await filled('anonymous_id:er-anon');
    expect((await api('/v1/profiles/user_id:er-1?suppress=true', { method: 'DELETE' })).status).toBe(200);
    for (const ref of ['user_id:er-1', id, 'anonymous_id:er-anon']) expect((await profile(ref)).status, ref).toBe(404);
  });

  it('defining and deleting a computed trait', async () => {
    await send([{ type: 'track', userId: 'ct-1', event: 'Order Completed', properties: { revenue: 10 }, messageId: 'ct-1' }]);
    await filled('user_id:ct-1');
    expect((await api('/v1/computed-traits', { method: 'POST', json: { key: 'orders', event: 'Order Completed', aggregate: 'count' } })).status).toBe(201);
    expect((await profile('user_id:ct-1')).body.computedTraits).toMatchObject({ orders: 1 });
    await filled('user_id:ct-1');
    expect((await api('/v1/computed-traits/orders', { method: 'DELETE' })).status).toBe(204);
    expect((await profile('user_id:ct-1')).body.computedTraits).not.toHaveProperty('orders');
  });

  it('the cron moving a computed trait window: the people whose value moved, by name', async () => {
    const own = await createWorkspace('Cron shop');
    // Not orders: the same cron run would fit a prediction model on them, which changes everyone's read.
    const now = Date.now();
    await send(
      [
        { type: 'track', userId: 'cr-1', event: 'Signed In', timestamp: new Date(now - 20 * DAY).toISOString(), messageId: 'cr-1' },
        { type: 'track', userId: 'cr-2', event: 'Signed In', timestamp: new Date(now - DAY).toISOString(), messageId: 'cr-2' },
      ],
      own,
    );
    expect((await api('/v1/computed-traits', { method: 'POST', json: { key: 'recent', event: 'Signed In', aggregate: 'count', windowDays: 30 } }, own)).status).toBe(201);
    expect((await filled('user_id:cr-1', own)).body.computedTraits).toMatchObject({ recent: 1 });
    expect((await filled('user_id:cr-2', own)).body.computedTraits).toMatchObject({ recent: 1 });
    const store = () => withReads((i) => i.status(), own);
    const { generation } = await store();
    const later = now + 11 * DAY;
    await runScheduled(env, later - (later % 3_600_000) + 3_600_000);
    // cr-1's event left the window; cr-2's did not: only cr-1's read is stale (no new generation: nobody else is read again).
    expect(await store()).toMatchObject({ generation, views: { namedStale: 1 } });
    expect(await profile('user_id:cr-2', own)).toMatchObject({ cache: 'hit', body: { computedTraits: { recent: 1 } } });
    expect(await profile('user_id:cr-1', own)).toMatchObject({ cache: 'miss', body: { computedTraits: { recent: 0 } } });
  });

  it('a prediction fit', async () => {
    const own = await createWorkspace('Fitting shop');
    const now = Date.now();
    await send(
      [40, 25, 10].map((days, k) => ({ type: 'track', userId: 'pf-1', event: 'Order Completed', properties: { revenue: 20 + k }, timestamp: new Date(now - days * DAY).toISOString(), messageId: `pf-${k}` })),
      own,
    );
    expect((await filled('user_id:pf-1', own)).body.predictions).toBeUndefined();
    expect((await api('/v1/predictions/fit', { method: 'POST' }, own)).status).toBe(200);
    const after = await profile('user_id:pf-1', own);
    expect(after.cache).toBe('miss');
    expect(after.body.predictions).toBeDefined();
    // Kept as a view, not as text: predictions move with the clock and are computed at each answer.
    const again = await profile('user_id:pf-1', own);
    expect(again.cache).toBe('hit');
    const timeless = ({ predictions: _p, rfm: _r, ...rest }: Record<string, any>) => rest;
    expect(timeless(again.body)).toEqual(timeless(after.body));
    expect(again.body.predictions).toMatchObject({ pAlive: expect.any(Number) });
  });

  it('a settings change drops every kept read', async () => {
    await send([{ type: 'identify', userId: 'st-1', messageId: 'st-1' }]);
    await filled('user_id:st-1');
    expect((await api('/v1/settings', { method: 'PATCH', json: { defaultCountry: 'de' } })).status).toBe(200);
    expect((await profile('user_id:st-1')).cache).toBe('miss');
  });

  it('an import', async () => {
    await send([{ type: 'identify', userId: 'im-1', traits: { plan: 'free' }, messageId: 'im-1' }]);
    await filled('user_id:im-1');
    const body = JSON.stringify({ type: 'identify', userId: 'im-1', traits: { plan: 'imported' }, messageId: 'im-2' });
    const res = await call('/v1/import?format=ndjson', { method: 'POST', headers: { authorization: basic(ws.writeKey), 'content-type': 'application/x-ndjson' }, body });
    expect(res.status).toBe(200);
    expect((await profile('user_id:im-1')).body.traits).toEqual({ plan: 'imported' });
  });

  it('a consent withdrawal on a discarded event', async () => {
    const own = await createWorkspace('Consent shop');
    expect((await api('/v1/settings', { method: 'PATCH', json: { requiredConsent: 'analytics' } }, own)).status).toBe(200);
    await send([{ type: 'identify', userId: 'cs-1', messageId: 'cs-1', context: { consent: { categoryPreferences: { analytics: true } } } }], own);
    expect((await filled('user_id:cs-1', own)).body.consent.analytics.granted).toBe(true);
    await send([{ type: 'track', userId: 'cs-1', event: 'Viewed', messageId: 'cs-2', context: { consent: { categoryPreferences: { analytics: false } } } }], own);
    expect((await profile('user_id:cs-1', own)).body.consent.analytics.granted).toBe(false);
  });

  it("an account's traits changed by another member", async () => {
    await send([
      { type: 'group', userId: 'gr-1', groupId: 'acme', traits: { tier: 'gold' }, messageId: 'gr-1' },
      { type: 'group', userId: 'gr-2', groupId: 'acme', messageId: 'gr-2' },
    ]);
    expect((await filled('user_id:gr-1')).body.accounts).toEqual([{ groupId: 'acme', traits: { tier: 'gold' } }]);
    await send([{ type: 'group', userId: 'gr-2', groupId: 'acme', traits: { tier: 'platinum' }, messageId: 'gr-3' }]);
    expect((await profile('user_id:gr-1')).body.accounts).toEqual([{ groupId: 'acme', traits: { tier: 'platinum' } }]);
  });

  it('a rebuild (new profile ids for the same people)', async () => {
    const own = await createWorkspace('Rebuild shop');
    await send([{ type: 'identify', userId: 'rb-1', traits: { plan: 'pro' }, messageId: 'rb-1' }], own);
    const before = (await filled('user_id:rb-1', own)).body;
    expect((await call(`/v1/admin/workspaces/${own.id}/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(202);
    await settleInboxes();
    const after = await profile('user_id:rb-1', own);
    expect(after).toMatchObject({ status: 200, cache: 'miss', body: { traits: { plan: 'pro' } } });
    expect(after.body.id).not.toBe(before.id);
  });

  it('a move to another database', async () => {
    const own = await createWorkspace('Moving shop', 'DB');
    await send([{ type: 'identify', userId: 'mv-1', traits: { plan: 'pro' }, messageId: 'mv-1' }], own);
    const before = (await filled('user_id:mv-1', own)).body;
    expect((await call(`/v1/admin/workspaces/${own.id}/move`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, json: { database: 'DB_2' } })).status).toBe(202);
    await settleInboxes();
    const row = await env.DB.prepare('SELECT database FROM workspaces WHERE id = ?').bind(own.id).first<{ database: string }>();
    expect(row?.database).toBe('DB_2');
    expect(await profile('user_id:mv-1', own)).toMatchObject({ status: 200, cache: 'miss', body: before });
  });
});
