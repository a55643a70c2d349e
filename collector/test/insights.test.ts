import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { tailEvents } from '../src/store/insights';
import { DAY_MS, dayStart } from '../src/insights/series';
import { call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
let other: TestWorkspace;
const now = Date.now();
const today = dayStart(now);
// Noon UTC, `n` days ago: safely inside that UTC day whatever the time of the test run.
const daysAgo = (n: number) => new Date(today - n * DAY_MS + DAY_MS / 2).toISOString();

const get = (path: string, key = ws.secretKey) => call(path, { headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  ws = await createWorkspace('Insights shop');
  other = await createWorkspace('Other shop');
  const track = (event: string, n: number, ago: number, user = 'u1') =>
    Array.from({ length: n }, (_, i) => ({ type: 'track', event, userId: user, timestamp: daysAgo(ago), messageId: `${event}-${ago}-${i}` }));
  const res = await sendBatch(ws.writeKey, [
    ...track('Order Completed', 3, 0),
    ...track('Order Completed', 2, 2),
    ...track('Product Viewed', 4, 2),
    ...track('Signed Up', 1, 29),
    ...track('Too Old', 5, 30),
    { type: 'page', anonymousId: 'a1', name: 'Home', timestamp: daysAgo(1), messageId: 'page-1' },
    { type: 'identify', userId: 'u1', traits: { plan: 'pro' }, timestamp: daysAgo(0), messageId: 'identify-1' },
  ]);
  expect(await res.json()).toMatchObject({ rejected: [] });
  await sendBatch(other.writeKey, track('Order Completed', 7, 0, 'someone-else'));
});

describe('GET /v1/insights/events', () => {
  it('counts messages per UTC day, zero-filled, with per-type and per-event series', async () => {
    const res = await get('/v1/insights/events?days=30');
    expect(res.status).toBe(200);
    const body = await res.json<{
      days: number;
      to: string;
      total: number;
      daily: { date: string; count: number }[];
      byType: { type: string; total: number }[];
      byEvent: { event: string; total: number; daily: number[] }[];
    }>();
    expect(body.days).toBe(30);
    expect(body.daily).toHaveLength(30);
    expect(body.to).toBe(new Date(today).toISOString().slice(0, 10));
    // 3 + 2 + 4 + 1 tracks, 1 page, 1 identify; the 30-days-ago events fall outside; other tenant excluded.
    expect(body.total).toBe(12);
    expect(body.daily.slice(-3).map((d) => d.count)).toEqual([6, 1, 4]);
    expect(body.daily[0]!.count).toBe(1);
    expect(body.byType).toEqual([
      expect.objectContaining({ type: 'track', total: 10 }),
      expect.objectContaining({ type: 'identify', total: 1 }),
      expect.objectContaining({ type: 'page', total: 1 }),
    ]);
    expect(body.byEvent.map((e) => [e.event, e.total])).toEqual([
      ['Order Completed', 5],
      ['Product Viewed', 4],
      ['Signed Up', 1],
    ]);
    expect(body.byEvent[0]!.daily.slice(-3)).toEqual([2, 0, 3]);
  });

  it('keeps the top N events and sums the rest', async () => {
    const body = await (await get('/v1/insights/events?days=7&top=1')).json<{
      byEvent: { event: string }[];
      otherEvents: { names: number; total: number };
    }>();
    expect(body.byEvent.map((e) => e.event)).toEqual(['Order Completed']);
    expect(body.otherEvents).toEqual({ names: 1, total: 4 });
  });

  it.each([
    ['days=0', 'days'],
    ['days=366', 'days'],
    ['days=abc', 'days'],
    ['days=1.5', 'days'],
    ['top=0', 'top'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const res = await get(`/v1/insights/events?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field } });
  });

  it.each([
    ['no key', {}],
    ['a write key', { authorization: 'WRITE' }],
    ['an unknown key', { authorization: 'Bearer sk_nope' }],
  ])('answers 401 with %s', async (_label, headers: Record<string, string>) => {
    if (headers.authorization === 'WRITE') headers = { authorization: `Bearer ${ws.writeKey}` };
    const res = await call('/v1/insights/events', { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('GET /v1/insights/tail', () => {
  it('returns the newest messages first and a cursor that only moves forward', async () => {
    const first = await (await get('/v1/insights/tail?limit=3')).json<{
      data: { seq: number; messageId: string; type: string }[];
      cursor: { after: number };
    }>();
    expect(first.data).toHaveLength(3);
    expect(first.data.map((e) => e.messageId)).toEqual(['identify-1', 'page-1', 'Too Old-30-4']);
    expect(first.cursor.after).toBe(first.data[0]!.seq);

    const empty = await (await get(`/v1/insights/tail?after=${first.cursor.after}`)).json<{ data: unknown[]; cursor: { after: number } }>();
    expect(empty.data).toEqual([]);
    // Other tenants' rows stored since then move the cursor without being shown.
    expect(empty.cursor.after).toBeGreaterThanOrEqual(first.cursor.after);

    await sendBatch(ws.writeKey, [{ type: 'track', event: 'Live', userId: 'u2', messageId: 'live-1', properties: { total: 9 } }]);
    const next = await (await get(`/v1/insights/tail?after=${first.cursor.after}`)).json<{
      data: { messageId: string; event: string; properties: unknown; userId: string }[];
    }>();
    expect(next.data).toEqual([expect.objectContaining({ messageId: 'live-1', event: 'Live', userId: 'u2', properties: { total: 9 } })]);
  });

  it("moves a quiet workspace's cursor past other tenants' rows, and bounds the first look back", async () => {
    const quiet = await createWorkspace('Quiet shop');
    const start = await (await get('/v1/insights/tail', quiet.secretKey)).json<{ data: unknown[]; cursor: { after: number } }>();
    expect(start.data).toEqual([]);
    await sendBatch(ws.writeKey, [{ type: 'track', event: 'Busy', userId: 'u1', messageId: 'busy-1' }]);
    const next = await (await get(`/v1/insights/tail?after=${start.cursor.after}`, quiet.secretKey)).json<{ data: unknown[]; cursor: { after: number } }>();
    expect(next.data).toEqual([]);
    expect(next.cursor.after).toBeGreaterThan(start.cursor.after);

    // The store looks back over at most `scanWindow` rows of the table.
    await sendBatch(quiet.writeKey, [{ type: 'track', event: 'Old', userId: 'q', messageId: 'quiet-old' }]);
    await sendBatch(ws.writeKey, [1, 2, 3].map((i) => ({ type: 'track', event: 'Busy', userId: 'u1', messageId: `busy-more-${i}` })));
    expect((await tailEvents(env.DB, quiet.id, 0, 10, 3)).events).toEqual([]);
    expect((await tailEvents(env.DB, quiet.id, 0, 10, 4)).events.map((e) => e.messageId)).toEqual(['quiet-old']);
  });

  it('never shows another workspace its events', async () => {
    const body = await (await get('/v1/insights/tail?limit=100', other.secretKey)).json<{ data: { userId: string }[] }>();
    expect(body.data.length).toBe(7);
    expect(new Set(body.data.map((e) => e.userId))).toEqual(new Set(['someone-else']));
  });

  it.each(['after=-1', 'after=x', 'limit=101', 'limit=0'])('answers 400 for %s', async (query) => {
    const res = await get(`/v1/insights/tail?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field' } });
  });
});

describe('GET /v1/insights/session', () => {
  it('names the workspace and the scopes of the key', async () => {
    const res = await get('/v1/insights/session');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ workspace: { id: ws.id, name: 'Insights shop' }, scopes: ['admin', 'read'] });
  });
});

describe('GET /v1/insights/profiles', () => {
  it('counts live people, the identified ones (user id or email, merged ids included) and the recently seen', async () => {
    const shop = await createWorkspace('People shop');
    const res = await sendBatch(shop.writeKey, [
      { type: 'page', anonymousId: 'anon-only-1', messageId: 'p-1', timestamp: daysAgo(0) },
      { type: 'page', anonymousId: 'anon-only-2', messageId: 'p-2', timestamp: daysAgo(40) },
      { type: 'page', anonymousId: 'anon-x', messageId: 'p-3', timestamp: daysAgo(3) },
      // The anonymous visitor above identifies: one person, now identified.
      { type: 'identify', anonymousId: 'anon-x', userId: 'x1', messageId: 'p-4', timestamp: daysAgo(2) },
      { type: 'identify', anonymousId: 'anon-e', traits: { email: 'E@Example.com' }, messageId: 'p-5', timestamp: daysAgo(1) },
      { type: 'track', event: 'Again', anonymousId: 'anon-x', messageId: 'p-6', timestamp: daysAgo(0) },
    ]);
    expect(await res.json()).toMatchObject({ rejected: [] });
    const body = await (await get('/v1/insights/profiles?days=30', shop.secretKey)).json();
    expect(body).toEqual({ days: 30, total: 4, identified: 2, anonymous: 2, identifiedShare: 0.5, active: 3 });
    // The first workspace's people are not counted here, and the other way round.
    const first = await (await get('/v1/insights/profiles')).json<{ total: number }>();
    expect(first.total).toBeGreaterThan(0);
    expect(first.total).not.toBe(4);
  });
});

describe('GET /v1/insights/traits', () => {
  it('lists the trait names people hold, most common first, per workspace', async () => {
    const shop = await createWorkspace('Traits shop');
    await sendBatch(shop.writeKey, [
      { type: 'identify', userId: 't1', traits: { plan: 'pro', email: 't1@example.com' } },
      { type: 'identify', userId: 't2', traits: { plan: 'free' } },
      { type: 'identify', userId: 't3', traits: { plan: 'free', country: 'ID' } },
    ]);
    const body = await (await get('/v1/insights/traits', shop.secretKey)).json();
    expect(body).toEqual({
      sample: 1000,
      data: [
        { name: 'plan', profiles: 3 },
        { name: 'country', profiles: 1 },
        { name: 'email', profiles: 1 },
      ],
    });
  });
});
