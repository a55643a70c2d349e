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

describe('split after a wrong merge', () => {
  it('restores both people with their own traits and events, and keeps them apart afterwards', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'ana', messageId: 's-1', timestamp: '2026-01-01T00:00:00Z', traits: { name: 'Ana', plan: 'pro' } },
      { type: 'track', userId: 'ana', event: 'Order Completed', messageId: 's-2', timestamp: '2026-01-02T00:00:00Z', properties: { revenue: 30 } },
      { type: 'identify', anonymousId: 'kiosk-1', messageId: 's-3', timestamp: '2026-01-03T00:00:00Z', traits: { name: 'Bob' } },
      { type: 'track', anonymousId: 'kiosk-1', event: 'Viewed', messageId: 's-4', timestamp: '2026-01-04T00:00:00Z' },
    ]);
    const bob = await getJson('/v1/profiles/anonymous_id:kiosk-1');
    // Ana logs in on the shared kiosk: the kiosk's anonymous history is merged into her.
    await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'ana', anonymousId: 'kiosk-1', messageId: 's-5', timestamp: '2026-01-05T00:00:00Z' }]);
    const merged = await getJson('/v1/profiles/user_id:ana');
    expect(merged.traits.name).toBe('Bob'); // the later write won: the wrong merge is visible
    expect(merged.computed.eventCount).toBe(5);
    expect((await getJson(`/v1/profiles/${bob.id}`)).id).toBe(merged.id); // an absorbed id answers with the survivor

    const log = await getJson<{ data: { absorbedId: string; survivorId: string; reason: string; cause: string }[] }>('/v1/profiles/user_id:ana/merges');
    expect(log.data).toEqual([expect.objectContaining({ survivorId: merged.id, absorbedId: bob.id, reason: 'ingest', cause: 'anonymous_id:kiosk-1' })]);

    const res = await post('/v1/profiles/user_id:ana/split', { profileId: bob.id });
    expect(res.status).toBe(200);
    const ana = await getJson('/v1/profiles/user_id:ana');
    const back = await getJson('/v1/profiles/anonymous_id:kiosk-1');
    expect(back.id).toBe(bob.id);
    expect(ana.traits).toEqual({ name: 'Ana', plan: 'pro' });
    expect(ana.computed).toMatchObject({ eventCount: 3, revenue: 30 });
    expect(back.traits).toEqual({ name: 'Bob' });
    expect(back.computed).toMatchObject({ eventCount: 2, revenue: 0, eventCounts: { Viewed: 1 } });
    const bobEvents = await getJson<{ data: { messageId: string }[] }>('/v1/profiles/anonymous_id:kiosk-1/events');
    expect(bobEvents.data.map((e) => e.messageId)).toEqual(['s-4', 's-3']);

    // The same login again does not re-merge the pair an operator split.
    await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'ana', anonymousId: 'kiosk-1', messageId: 's-6' }]);
    expect((await getJson('/v1/profiles/anonymous_id:kiosk-1')).id).toBe(bob.id);
    expect((await getJson('/v1/identity/stats')).splitBlocks).toBe(1);
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
