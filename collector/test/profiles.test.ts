import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { basic, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
let other: TestWorkspace;
beforeAll(async () => {
  [ws, other] = await Promise.all([createWorkspace('Shop'), createWorkspace('Other shop')]);
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const get = (path: string, key = ws.secretKey) => call(path, { headers: bearer(key) });
const profile = async (ref: string) => {
  const res = await get(`/v1/profiles/${encodeURIComponent(ref)}`);
  expect(res.status).toBe(200);
  return res.json<Record<string, any>>();
};
const ok = async (res: Response | Promise<Response>) => {
  const r = await res;
  expect(r.status, await r.clone().text()).toBe(200);
  return r;
};

describe('profiles built at ingest', () => {
  beforeAll(async () => {
    await ok(
      sendBatch(ws.writeKey, [
        {
          type: 'page', anonymousId: 'anon-1', name: 'Home', messageId: 'p1-1', timestamp: '2026-01-01T10:00:00.000Z',
          context: { page: { referrer: 'https://google.com/' }, campaign: { name: 'spring', source: 'google' }, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' },
        },
        { type: 'identify', anonymousId: 'anon-1', userId: 'user-1', messageId: 'p1-2', timestamp: '2026-01-01T10:01:00.000Z', traits: { email: ' Ana@Example.COM ', name: 'Ana', plan: 'free' }, context: { consent: { categoryPreferences: { marketing: true, analytics: true } } } },
        { type: 'track', userId: 'user-1', event: 'Order Completed', messageId: 'p1-3', timestamp: '2026-01-02T10:00:00.000Z', properties: { revenue: 42.5 } },
        { type: 'track', userId: 'user-1', event: 'Order Completed', messageId: 'p1-4', timestamp: '2026-01-03T10:00:00.000Z', properties: { total: '7.5' } },
        // Older plan arrives late: it must not win; newer consent withdrawal wins.
        { type: 'identify', userId: 'user-1', messageId: 'p1-5', timestamp: '2025-12-01T00:00:00.000Z', traits: { plan: 'trial' } },
        { type: 'page', userId: 'user-1', messageId: 'p1-6', timestamp: '2026-01-04T10:00:00.000Z', context: { page: { referrer: 'https://news.example/' }, consent: { categoryPreferences: { marketing: false } } } },
      ]),
    );
  });

  it.each(['user_id:user-1', 'anonymous_id:anon-1', 'email:ANA@example.com'])('finds the profile by %s', async (ref) => {
    const p = await profile(ref);
    expect(p.identities).toEqual(
      expect.arrayContaining([
        { type: 'user_id', value: 'user-1' },
        { type: 'anonymous_id', value: 'anon-1' },
        { type: 'email', value: 'ana@example.com' },
      ]),
    );
  });

  it('answers the Segment-shaped profile with traits, computed traits, consent and ISO dates', async () => {
    const p = await profile('user_id:user-1');
    expect(p.id).toMatch(/^prof_/);
    expect(p.traits).toEqual({ email: ' Ana@Example.COM ', name: 'Ana', plan: 'free' });
    expect(p.computed).toMatchObject({
      firstSeen: '2025-12-01T00:00:00.000Z',
      lastSeen: '2026-01-04T10:00:00.000Z',
      eventCount: 6,
      revenue: 50,
      eventCounts: { 'Order Completed': 2 },
      firstTouch: { referrer: 'https://google.com/', campaign: { name: 'spring', source: 'google' }, at: '2026-01-01T10:00:00.000Z' },
      lastTouch: { referrer: 'https://news.example/', campaign: null },
      browser: { name: 'Chrome' },
    });
    expect(p.consent).toEqual({
      marketing: { granted: false, updatedAt: '2026-01-04T10:00:00.000Z' },
      analytics: { granted: true, updatedAt: '2026-01-01T10:01:00.000Z' },
    });
    // The same profile by id.
    expect((await profile(p.id)).id).toBe(p.id);
  });

  it('resolves every event to the person’s profile', async () => {
    const p = await profile('user_id:user-1');
    const { results } = await env.DB.prepare(
      "SELECT DISTINCT p.canonical_id FROM events e JOIN profiles p ON p.id = e.profile_id WHERE e.message_id LIKE 'p1-%'",
    ).all();
    expect(results).toEqual([{ canonical_id: p.id }]);
  });

  it('never counts a duplicated messageId twice (re-sent batch, or twice in one batch)', async () => {
    const dup = { type: 'track', userId: 'user-1', event: 'Order Completed', messageId: 'p1-3', properties: { revenue: 42.5 } };
    const res = await ok(sendBatch(ws.writeKey, [dup, dup, { ...dup, messageId: 'p1-dup-new' }, { ...dup, messageId: 'p1-dup-new' }]));
    expect(await res.json()).toMatchObject({ accepted: 4, rejected: [] });
    const p = await profile('user_id:user-1');
    expect(p.computed.eventCount).toBe(7);
    expect(p.computed.revenue).toBe(92.5);
    expect(p.computed.eventCounts['Order Completed']).toBe(3);
  });

  it('answers 404 for unknown refs and for another tenant’s profile; 400 for a malformed ref', async () => {
    const mine = await profile('user_id:user-1');
    for (const [path, key] of [
      ['/v1/profiles/user_id:nobody', ws.secretKey],
      [`/v1/profiles/${mine.id}`, other.secretKey],
      ['/v1/profiles/user_id:user-1', other.secretKey],
      ['/v1/profiles/prof_doesnotexist/events', ws.secretKey],
    ] as const) {
      const res = await get(path, key);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
      expect(res.headers.get('request-id')).toBeTruthy();
    }
    const bad = await get('/v1/profiles/Bad%20Type:x');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_ref', field: 'ref' } });
  });

  it.each([
    ['no key', {}],
    ['a write key (Bearer)', { authorization: 'Bearer WRITE' }],
    ['a write key (Basic)', { authorization: 'BASIC' }],
  ])('answers 401 to %s', async (_name, headers: Record<string, string>) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'Bearer WRITE' ? `Bearer ${ws.writeKey}` : v === 'BASIC' ? basic(ws.writeKey) : v]));
    const res = await call('/v1/profiles/user_id:user-1', { headers: h });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('accepts the secret key as HTTP Basic username', async () => {
    const res = await call('/v1/profiles/user_id:user-1', { headers: { authorization: basic(ws.secretKey) } });
    expect(res.status).toBe(200);
  });
});

describe('event timeline', () => {
  beforeAll(async () => {
    const batch = Array.from({ length: 7 }, (_, i) => ({
      type: 'track',
      event: i % 2 === 0 ? 'Even' : 'Odd',
      // Two devices of one person: the timeline covers every merged id.
      anonymousId: i < 4 ? 'tl-dev-1' : 'tl-dev-2',
      messageId: `tl-${i}`,
      timestamp: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(),
      properties: { i },
    }));
    await ok(sendBatch(ws.writeKey, batch));
    await ok(sendBatch(ws.writeKey, [{ type: 'identify', userId: 'tl-user', anonymousId: 'tl-dev-1', messageId: 'tl-id-1', timestamp: '2026-02-01T00:10:00.000Z' }]));
    await ok(sendBatch(ws.writeKey, [{ type: 'identify', userId: 'tl-user', anonymousId: 'tl-dev-2', messageId: 'tl-id-2', timestamp: '2026-02-01T00:11:00.000Z' }]));
  });

  it('pages newest first over all merged ids with opaque cursors', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await ok(get(`/v1/profiles/user_id:tl-user/events${q}`));
      const body = await res.json<{ data: { messageId: string; timestamp: string; properties: unknown }[]; cursor: { next: string | null; hasMore: boolean } }>();
      seen.push(...body.data.map((e) => e.messageId));
      cursor = body.cursor.next;
      expect(body.cursor.hasMore).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['tl-id-2', 'tl-id-1', 'tl-6', 'tl-5', 'tl-4', 'tl-3', 'tl-2', 'tl-1', 'tl-0']);
  });

  it('filters by event name and time window', async () => {
    const res = await ok(get('/v1/profiles/anonymous_id:tl-dev-2/events?event=Even&start=2026-02-01T00:01:00Z&end=2026-02-01T00:06:00Z'));
    const body = await res.json<{ data: { messageId: string; timestamp: string; properties: unknown }[] }>();
    expect(body.data.map((e) => e.messageId)).toEqual(['tl-4', 'tl-2']);
    expect(body.data[0]).toMatchObject({ type: 'track', event: 'Even', timestamp: '2026-02-01T00:04:00.000Z', properties: { i: 4 } });
  });

  it('answers an empty page, not a 404, when the profile has no event in range; an absorbed id reads its survivor', async () => {
    const res = await ok(get('/v1/profiles/user_id:tl-user/events?event=Never'));
    expect(await res.json()).toEqual({ data: [], cursor: { next: null, hasMore: false } });
    const survivor = await profile('user_id:tl-user');
    const { results } = await env.DB.prepare('SELECT id FROM profiles WHERE canonical_id = ?1 AND id != ?1').bind(survivor.id).all<{ id: string }>();
    expect(results.length).toBeGreaterThan(0);
    const viaAbsorbed = await (await ok(get(`/v1/profiles/${results[0].id}/events?limit=100`))).json<{ data: unknown[] }>();
    expect(viaAbsorbed.data).toHaveLength(9);
  });

  it('says where a read spent its time (Server-Timing) and whether the read cache answered, on answers and on errors', async () => {
    for (const path of ['/v1/profiles/user_id:tl-user', '/v1/profiles/user_id:tl-user/events', '/v1/profiles/user_id:nobody']) {
      const res = await get(path);
      expect(res.headers.get('server-timing'), path).toMatch(/^key;dur=\d+, limit;dur=\d+, read;dur=\d+(, d1;dur=\d+)?, total;dur=\d+, cache;desc=(hit|miss)$/);
    }
    // Further pages and filtered timelines are not kept: they go to D1 and say so.
    const filtered = await get('/v1/profiles/user_id:tl-user/events?event=Viewed');
    expect(filtered.headers.get('server-timing')).toMatch(/^key;dur=\d+, limit;dur=\d+, read;dur=\d+, total;dur=\d+, cache;desc=none$/);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['start=yesterday', 'start'],
    ['cursor=not-a-cursor!', 'cursor'],
    [`cursor=${btoa('{"a":1}')}`, 'cursor'],
    ['cursor=WzEsMl0x', 'cursor'],
  ])('answers 400 to %s', async (query, field) => {
    const res = await get(`/v1/profiles/user_id:tl-user/events?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field } });
  });
});

describe('accounts (group)', () => {
  it('builds an account from group calls and links members both ways', async () => {
    await ok(
      sendBatch(ws.writeKey, [
        { type: 'group', groupId: 'acme', userId: 'g-u1', messageId: 'g-1', timestamp: '2026-03-01T00:00:00Z', traits: { name: 'Acme', plan: 'enterprise', email: 'billing@acme.io' } },
        { type: 'group', groupId: 'acme', anonymousId: 'g-a2', messageId: 'g-2', timestamp: '2026-02-01T00:00:00Z', traits: { plan: 'old-plan', employees: 50 } },
      ]),
    );
    const res = await ok(get('/v1/accounts/acme'));
    const account = await res.json<Record<string, any>>();
    expect(account).toMatchObject({ groupId: 'acme', traits: { name: 'Acme', plan: 'enterprise', employees: 50 }, memberCount: 2 });
    const u1 = await profile('user_id:g-u1');
    expect(account.members).toContain(u1.id);
    expect(u1.accounts).toEqual([{ groupId: 'acme', traits: account.traits }]);
    // Group traits describe the account: the billing email is not the person's identifier.
    expect(u1.identities).toEqual([{ type: 'user_id', value: 'g-u1' }]);
    expect((await get('/v1/accounts/nope')).status).toBe(404);
    expect((await get('/v1/accounts/acme', other.secretKey)).status).toBe(404);
  });
});

describe('identity guards through the API', () => {
  it('keeps junk ids out and counts every refusal', async () => {
    await ok(
      sendBatch(other.writeKey, [
        { type: 'identify', userId: 'undefined', anonymousId: 'j-1', messageId: 'j-1' },
        { type: 'identify', userId: 'undefined', anonymousId: 'j-2', messageId: 'j-2' },
        { type: 'track', event: 'X', userId: "'null'", messageId: 'j-3' },
        { type: 'identify', userId: 'j-u1', anonymousId: 'shared', messageId: 'j-4' },
        { type: 'identify', userId: 'j-u2', anonymousId: 'shared', messageId: 'j-5' },
      ]),
    );
    const a = await call('/v1/profiles/anonymous_id:j-1', { headers: bearer(other.secretKey) }).then((r) => r.json<Record<string, any>>());
    const b = await call('/v1/profiles/anonymous_id:j-2', { headers: bearer(other.secretKey) }).then((r) => r.json<Record<string, any>>());
    expect(a.id).not.toBe(b.id);
    // A junk value can never name a profile: the lookup itself is refused.
    expect((await call('/v1/profiles/user_id:undefined', { headers: bearer(other.secretKey) })).status).toBe(400);
    const stored = await env.DB.prepare("SELECT profile_id FROM events WHERE message_id = 'j-3'").first('profile_id');
    expect(stored).toBeNull();
    const stats = await call('/v1/identity/stats', { headers: bearer(other.secretKey) }).then((r) => r.json<Record<string, unknown>>());
    expect(stats).toMatchObject({ junkIds: 3, userIdConflicts: 1, profilesCreated: 4 });
    const mine = await get('/v1/identity/stats').then((r) => r.json<Record<string, unknown>>());
    expect(mine.junkIds).toBe(0);
  });
});
