import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { prepareMessages } from '../src/ingest/pipeline';
import { HeldStore, heldProfilesOf, ProfileCache } from '../src/ingest/profile-cache';
import { resolveAndStore } from '../src/ingest/resolve-and-store';
import { inboxOf } from '../src/resolver/inbox-client';
import { PROFILE_COLUMNS, toProfileState, type ProfileRow } from '../src/store/profile-rows';
import { getWorkspace } from '../src/store/workspaces';
import { call, createWorkspace, sendBatch } from './helpers';

const FACTS = { ip: null, userAgent: null, cf: null, ipPolicy: 'drop' as const };
const T0 = Date.UTC(2026, 11, 1);

/** What one D1 batch of the resolver's read answered: profile rows sent with their text, and without (held). */
interface ReadSeen {
  shipped: Set<string>;
  held: Set<string>;
}

/**
 * env.DB, counting its batches and recording what each read phase that found anyone answered (the
 * first statement of a read is the profiles statement: its rows carry `hit_type`). `before(n)` runs
 * before batch n, `after(n)` after it succeeded.
 */
function watchedDb({ before = async () => {}, after = async () => {} }: { before?: (n: number) => Promise<void>; after?: (n: number) => Promise<void> } = {}) {
  const seen = { batches: 0, reads: [] as ReadSeen[] };
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const n = ++seen.batches;
          await before(n);
          const out = await target.batch(statements);
          const rows = (out[0]?.results ?? []) as { hit_type?: string; id: string; profile: string | null }[];
          if (rows.length > 0 && rows[0].hit_type !== undefined) {
            const read: ReadSeen = { shipped: new Set(), held: new Set() };
            for (const r of rows) (r.profile === null ? read.held : read.shipped).add(r.id);
            seen.reads.push(read);
          }
          await after(n);
          return out;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db, seen };
}

/** Resolves messages as the inbox does, at a fixed time, with or without held profiles. */
async function resolve(workspaceId: string, messages: unknown[], at: number, opts: { profiles?: ProfileCache; db?: D1Database } = {}) {
  const workspace = (await getWorkspace(env.DB, workspaceId))!;
  const { events, rejected } = prepareMessages({ receivedAt: at, facts: FACTS, messages });
  expect(rejected).toEqual([]);
  return resolveAndStore(opts.db ?? env.DB, workspace, events, at, { profiles: opts.profiles });
}

/**
 * Every profile row of a workspace, named by identifiers instead of its (random) id: its own
 * identifiers and its canonical tree's, then every other column as stored.
 */
async function profileRows(workspaceId: string) {
  const { results } = await env.DB.prepare(
    `SELECT (SELECT json_group_array(type || ':' || value) FROM (SELECT type, value FROM identities WHERE profile_id = p.id ORDER BY 1, 2)) AS own,
      (SELECT json_group_array(type || ':' || value) FROM (SELECT i.type, i.value FROM profiles m JOIN identities i ON i.profile_id = m.id
        WHERE m.canonical_id = p.canonical_id ORDER BY 1, 2)) AS tree,
      p.canonical_id = p.id AS canonical, traits, trait_times, computed, consent, first_seen, last_seen, event_count, revenue, merge_count, created_at, updated_at, version
     FROM profiles p WHERE workspace_id = ?`,
  ).bind(workspaceId).all();
  return results.map((r) => JSON.stringify(r)).sort();
}

async function rowState(workspaceId: string, ref: string) {
  const row = await env.DB.prepare(
    `SELECT ${PROFILE_COLUMNS} FROM identities i JOIN profiles x ON x.id = i.profile_id JOIN profiles p ON p.id = x.canonical_id
     WHERE i.workspace_id = ?1 AND i.type || ':' || i.value = ?2`,
  ).bind(workspaceId, ref).first<ProfileRow>();
  return row && toProfileState(row);
}

const heldOf = (cache: ProfileCache, key: string) => cache.held([key]).get(key);

// Six batches over the same people: traits (setOnce, unset, nested, unicode), consent, revenue as
// doubles, touches and device context, groups, and merges of profiles held since earlier batches.
const at = (i: number) => new Date(T0 + i * 1000).toISOString();
const JOURNEY: unknown[][] = [
  [
    { type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { name: 'Zoë 😀', plan: 'free', nested: { n: -0.5 } }, timestamp: at(1), messageId: 'j1' },
    { type: 'page', anonymousId: 'a2', timestamp: at(2), messageId: 'j2', context: { page: { referrer: 'https://x.test' }, campaign: { source: 'news' } } },
    { type: 'track', event: 'Order Completed', userId: 'u3', properties: { revenue: 0.1 }, timestamp: at(3), messageId: 'j3', context: { device: { type: 'mobile' } } },
    { type: 'identify', anonymousId: 'a4', traits: { email: 'four@x.test' }, timestamp: at(4), messageId: 'j4' },
  ],
  [
    { type: 'track', event: 'Order Completed', userId: 'u3', properties: { revenue: 0.2 }, timestamp: at(5), messageId: 'j5' },
    { type: 'identify', userId: 'u1', traits: { plan: 'pro' }, timestamp: at(6), messageId: 'j6', context: { traitOps: { setOnce: { first: 'yes' } } } },
    { type: 'page', anonymousId: 'a2', timestamp: at(7), messageId: 'j7', context: { consent: { categoryPreferences: { Analytics: true } } } },
  ],
  [
    // a2 (held) is merged into u1 (held); a4 gets a user id.
    { type: 'identify', userId: 'u1', anonymousId: 'a2', timestamp: at(8), messageId: 'j8' },
    { type: 'identify', userId: 'u4', anonymousId: 'a4', traits: { plan: 'team' }, timestamp: at(9), messageId: 'j9' },
    { type: 'group', groupId: 'g1', userId: 'u3', traits: { seats: 3 }, timestamp: at(10), messageId: 'j10' },
  ],
  [
    { type: 'track', event: 'Order Completed', userId: 'u3', properties: { revenue: 0.3 }, timestamp: at(11), messageId: 'j11' },
    { type: 'identify', userId: 'u1', timestamp: at(12), messageId: 'j12', context: { traitOps: { unset: ['nested'] } } },
    // A late event: older than what the profile holds.
    { type: 'identify', anonymousId: 'a4', traits: { plan: 'old' }, timestamp: at(0), messageId: 'j13' },
  ],
  [
    // An alias joins u3 and u4 (each with a user id), both held.
    { type: 'alias', userId: 'u3', previousId: 'u4', timestamp: at(14), messageId: 'j14' },
    { type: 'page', anonymousId: 'a5', timestamp: at(15), messageId: 'j15' },
  ],
  [
    { type: 'track', event: 'Viewed', anonymousId: 'a4', timestamp: at(16), messageId: 'j16', context: { os: { name: 'iOS' } } },
    { type: 'track', event: 'Viewed', anonymousId: 'a2', timestamp: at(17), messageId: 'j17' },
    { type: 'page', anonymousId: 'a5', timestamp: at(18), messageId: 'j18', context: { consent: { categoryPreferences: { Analytics: false } } } },
  ],
];

describe('held profiles (the inbox keeps the profiles it last read or wrote)', () => {
  it('gives exactly the profiles of the path without them, batch after batch, reading the held ones without their text', async () => {
    const cold = await createWorkspace('held-cold');
    const warm = await createWorkspace('held-warm');
    const profiles = new ProfileCache();
    const { db, seen } = watchedDb();
    for (const [i, batch] of JOURNEY.entries()) {
      const now = T0 + 100_000 + i * 1000;
      await resolve(cold.id, batch, now);
      await resolve(warm.id, batch, now, { profiles, db });
      expect(await profileRows(warm.id), `after batch ${i + 1}`).toEqual(await profileRows(cold.id));
    }
    // From the second batch on (the first read found nobody), every person seen before came
    // without their text, merged ones too (a2 into u1 in batch 3, a4 and u4 into u3 in batch 5).
    expect(seen.reads).toHaveLength(JOURNEY.length - 1);
    for (const read of seen.reads) expect(read.shipped.size, JSON.stringify([...read.shipped])).toBe(0);
    expect(seen.reads.map((r) => r.held.size)).toEqual([3, 4, 3, 2, 3]);
    // What is held is what D1 has (revenue added up as doubles included).
    for (const ref of ['user_id:u1', 'user_id:u3', 'anonymous_id:a5']) {
      expect(heldOf(profiles, ref), ref).toEqual(await rowState(warm.id, ref));
    }
  });

  it('reads afresh a held profile that an operator or another writer changed since (force-merge, split, erasure, any version bump)', async () => {
    const ws = await createWorkspace('held-operator');
    const auth = { authorization: `Bearer ${ws.secretKey}` };
    const profiles = new ProfileCache();
    await resolve(ws.id, [
      { type: 'identify', userId: 'o1', traits: { plan: 'free' }, messageId: 'o-1' },
      { type: 'identify', userId: 'o2', traits: { team: 'red' }, messageId: 'o-2' },
      { type: 'identify', userId: 'o3', traits: { email: 'three@x.test' }, messageId: 'o-3' },
      { type: 'identify', userId: 'o4', traits: { erased: 'soon' }, messageId: 'o-4' },
    ], T0, { profiles });
    const [o1, o2, o4] = await Promise.all(['o1', 'o2', 'o4'].map(async (u) => (await rowState(ws.id, `user_id:${u}`))!));
    expect(profiles.size).toBe(4);

    // The operator force-merges o2 into o1; another writer changes o3's traits (bumping the
    // version, as every writer of a profile row must); o4 is erased.
    expect((await call('/v1/profiles/user_id:o1/merge', { method: 'POST', headers: auth, json: { from: 'user_id:o2' } })).status).toBe(200);
    await env.DB.prepare(`UPDATE profiles SET traits = json_set(traits, '$.vip', json('true')), version = version + 1 WHERE id = (SELECT profile_id FROM identities WHERE workspace_id = ?1 AND value = 'o3')`)
      .bind(ws.id).run();
    expect((await call('/v1/profiles/user_id:o4', { method: 'DELETE', headers: auth })).status).toBe(200);

    const second = watchedDb();
    await resolve(ws.id, [
      { type: 'track', event: 'E', userId: 'o2', messageId: 'o-5' },
      { type: 'track', event: 'E', userId: 'o3', messageId: 'o-6' },
      { type: 'track', event: 'E', userId: 'o4', messageId: 'o-7' },
    ], T0 + 1000, { profiles, db: second.db });
    // One read, one write: every changed row came with its text (a stale body would have failed the write guard).
    expect(second.seen.batches).toBe(2);
    expect(second.seen.reads[0].held.size).toBe(0);
    expect(second.seen.reads[0].shipped).toEqual(new Set([o1.id, (await rowState(ws.id, 'user_id:o3'))!.id]));
    expect(await rowState(ws.id, 'user_id:o2')).toMatchObject({ id: o1.id, traits: { plan: 'free', team: 'red' }, eventCount: 3 });
    expect(await rowState(ws.id, 'user_id:o3')).toMatchObject({ traits: { email: 'three@x.test', vip: true }, eventCount: 2 });
    // The erased person comes back as a new person: nothing of the held body.
    expect(await rowState(ws.id, 'user_id:o4')).toMatchObject({ traits: {}, eventCount: 1 });
    expect((await rowState(ws.id, 'user_id:o4'))!.id).not.toBe(o4.id);

    // The operator splits o2 back out: o2's row is live again at a version the cache never saw for it.
    expect((await call('/v1/profiles/user_id:o1/split', { method: 'POST', headers: auth, json: { profileId: o2.id } })).status).toBe(200);
    const third = watchedDb();
    await resolve(ws.id, [{ type: 'track', event: 'F', userId: 'o2', messageId: 'o-8' }, { type: 'track', event: 'F', userId: 'o1', messageId: 'o-9' }], T0 + 2000, { profiles, db: third.db });
    expect(third.seen.batches).toBe(2);
    expect(third.seen.reads[0].shipped).toEqual(new Set([o1.id, o2.id]));
    expect(await rowState(ws.id, 'user_id:o2')).toMatchObject({ id: o2.id, traits: { team: 'red' }, computed: { eventCounts: { E: 1, F: 1 } } });
    expect(await rowState(ws.id, 'user_id:o1')).toMatchObject({ id: o1.id, traits: { plan: 'free' }, computed: { eventCounts: { F: 1 } } });
    expect(heldOf(profiles, 'user_id:o2')).toEqual(await rowState(ws.id, 'user_id:o2'));
  });

  it('holds nothing a failed write touched: a lost write race re-reads, another failure forgets', async () => {
    const ws = await createWorkspace('held-failure');
    const profiles = new ProfileCache();
    await resolve(ws.id, [{ type: 'identify', userId: 'f1', traits: { plan: 'free' }, messageId: 'f-1' }, { type: 'page', anonymousId: 'f2', messageId: 'f-2' }], T0, { profiles });
    expect(profiles.size).toBe(2);

    // Another writer changes f1 between the read and the write: the guard fails the write, the
    // retry finds nothing held for f1 and reads its text.
    let heldAtRetry: number | null = null;
    const raced = watchedDb({
      after: async (n) => {
        if (n === 1) await env.DB.prepare(`UPDATE profiles SET traits = json_set(traits, '$.vip', json('true')), version = version + 1 WHERE workspace_id = ?`).bind(ws.id).run();
      },
      before: async (n) => {
        if (n === 3) heldAtRetry = profiles.held(['user_id:f1', 'anonymous_id:f2']).size;
      },
    });
    await resolve(ws.id, [{ type: 'identify', userId: 'f1', traits: { plan: 'pro' }, messageId: 'f-3' }, { type: 'page', anonymousId: 'f2', messageId: 'f-4' }], T0 + 1000, { profiles, db: raced.db });
    expect(raced.seen.batches).toBe(4);
    expect(heldAtRetry).toBe(0);
    expect(raced.seen.reads.map((r) => r.held.size)).toEqual([2, 0]);
    expect(await rowState(ws.id, 'user_id:f1')).toMatchObject({ traits: { plan: 'pro', vip: true }, eventCount: 2 });
    for (const ref of ['user_id:f1', 'anonymous_id:f2']) expect(heldOf(profiles, ref), ref).toEqual(await rowState(ws.id, ref));

    // A write that fails otherwise (the error reaches the inbox, which retries the rows later):
    // the batch's profiles are no longer held.
    let n = 0;
    const broken = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            if (++n === 2) throw new Error('D1_ERROR: no such table: events: SQLITE_ERROR');
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(resolve(ws.id, [{ type: 'page', userId: 'f1', messageId: 'f-5' }], T0 + 2000, { profiles, db: broken })).rejects.toThrow(/no such table/);
    expect(heldOf(profiles, 'user_id:f1')).toBeUndefined();
    expect(heldOf(profiles, 'anonymous_id:f2')).toBeDefined();
    await resolve(ws.id, [{ type: 'page', userId: 'f1', messageId: 'f-5' }], T0 + 3000, { profiles });
    expect(heldOf(profiles, 'user_id:f1')).toEqual(await rowState(ws.id, 'user_id:f1'));
  });

  it('keeps its bound, least recently used first, and reads the evicted ones in full', async () => {
    const ws = await createWorkspace('held-bound');
    const profiles = new ProfileCache(new HeldStore({ maxProfiles: 3, maxOwners: 4 }));
    const people = (event: string, n: number, t: number) =>
      Array.from({ length: n }, (_, i) => ({ type: 'track', event, userId: `b${i}`, anonymousId: `ba${i}`, messageId: `${event}-${i}`, timestamp: new Date(t + i).toISOString() }));
    await resolve(ws.id, people('A', 5, T0), T0 + 10_000, { profiles });
    expect(profiles.size).toBe(3);
    expect(profiles.identifiers).toBe(4);
    const { db, seen } = watchedDb();
    await resolve(ws.id, people('B', 5, T0 + 1000), T0 + 11_000, { profiles, db });
    expect(profiles.size).toBe(3);
    expect(profiles.identifiers).toBe(4);
    // b2, b3 and b4 were held, but the four identifier hints that had room are b3's and b4's: two held, three read in full.
    expect(seen.reads[0].held.size).toBe(2);
    expect(seen.reads[0].shipped.size).toBe(3);
    for (let i = 0; i < 5; i++) expect(await rowState(ws.id, `user_id:b${i}`)).toMatchObject({ eventCount: 2, computed: { eventCounts: { A: 1, B: 1 } } });
  });

  it('is what the inbox object resolves with', async () => {
    const ws = await createWorkspace('held-inbox');
    const auth = { authorization: `Bearer ${ws.secretKey}` };
    expect((await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'i1', traits: { plan: 'free' }, messageId: 'i-1' }, { type: 'identify', userId: 'i2', messageId: 'i-2' }])).status).toBe(200);
    // Held by the workspace's inbox object (a private field: the test looks, the object does not offer it).
    const heldByInbox = () => runInDurableObject(inboxOf(env, ws.id), async () => heldProfilesOf(ws.id, 'DB').size);
    expect(await heldByInbox()).toBe(2);
    expect((await call('/v1/profiles/user_id:i1/merge', { method: 'POST', headers: auth, json: { from: 'user_id:i2' } })).status).toBe(200);
    expect((await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'i2', traits: { seats: 2 }, messageId: 'i-3' }])).status).toBe(200);
    expect(await rowState(ws.id, 'user_id:i2')).toMatchObject({ traits: { plan: 'free', seats: 2 }, eventCount: 3, mergeCount: 1 });
  });
});
