import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKey, hashKey, keyPrefix } from '../src/auth/keys';
import { insertKeyStatement } from '../src/store/keys';
import { call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
let readOnlyKey: string;
beforeAll(async () => {
  ws = await createWorkspace('admin ops');
  readOnlyKey = generateKey('secret');
  await insertKeyStatement(env.DB, { id: 'key_readonly', workspaceId: ws.id, kind: 'secret', scopes: ['read'], hash: await hashKey(readOnlyKey), prefix: keyPrefix(readOnlyKey), now: Date.now() }).run();
});

const auth = (key = ws.secretKey) => ({ authorization: `Bearer ${key}` });
const getJson = async <T = Record<string, any>>(path: string) => {
  const res = await call(path, { headers: auth() });
  expect(res.status, path).toBe(200);
  return res.json<T>();
};
const post = (path: string, json: unknown, key = ws.secretKey) => call(path, { method: 'POST', headers: auth(key), json });
// Ingest is becoming asynchronous (resolved behind the acknowledgement): read by polling.
const POLL = { timeout: 10_000, interval: 50 };

describe('split after a wrong merge', () => {
  const SECRET = 'whsec_split_0123456789abc';
  const HOOK = '/split/hook';
  const hooks = async () =>
    ((await (await fetch(`http://hooks.test/__received?path=${HOOK}`)).json()) as { body: string }[]).map((h) => JSON.parse(h.body) as Record<string, any>);
  const hookLines = async () => (await hooks()).map((h) => `${h.type} ${h.segment.key} ${h.profile.id}${h.reason ? ` ${h.reason}` : ''}`);
  const segmentsOf = async (ref: string) => (await getJson(`/v1/profiles/${ref}/segments`)).data.map((s: { key: string }) => s.key);
  const messageIdsOf = async (ref: string) => (await getJson<{ data: { messageId: string }[] }>(`/v1/profiles/${ref}/events`)).data.map((e) => e.messageId).sort();

  beforeAll(async () => {
    for (const [key, condition] of [
      ['viewers', { event: 'Viewed' }],
      ['pro', { trait: 'plan', op: 'eq', value: 'pro' }],
      ['bobs', { trait: 'name', op: 'startsWith', value: 'Bob' }],
    ] as const) {
      expect((await post('/v1/segments', { key, name: key, condition })).status).toBe(201);
    }
    expect((await post('/v1/destinations', { url: `http://hooks.test${HOOK}`, secret: SECRET })).status).toBe(201);
  });

  it('gives the person taken out every identifier and event they brought or sent while merged, and the traits of the merge-causing event', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'ana', messageId: 's-1', timestamp: '2026-01-01T00:00:00Z', traits: { name: 'Ana', plan: 'pro', email: 'ana@example.com' } },
      { type: 'track', userId: 'ana', event: 'Order Completed', messageId: 's-2', timestamp: '2026-01-02T00:00:00Z', properties: { revenue: 30 } },
      { type: 'identify', anonymousId: 'kiosk-1', messageId: 's-3', timestamp: '2026-01-03T00:00:00Z', traits: { name: 'Bob' } },
      { type: 'track', anonymousId: 'kiosk-1', event: 'Viewed', messageId: 's-4', timestamp: '2026-01-04T00:00:00Z' },
    ]);
    await expect.poll(() => call('/v1/profiles/anonymous_id:kiosk-1', { headers: auth() }).then((r) => r.status), POLL).toBe(200);
    const bob = await getJson('/v1/profiles/anonymous_id:kiosk-1');
    const anaId = (await getJson('/v1/profiles/user_id:ana')).id;
    await expect.poll(hookLines, POLL).toEqual(expect.arrayContaining([`segment.entered pro ${anaId}`, `segment.entered viewers ${bob.id}`, `segment.entered bobs ${bob.id}`]));

    // Bob types Ana's email by mistake (with his own name and phone): his profile is merged into hers.
    await sendBatch(ws.writeKey, [
      { type: 'identify', anonymousId: 'kiosk-1', messageId: 's-5', timestamp: '2026-01-05T00:00:00Z', traits: { email: 'ana@example.com', name: 'Bob Budi', phone: '+62 812 3456 7890' } },
    ]);
    await expect.poll(() => getJson(`/v1/profiles/${bob.id}`).then((p) => p.id), POLL).toBe(anaId);
    // While merged: Bob keeps using the kiosk and corrects his email; Ana orders again.
    await sendBatch(ws.writeKey, [
      { type: 'track', anonymousId: 'kiosk-1', event: 'Viewed', messageId: 's-6', timestamp: '2026-01-06T00:00:00Z' },
      { type: 'identify', anonymousId: 'kiosk-1', messageId: 's-7', timestamp: '2026-01-07T00:00:00Z', traits: { email: 'bob@example.com' } },
      { type: 'track', userId: 'ana', event: 'Order Completed', messageId: 's-8', timestamp: '2026-01-08T00:00:00Z', properties: { revenue: 12 } },
    ]);
    await expect.poll(() => getJson('/v1/profiles/user_id:ana').then((p) => p.computed.eventCount), POLL).toBe(8);
    const merged = await getJson('/v1/profiles/user_id:ana');
    expect(merged.traits.name).toBe('Bob Budi'); // the wrong merge is visible
    expect(await getJson('/v1/profiles/email:bob%40example.com')).toMatchObject({ id: anaId });

    const log = await getJson<{ data: Record<string, unknown>[] }>('/v1/profiles/user_id:ana/merges');
    expect(log.data).toEqual([expect.objectContaining({ survivorId: anaId, absorbedId: bob.id, reason: 'ingest', cause: 'anonymous_id:kiosk-1', causeMessageId: 's-5', splitAt: null })]);

    const res = await post('/v1/profiles/user_id:ana/split', { profileId: bob.id });
    expect(res.status).toBe(200);
    const ana = await getJson('/v1/profiles/user_id:ana');
    const back = await getJson('/v1/profiles/anonymous_id:kiosk-1');
    expect(back.id).toBe(bob.id);
    expect(ana.traits).toEqual({ name: 'Ana', plan: 'pro', email: 'ana@example.com' });
    expect(ana.computed).toMatchObject({ eventCount: 3, revenue: 42 });
    expect(ana.identities).toEqual(expect.arrayContaining([{ type: 'user_id', value: 'ana' }, { type: 'email', value: 'ana@example.com' }]));
    expect(ana.identities).toHaveLength(2);
    expect(back.traits).toEqual({ name: 'Bob Budi', phone: '+62 812 3456 7890', email: 'bob@example.com' });
    expect(back.computed).toMatchObject({ eventCount: 5, revenue: 0, eventCounts: { Viewed: 2 } });
    expect(back.identities).toEqual(
      expect.arrayContaining([{ type: 'anonymous_id', value: 'kiosk-1' }, { type: 'phone', value: '+6281234567890' }, { type: 'email', value: 'bob@example.com' }]),
    );
    expect(back.identities).toHaveLength(3);
    expect(await messageIdsOf('user_id:ana')).toEqual(['s-1', 's-2', 's-8']);
    expect(await messageIdsOf('anonymous_id:kiosk-1')).toEqual(['s-3', 's-4', 's-5', 's-6', 's-7']);
    expect((await getJson('/v1/profiles/email:bob%40example.com')).id).toBe(bob.id);
    expect((await getJson('/v1/profiles/phone:%2B6281234567890')).id).toBe(bob.id);

    // The merge log marks it split, with when, seen from both sides.
    for (const ref of ['user_id:ana', 'anonymous_id:kiosk-1']) {
      const entries = (await getJson<{ data: { absorbedId: string; splitAt: string | null }[] }>(`/v1/profiles/${ref}/merges`)).data;
      expect(entries).toEqual([expect.objectContaining({ absorbedId: bob.id, splitAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
    }

    // Memberships and webhooks follow: Ana leaves what only Bob's events made her match, Bob is back in his.
    expect(await segmentsOf('user_id:ana')).toEqual(['pro']);
    expect(await segmentsOf('anonymous_id:kiosk-1')).toEqual(['bobs', 'viewers']);
    await expect.poll(hookLines, POLL).toEqual(
      expect.arrayContaining([
        `segment.exited viewers ${anaId} no_longer_matches`,
        `segment.exited bobs ${anaId} no_longer_matches`,
        `segment.entered viewers ${bob.id}`,
        `segment.entered bobs ${bob.id}`,
      ]),
    );
    const lines = await hookLines();
    expect(lines.filter((l) => l.startsWith(`segment.entered viewers ${bob.id}`))).toHaveLength(2); // before the merge, and after the split

    // The same typo again does not re-merge the pair an operator split.
    await sendBatch(ws.writeKey, [{ type: 'identify', anonymousId: 'kiosk-1', messageId: 's-9', traits: { email: 'ana@example.com' } }]);
    await expect.poll(() => getJson('/v1/identity/stats').then((s) => s.splitBlocks), POLL).toBe(1);
    expect((await getJson('/v1/profiles/anonymous_id:kiosk-1')).id).toBe(bob.id);
  });

  it('splitting a force-merge gives each side exactly its own events, from before and after the merge', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'siti-old', messageId: 'fs-1', timestamp: '2026-02-01T00:00:00Z', traits: { tier: 'gold' } },
      { type: 'identify', userId: 'siti-new', messageId: 'fs-2', timestamp: '2026-02-02T00:00:00Z', traits: { city: 'Medan' } },
    ]);
    await expect.poll(() => call('/v1/profiles/user_id:siti-new', { headers: auth() }).then((r) => r.status), POLL).toBe(200);
    const oldId = (await getJson('/v1/profiles/user_id:siti-old')).id;
    const newId = (await getJson('/v1/profiles/user_id:siti-new')).id;
    expect((await post('/v1/profiles/user_id:siti-old/merge', { from: 'user_id:siti-new' })).status).toBe(200);
    await sendBatch(ws.writeKey, [
      { type: 'track', userId: 'siti-old', event: 'Order Completed', messageId: 'fs-3', timestamp: '2026-02-03T00:00:00Z', properties: { total: 5 } },
      { type: 'track', userId: 'siti-new', anonymousId: 'siti-laptop', event: 'Viewed', messageId: 'fs-4', timestamp: '2026-02-04T00:00:00Z' },
      { type: 'page', anonymousId: 'siti-laptop', messageId: 'fs-5', timestamp: '2026-02-05T00:00:00Z' },
    ]);
    await expect.poll(() => getJson('/v1/profiles/user_id:siti-old').then((p) => p.computed.eventCount), POLL).toBe(5);

    expect((await post('/v1/profiles/user_id:siti-old/split', { profileId: newId })).status).toBe(200);
    expect(await messageIdsOf('user_id:siti-old')).toEqual(['fs-1', 'fs-3']);
    expect(await messageIdsOf('user_id:siti-new')).toEqual(['fs-2', 'fs-4', 'fs-5']);
    expect((await getJson('/v1/profiles/anonymous_id:siti-laptop')).id).toBe(newId);
    expect(await getJson('/v1/profiles/user_id:siti-old')).toMatchObject({ id: oldId, traits: { tier: 'gold' }, computed: { eventCount: 2, revenue: 5 }, mergeCount: 0 });
    expect(await getJson('/v1/profiles/user_id:siti-new')).toMatchObject({ id: newId, traits: { city: 'Medan' }, computed: { eventCount: 3 }, mergeCount: 0 });
    const log = (await getJson<{ data: Record<string, unknown>[] }>('/v1/profiles/user_id:siti-new/merges')).data;
    expect(log).toEqual([expect.objectContaining({ reason: 'force', causeMessageId: null, splitAt: expect.any(String) })]);
  });

  it('moves the account membership of a group call the person taken out made while merged', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'rudi', messageId: 'ga-1', traits: { email: 'rudi@example.com' } },
      { type: 'page', anonymousId: 'shared-tab', messageId: 'ga-2' },
    ]);
    await expect.poll(() => call('/v1/profiles/anonymous_id:shared-tab', { headers: auth() }).then((r) => r.status), POLL).toBe(200);
    const tab = (await getJson('/v1/profiles/anonymous_id:shared-tab')).id;
    await sendBatch(ws.writeKey, [{ type: 'identify', anonymousId: 'shared-tab', messageId: 'ga-3', traits: { email: 'rudi@example.com' } }]);
    await expect.poll(() => getJson(`/v1/profiles/${tab}`).then((p) => p.id), POLL).not.toBe(tab);
    await sendBatch(ws.writeKey, [{ type: 'group', anonymousId: 'shared-tab', groupId: 'warung-7', messageId: 'ga-4', traits: { name: 'Warung 7' } }]);
    await expect.poll(() => getJson('/v1/profiles/user_id:rudi').then((p) => p.accounts.length), POLL).toBe(1);

    expect((await post('/v1/profiles/user_id:rudi/split', { profileId: tab })).status).toBe(200);
    expect((await getJson('/v1/profiles/user_id:rudi')).accounts).toEqual([]);
    expect((await getJson(`/v1/profiles/${tab}`)).accounts).toEqual([expect.objectContaining({ groupId: 'warung-7' })]);
    expect((await getJson('/v1/accounts/warung-7')).members).toEqual([tab]);
  });

  it.each([
    [{ profileId: 'prof_nope' }, 404],
    [{}, 400],
  ])('answers %j with %i', async (body, status) => {
    await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'lonely', messageId: 'lonely-1' }]);
    const res = await post('/v1/profiles/user_id:lonely/split', body);
    expect(res.status).toBe(status);
  });
});

describe('force-merge', () => {
  it('merges two known users on purpose, past the user_id guard', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'old-account', messageId: 'f-1', traits: { tier: 'gold' } },
      { type: 'identify', userId: 'new-account', messageId: 'f-2', traits: { city: 'Bandung' } },
    ]);
    const res = await post('/v1/profiles/user_id:new-account/merge', { from: 'user_id:old-account' });
    expect(res.status).toBe(200);
    const p = await res.json<Record<string, any>>();
    expect(p.traits).toEqual({ tier: 'gold', city: 'Bandung' });
    expect((await getJson('/v1/profiles/user_id:old-account')).id).toBe(p.id);
    expect(p.identities).toHaveLength(2);
    expect((await post('/v1/profiles/user_id:new-account/merge', { from: 'user_id:old-account' })).status).toBe(409);
  });

  it('needs the admin scope', async () => {
    const res = await post('/v1/profiles/user_id:new-account/merge', { from: 'user_id:ana' }, readOnlyKey);
    expect(res.status).toBe(403);
    expect((await call('/v1/profiles/user_id:ana', { headers: auth(readOnlyKey) })).status).toBe(200);
  });
});
