import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inboxOf } from '../src/resolver/inbox-client';
import type { IngestInbox } from '../src/resolver/inbox';
import { runScheduled } from '../src/scheduled';
import { ADMIN_TOKEN, call, callRaw, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// Events retention moved out of D1 are read back from R2 through the per-person index: the
// timeline pages over hot and cold as one list, merged people see both halves, splits keep each
// side's own, erasure takes them out of every read and of the index, cursors survive a move.

const DAY = 86_400_000;
const T0 = Date.now();
const ago = (days: number, minutes = 0) => new Date(T0 - days * DAY - minutes * 60_000).toISOString();

type TimelineItem = { messageId: string; type: string; event: string | null; name: string | null; timestamp: string; properties: unknown; traits: unknown; context: unknown };
type Page = { data: TimelineItem[]; cursor: { next: string | null; hasMore: boolean } };

let ws: TestWorkspace;
const api = (path: string, init: RequestInit & { json?: unknown } = {}) => call(path, { ...init, headers: { authorization: `Bearer ${ws.secretKey}` } });
const admin = (path: string, init: RequestInit & { json?: unknown } = {}) => call(`/v1/admin/workspaces${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

/** Every page of a timeline, following cursors; `query` adds filters. */
async function pages(ref: string, limit: number, query = '', first: string | null = null): Promise<TimelineItem[][]> {
  const out: TimelineItem[][] = [];
  let cursor = first;
  for (let i = 0; i < 200; i++) {
    const res = await api(`/v1/profiles/${ref}/events?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const page = await res.json<Page>();
    out.push(page.data);
    expect(page.cursor.hasMore).toBe(page.cursor.next !== null);
    if (!page.cursor.next) return out;
    expect(page.data).toHaveLength(limit);
    cursor = page.cursor.next;
  }
  throw new Error('timeline did not end');
}
const timeline = async (ref: string, limit = 100, query = '') => (await pages(ref, limit, query)).flat();
const ids = (items: TimelineItem[]) => items.map((e) => e.messageId);

/** The hourly cron's retention sweep, then the inboxes' alarms. */
async function sweep() {
  await runScheduled(env, Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await settleInboxes();
}

const inD1 = async (prefix: string) =>
  (await (await workspaceDb(ws.id)).prepare("SELECT message_id FROM events WHERE workspace_id = ?1 AND message_id LIKE ?2 || '%' ORDER BY message_id").bind(ws.id, prefix).all<{ message_id: string }>()).results.map((r) => r.message_id);

const indexRows = async () =>
  (await (await workspaceDb(ws.id)).prepare('SELECT profile_id, object, lines FROM archive_index WHERE workspace_id = ?1').bind(ws.id).all<{ profile_id: string; object: string; lines: string }>()).results;

const profileId = async (ref: string) => (await (await api(`/v1/profiles/${ref}`)).json<{ id: string }>()).id;

/** Ana (browsing anonymously, then signing up), Bob and Carol, their events spread over 300 days, in shared batches (shared archive objects). */
async function seed() {
  // Archiving starts with the inbox's first batch: events received from then on may go cold.
  await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'warm', messageId: 'w-0' }]);
  await sendBatch(ws.writeKey, [
    { type: 'page', anonymousId: 'ana-dev', name: 'Home', timestamp: ago(300), messageId: 'a-01' },
    // Ana signed in elsewhere: her own profile until the identify below merges the device's into it.
    { type: 'track', userId: 'ana', event: 'Signed In', timestamp: ago(280), messageId: 'a-01u' },
    { type: 'track', anonymousId: 'ana-dev', event: 'Product Viewed', properties: { sku: 'x1' }, timestamp: ago(250), messageId: 'a-02' },
    { type: 'track', userId: 'bob', event: 'Order Completed', properties: { revenue: 5 }, timestamp: ago(250), messageId: 'b-01' },
    { type: 'track', userId: 'carol', event: 'Order Completed', properties: { revenue: 7 }, timestamp: ago(240), messageId: 'c-01' },
    // Two events of one time: the tie is ordered by messageId, on both sides of the boundary.
    { type: 'track', anonymousId: 'ana-dev', event: 'Tie', timestamp: ago(200), messageId: 'a-03b' },
    { type: 'track', anonymousId: 'ana-dev', event: 'Tie', timestamp: ago(200), messageId: 'a-03a' },
  ]);
  await sendBatch(ws.writeKey, [
    { type: 'identify', userId: 'ana', anonymousId: 'ana-dev', traits: { email: 'ana@example.com' }, timestamp: ago(150), messageId: 'a-04' },
    { type: 'track', userId: 'carol', event: 'Viewed', timestamp: ago(120), messageId: 'c-02' },
    { type: 'track', userId: 'ana', event: 'Order Completed', properties: { revenue: 30 }, timestamp: ago(100), messageId: 'a-05' },
    { type: 'track', userId: 'bob', event: 'Viewed', timestamp: ago(90), messageId: 'b-02' },
    { type: 'track', userId: 'ana', event: 'Product Viewed', properties: { sku: 'x2' }, timestamp: ago(60), messageId: 'a-06' },
  ]);
  await sendBatch(ws.writeKey, [
    { type: 'track', userId: 'ana', event: 'Tie', timestamp: ago(31), messageId: 'a-07b' },
    { type: 'track', userId: 'ana', event: 'Tie', timestamp: ago(31), messageId: 'a-07a' },
    { type: 'track', userId: 'ana', event: 'Order Completed', properties: { revenue: 12 }, timestamp: ago(20), messageId: 'a-08' },
    { type: 'track', userId: 'bob', event: 'Order Completed', properties: { revenue: 9 }, timestamp: ago(10), messageId: 'b-03' },
    { type: 'track', userId: 'carol', event: 'Viewed', timestamp: ago(5), messageId: 'c-03' },
    { type: 'page', userId: 'ana', name: 'Cart', timestamp: ago(1), messageId: 'a-09' },
  ]);
}

const expected: Record<string, TimelineItem[]> = {};

beforeAll(async () => {
  ws = await createWorkspace('cold-reads', 'DB_2');
  await seed();
  for (const who of ['ana', 'bob']) expected[who] = await timeline(`user_id:${who}`);
  // 30 days hot: everything older leaves D1 (orders too: the predictions read another event here).
  expect((await api('/v1/settings', { method: 'PATCH', json: { retention: { hotDays: 30 }, predictions: { orderEvent: 'Purchase' } } })).status).toBe(200);
  await sweep();
});

const withInbox = (fn: (instance: IngestInbox) => void) => runInDurableObject(inboxOf(env, ws.id), async (i: IngestInbox) => fn(i));
afterEach(() => withInbox((i) => (i.faults = {})));

/** Sends a batch whose first resolver attempt throws at `fault`, and waits until the replay resolved it. */
async function sendCrashingOnce(fault: 'beforeArchive' | 'afterResolve', messages: Record<string, unknown>[]) {
  let crashes = 0;
  await withInbox((i) => (i.faults[fault] = () => {
    if (crashes++ === 0) throw new Error(`crash at ${fault}`);
  }));
  await sendBatch(ws.writeKey, messages);
  await expect.poll(async () => (await settleInboxes(), (await inboxOf(env, ws.id).status()).pending), { timeout: 10_000 }).toBe(0);
  expect(crashes).toBeGreaterThan(1);
}

describe('cold reads', () => {
  it('keeps the whole timeline after retention: page by page over hot and cold, no duplicate or gap, the same JSON', async () => {
    expect(ids(expected.ana)).toEqual(['a-09', 'a-08', 'a-07b', 'a-07a', 'a-06', 'a-05', 'a-04', 'a-03b', 'a-03a', 'a-02', 'a-01u', 'a-01']);
    // Only the last 30 days are in D1 now.
    expect(await inD1('a-')).toEqual(['a-08', 'a-09']);
    for (const limit of [1, 2, 3, 4, 100]) {
      const got = await pages('user_id:ana', limit);
      expect(got.flat(), `limit ${limit}`).toEqual(expected.ana);
    }
    expect(await timeline('user_id:bob', 1)).toEqual(expected.bob);
    // The merged-away anonymous profile reads its survivor: both halves.
    expect(await timeline('anonymous_id:ana-dev', 3)).toEqual(expected.ana);
  });

  it('filters cold events like hot ones (event, start, end)', async () => {
    const orders = expected.ana.filter((e) => e.event === 'Order Completed');
    expect(await timeline('user_id:ana', 1, '&event=Order%20Completed')).toEqual(orders);
    const from = ago(210);
    const to = ago(25);
    const inRange = expected.ana.filter((e) => e.timestamp >= from && e.timestamp < to);
    expect(ids(inRange)).toEqual(['a-07b', 'a-07a', 'a-06', 'a-05', 'a-04', 'a-03b', 'a-03a']);
    expect(await timeline('user_id:ana', 2, `&start=${from}&end=${to}`)).toEqual(inRange);
  });

  it('indexes one row per profile per archive object, and indexing an object again adds none', async () => {
    const rows = await indexRows();
    const pairs = new Set(rows.map((r) => `${r.profile_id} ${r.object}`));
    expect(pairs.size).toBe(rows.length);
    // Ana's first batch: her anonymous profile's four events in one row.
    expect(rows.some((r) => r.lines.split(',').length === 4)).toBe(true);

    // A replay: the resolver crashes after the archive step, the batch is resolved again row by row.
    await sendCrashingOnce('afterResolve', [
      { type: 'track', userId: 'bob', event: 'Replayed', timestamp: ago(3), messageId: 'b-04' },
      { type: 'track', userId: 'bob', event: 'Replayed', timestamp: ago(2), messageId: 'b-05' },
    ]);
    const after = await indexRows();
    expect(new Set(after.map((r) => `${r.profile_id} ${r.object}`)).size).toBe(after.length);
    expect(ids(await timeline('user_id:bob', 2)).slice(0, 2)).toEqual(['b-05', 'b-04']);
  });

  it('reads a person whole when the resolver crashed between the D1 write (which places the events in the objects) and the R2 put', async () => {
    await sendCrashingOnce('beforeArchive', [
      { type: 'track', userId: 'dave', event: 'Old', timestamp: ago(50), messageId: 'd-01' },
      { type: 'track', userId: 'dave', event: 'Old', timestamp: ago(40), messageId: 'd-02' },
    ]);
    await sweep();
    expect(await inD1('d-')).toEqual([]);
    // The replay went row by row, each row under its own object's name: the stored rows took those
    // places, so retention indexed each event in the object that holds it, and reads find each once.
    const dave = await profileId('user_id:dave');
    expect((await indexRows()).filter((r) => r.profile_id === dave).length).toBeGreaterThan(1);
    expect(ids(await timeline('user_id:dave', 1))).toEqual(['d-02', 'd-01']);
  });

  it("exports a person's cold events with their hot ones (the data-subject export)", async () => {
    const res = await api('/v1/profiles/user_id:ana/export');
    expect(res.status).toBe(200);
    const doc = await res.json<{ events: { messageId: string; profileId: string; timestamp: string; receivedAt: string; properties: unknown }[] }>();
    expect(doc.events.map((e) => e.messageId).sort()).toEqual(ids(expected.ana).sort());
    const cold = doc.events.find((e) => e.messageId === 'a-05')!;
    expect(cold).toMatchObject({ properties: { revenue: 30 }, timestamp: expected.ana.find((e) => e.messageId === 'a-05')!.timestamp });
    expect(cold.profileId).toMatch(/\S/);
  });

  it('splits: each side keeps its own cold events', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'track', userId: 'dan', event: 'Dan Old', timestamp: ago(100), messageId: 'd-01' },
      { type: 'track', userId: 'eve', event: 'Eve Old', timestamp: ago(90), messageId: 'e-01' },
      { type: 'track', userId: 'dan', event: 'Dan New', timestamp: ago(2), messageId: 'd-02' },
      { type: 'track', userId: 'eve', event: 'Eve New', timestamp: ago(1), messageId: 'e-02' },
    ]);
    // The operator applies the window now (as the hourly sweep would).
    expect((await admin(`/${ws.id}/retention`, { method: 'POST' })).status).toBe(202);
    expect((await admin('/ws_nope/retention', { method: 'POST' })).status).toBe(404);
    await settleInboxes();
    expect(await inD1('d-')).toEqual(['d-02']);
    const eveId = await profileId('user_id:eve');
    const merged = await call('/v1/profiles/user_id:dan/merge', { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}` }, json: { from: 'user_id:eve' } });
    expect(merged.status).toBe(200);
    expect(ids(await timeline('user_id:dan', 1))).toEqual(['e-02', 'd-02', 'e-01', 'd-01']);
    const split = await call('/v1/profiles/user_id:dan/split', { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}` }, json: { profileId: eveId } });
    expect(split.status).toBe(200);
    expect(ids(await timeline('user_id:dan', 1))).toEqual(['d-02', 'd-01']);
    expect(ids(await timeline('user_id:eve', 1))).toEqual(['e-02', 'e-01']);
  });

  it('takes an erased person out of the timeline, their export and the index; the people sharing their objects keep theirs', async () => {
    const carolIds = [await profileId('user_id:carol')];
    expect((await indexRows()).some((r) => carolIds.includes(r.profile_id))).toBe(true);
    const del = await call('/v1/profiles/user_id:carol', { method: 'DELETE', headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect(del.status).toBe(200);
    expect((await del.json<{ rowCounts: Record<string, number> }>()).rowCounts.archive_index).toBeGreaterThan(0);
    expect((await indexRows()).some((r) => carolIds.includes(r.profile_id))).toBe(false);
    // The purge rewrites the shared objects; Bob's rows are shifted to his lines.
    await settleInboxes();
    const bob = await timeline('user_id:bob', 2);
    expect(ids(bob).filter((id) => expected.bob.some((e) => e.messageId === id))).toEqual(ids(expected.bob));
    expect(bob.filter((e) => expected.bob.some((x) => x.messageId === e.messageId))).toEqual(expected.bob);
    expect(ids(await timeline('user_id:ana', 3))).toEqual(ids(expected.ana));

    // Carol comes back (not suppressed): a new profile, with none of her erased history.
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'carol', event: 'Back', messageId: 'c-04' }]);
    expect(ids(await timeline('user_id:carol'))).toEqual(['c-04']);
    const doc = await (await api('/v1/profiles/user_id:carol/export')).json<{ events: { messageId: string }[] }>();
    expect(doc.events.map((e) => e.messageId)).toEqual(['c-04']);
  });

  it('refuses a cursor of the older (timestamp, seq) form with a 400 naming cursor', async () => {
    const old = btoa(JSON.stringify([Date.now(), 42])).replace(/=+$/, '');
    const res = await api(`/v1/profiles/user_id:ana/events?cursor=${old}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_cursor', field: 'cursor', message: expect.stringContaining('first page') } });
  });

  it('keeps cursors and cold reads working across a move to another database', async () => {
    const first = await (await api('/v1/profiles/user_id:ana/events?limit=4')).json<Page>();
    expect(first.data).toEqual(expected.ana.slice(0, 4));
    expect((await admin(`/${ws.id}/move`, { method: 'POST', json: { database: 'DB' } })).status).toBe(202);
    await expect
      .poll(
        async () => {
          await inboxOf(env, ws.id).settle();
          return (await (await admin(`/${ws.id}`)).json<{ move: { status: string } | null }>()).move?.status;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe('done');
    await settleInboxes();
    const rest = (await pages('user_id:ana', 3, '', first.cursor.next)).flat();
    expect([...first.data, ...rest]).toEqual(expected.ana);
  });
});

describe('a rebuild', () => {
  it('indexes the archive again under the new profiles: once cold again, the timeline is whole', async () => {
    const before = await profileId('user_id:ana');
    const res = await admin(`/${ws.id}/rebuild`, { method: 'POST' });
    expect(res.status).toBe(202);
    await settleInboxes();
    expect((await (await admin(`/${ws.id}`)).json<{ rebuild: { status: string } }>()).rebuild.status).toBe('done');
    expect(await profileId('user_id:ana')).not.toBe(before);
    await sweep();
    expect(await inD1('a-')).toEqual(['a-08', 'a-09']);
    expect((await indexRows()).some((r) => r.profile_id === before)).toBe(false);
    expect(await timeline('user_id:ana', 3)).toEqual(expected.ana);
  });
});

describe('a workspace without retention', () => {
  it('reads D1 only (no cold boundary yet)', async () => {
    const plain = await createWorkspace('cold-reads-plain');
    await sendBatch(plain.writeKey, [{ type: 'track', userId: 'p', event: 'E', timestamp: ago(900), messageId: 'p-1' }]);
    const res = await callRaw('/v1/profiles/user_id:p/events', { headers: { authorization: `Bearer ${plain.secretKey}` } });
    expect(ids((await res.json<Page>()).data)).toEqual(['p-1']);
  });
});
