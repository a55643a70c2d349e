import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from './helpers';
import { api, changesOf, DAY, insertEvents, insertIdentities, insertProfiles, insertSecretKey, membersOf } from './segment-fixtures';

let ws: TestWorkspace;
let other: TestWorkspace;
const T = Date.now();

beforeAll(async () => {
  ws = await createWorkspace('Segments API');
  other = await createWorkspace('Another tenant');
  await insertProfiles(ws.id, [
    { id: 'p_ana', traits: { plan: 'pro' }, lastSeen: T - DAY },
    { id: 'p_budi', traits: { plan: 'pro' }, lastSeen: T - DAY },
    { id: 'p_citra', traits: { plan: 'free' }, lastSeen: T - 40 * DAY },
    { id: 'p_dewi', canonicalId: 'p_ana', traits: {} },
  ]);
  await insertIdentities(ws.id, [
    ['p_ana', 'email', 'ana@example.com'],
    ['p_ana', 'user_id', 'u-ana'],
    ['p_dewi', 'anonymous_id', 'anon-dewi'],
    ['p_budi', 'phone', '+6281234'],
  ]);
  await insertEvents(ws.id, [{ profileId: 'p_dewi', event: 'Order Completed', timestamp: T - DAY }]);
  await insertProfiles(other.id, [{ id: 'o_eko', traits: { plan: 'pro' } }]);
});

const create = (key: string, condition: unknown, name = key) =>
  api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key, name, condition } });

describe('segment definitions', () => {
  it('creates a segment and backfills its membership', async () => {
    const res = await create('pro', { trait: 'plan', op: 'eq', value: 'pro' }, 'Pro plan');
    expect(res.status).toBe(201);
    const body = await res.json<any>();
    expect(body).toMatchObject({ key: 'pro', name: 'Pro plan', size: 2, dependsOn: [], timeRelative: false });
    expect(await membersOf(ws.id, 'pro')).toEqual(['p_ana', 'p_budi']);
    expect((await changesOf(ws.id, 'pro')).map((c) => [c.profile_id, c.kind])).toEqual([
      ['p_ana', 'entered'],
      ['p_budi', 'entered'],
    ]);
  });

  it('lists and reads segments with their size', async () => {
    const list = await (await api(ws.secretKey, '/v1/segments')).json<any>();
    expect(list.data.map((s: { key: string; size: number }) => [s.key, s.size])).toEqual([['pro', 2]]);
    const one = await api(ws.secretKey, '/v1/segments/pro');
    expect(await one.json<any>()).toMatchObject({ key: 'pro', size: 2, condition: { trait: 'plan', op: 'eq', value: 'pro' } });
  });

  it('refuses a duplicate key with 409', async () => {
    const res = await create('pro', { trait: 'plan', op: 'exists' });
    expect(res.status).toBe(409);
    expect(await res.json<any>()).toMatchObject({ error: { code: 'segment_exists', field: 'key' } });
  });

  it.each([
    ['bad op', { and: [{ trait: 'plan', op: 'like', value: 'x' }] }, 'invalid_condition', 'condition.and[0].op'],
    ['missing condition', undefined, 'invalid_condition', 'condition'],
    ['unknown segment', { or: [{ trait: 'a', op: 'exists' }, { segment: 'nope' }] }, 'unknown_segment', 'condition.or[1].segment'],
    ['self reference', { segment: 'selfish' }, 'segment_cycle', 'condition.segment'],
  ])('refuses a definition with %s, naming the path', async (_label, condition, code, field) => {
    const res = await create('selfish', condition);
    expect(res.status).toBe(400);
    expect(await res.json<any>()).toMatchObject({ error: { code, field } });
  });

  it.each([
    ['a bad key', { key: 'Bad Key', name: 'x', condition: { trait: 'a', op: 'exists' } }, 'key'],
    ['no name', { key: 'ok', condition: { trait: 'a', op: 'exists' } }, 'name'],
  ])('refuses %s', async (_label, body, field) => {
    const res = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect(await res.json<any>()).toMatchObject({ error: { code: 'invalid_field', field } });
  });

  it('refuses a cycle between segments when saving', async () => {
    expect((await create('cyc_a', { trait: 'plan', op: 'exists' })).status).toBe(201);
    expect((await create('cyc_b', { segment: 'cyc_a' })).status).toBe(201);
    const res = await api(ws.secretKey, '/v1/segments/cyc_a', { method: 'PUT', json: { condition: { segment: 'cyc_b' } } });
    expect(res.status).toBe(400);
    expect(await res.json<any>()).toMatchObject({ error: { code: 'segment_cycle' } });
  });

  it('updates a condition: members who no longer match exit, dependents follow', async () => {
    expect((await create('pro_buyers', { and: [{ segment: 'pro' }, { event: 'Order Completed' }] })).status).toBe(201);
    expect(await membersOf(ws.id, 'pro_buyers')).toEqual(['p_ana']);
    const res = await api(ws.secretKey, '/v1/segments/pro', { method: 'PUT', json: { condition: { trait: 'plan', op: 'eq', value: 'free' } } });
    expect(res.status).toBe(200);
    expect(await res.json<any>()).toMatchObject({ size: 1 });
    expect(await membersOf(ws.id, 'pro')).toEqual(['p_citra']);
    expect(await membersOf(ws.id, 'pro_buyers')).toEqual([]);
    const changes = await changesOf(ws.id, 'pro');
    expect(changes.slice(2).map((c) => [c.profile_id, c.kind, c.reason])).toEqual([
      ['p_citra', 'entered', null],
      ['p_ana', 'exited', 'no_longer_matches'],
      ['p_budi', 'exited', 'no_longer_matches'],
    ]);
    // Put it back for the tests below.
    await api(ws.secretKey, '/v1/segments/pro', { method: 'PUT', json: { condition: { trait: 'plan', op: 'eq', value: 'pro' } } });
    expect(await membersOf(ws.id, 'pro_buyers')).toEqual(['p_ana']);
  });

  it('refuses to delete a segment another one uses, then deletes with exits', async () => {
    const refused = await api(ws.secretKey, '/v1/segments/pro', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await refused.json<any>()).toMatchObject({ error: { code: 'segment_in_use' } });
    expect((await api(ws.secretKey, '/v1/segments/pro_buyers', { method: 'DELETE' })).status).toBe(204);
    expect(await membersOf(ws.id, 'pro_buyers')).toEqual([]);
    expect((await changesOf(ws.id, 'pro_buyers')).at(-1)).toMatchObject({ profile_id: 'p_ana', kind: 'exited', reason: 'segment_deleted' });
    expect((await api(ws.secretKey, '/v1/segments/pro_buyers')).status).toBe(404);
  });
});

describe('members', () => {
  it('pages members with identities of the whole person', async () => {
    const first = await (await api(ws.secretKey, '/v1/segments/pro/members?limit=1')).json<any>();
    expect(first.data).toHaveLength(1);
    expect(first.data[0].profileId).toBe('p_ana');
    expect(first.data[0].identities).toEqual(
      expect.arrayContaining([
        { type: 'email', value: 'ana@example.com' },
        { type: 'user_id', value: 'u-ana' },
        { type: 'anonymous_id', value: 'anon-dewi' },
      ]),
    );
    expect(first.cursor).toEqual({ next: 'p_ana', hasMore: true });
    const second = await (await api(ws.secretKey, `/v1/segments/pro/members?limit=1&cursor=${first.cursor.next}`)).json<any>();
    expect(second.data.map((m: { profileId: string }) => m.profileId)).toEqual(['p_budi']);
    expect(second.cursor).toEqual({ next: null, hasMore: false });
    expect(Date.parse(second.data[0].enteredAt)).toBeGreaterThan(T - 60_000);
  });

  it('streams members as CSV', async () => {
    const res = await api(ws.secretKey, '/v1/segments/pro/members?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('profileId,enteredAt,userId,email,phone,identities');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^p_ana,[^,]+,u-ana,ana@example\.com,,/);
    expect(lines[2]).toMatch(/^p_budi,[^,]+,,,\+6281234,phone:\+6281234$/);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['format=xml', 'format'],
  ])('refuses ?%s', async (query, field) => {
    const res = await api(ws.secretKey, `/v1/segments/pro/members?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json<any>()).toMatchObject({ error: { field } });
  });

  it('answers a profile\'s segments, also through a merged-away id', async () => {
    const direct = await (await api(ws.secretKey, '/v1/profiles/p_ana/segments')).json<any>();
    expect(direct.data.map((s: { key: string }) => s.key)).toEqual(['cyc_a', 'cyc_b', 'pro']);
    const merged = await (await api(ws.secretKey, '/v1/profiles/p_dewi/segments')).json<any>();
    expect(merged).toMatchObject({ profileId: 'p_ana' });
    expect((await api(ws.secretKey, '/v1/profiles/nobody/segments')).status).toBe(404);
  });
});

describe('tenancy and scopes', () => {
  it('never shows another tenant\'s segments, members or profiles', async () => {
    expect((await api(other.secretKey, '/v1/segments/pro')).status).toBe(404);
    expect((await api(other.secretKey, '/v1/segments/pro/members')).status).toBe(404);
    expect((await api(other.secretKey, '/v1/profiles/p_ana/segments')).status).toBe(404);
    expect(await (await api(other.secretKey, '/v1/segments')).json<any>()).toEqual({ data: [] });
    const preview = await (await api(other.secretKey, '/v1/segments/preview', { method: 'POST', json: { condition: { trait: 'plan', op: 'eq', value: 'pro' } } })).json<any>();
    expect(preview.sample.map((p: { id: string }) => p.id)).toEqual(['o_eko']);
  });

  it('lets a read key read and preview but not write', async () => {
    const readKey = await insertSecretKey(ws.id, ['read']);
    expect((await api(readKey, '/v1/segments')).status).toBe(200);
    expect((await api(readKey, '/v1/segments/preview', { method: 'POST', json: { condition: { trait: 'plan', op: 'exists' } } })).status).toBe(200);
    const denied = await api(readKey, '/v1/segments', { method: 'POST', json: { key: 'x', name: 'x', condition: { trait: 'a', op: 'exists' } } });
    expect(denied.status).toBe(403);
    expect((await api(readKey, '/v1/segments/pro', { method: 'DELETE' })).status).toBe(403);
    expect((await api(readKey, '/v1/segments/evaluate', { method: 'POST' })).status).toBe(403);
  });

  it('wants a secret key at all', async () => {
    const res = await api(ws.writeKey, '/v1/segments');
    expect(res.status).toBe(401);
  });
});

describe('on-demand evaluation', () => {
  it('re-evaluates every segment over all profiles', async () => {
    await env.DB.prepare("UPDATE profiles SET traits = '{\"plan\":\"pro\"}' WHERE id = 'p_citra'").run();
    const res = await api(ws.secretKey, '/v1/segments/evaluate', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json<any>()).toMatchObject({ entered: 1, exited: 0 });
    expect(await membersOf(ws.id, 'pro')).toEqual(['p_ana', 'p_budi', 'p_citra']);
  });
});
