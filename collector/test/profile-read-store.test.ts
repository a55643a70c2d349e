import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { profileReadsOf } from '../src/profile-reads/invalidate';
import { ProfileReads } from '../src/profile-reads/profile-reads';
import { StaleLog } from '../src/profile-reads/stale-log';
import { ADMIN_TOKEN, call, createWorkspace, sendBatch, settleInboxes, type TestWorkspace } from './helpers';

// The profile read store's catch-up (collector/src/profile-reads): once writes are quiet, the
// workspace's object reads every profile into its own storage, so the first read of a person
// nobody read before is answered without D1, and it stays right after each kind of write.
// The tests set PROFILE_READS_QUIET_MS to an hour (vitest.config.ts): the catch-up runs only
// where a test runs the object's alarm.

const DAY = 86_400_000;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function read(w: TestWorkspace, path: string) {
  const res = await call(path, { headers: { authorization: `Bearer ${w.secretKey}` } });
  const timing = res.headers.get('server-timing') ?? '';
  return { status: res.status, body: (await res.json()) as Record<string, any>, cache: /cache;desc=(\w+)/.exec(timing)?.[1], d1: /\bd1;dur=/.test(timing) };
}
const profile = (w: TestWorkspace, ref: string) => read(w, `/v1/profiles/${encodeURIComponent(ref)}`);
const timeline = (w: TestWorkspace, ref: string) => read(w, `/v1/profiles/${encodeURIComponent(ref)}/events?limit=20`);
const send = async (w: TestWorkspace, batch: unknown[]) => expect((await sendBatch(w.writeKey, batch)).status).toBe(200);
const stub = (w: TestWorkspace) => profileReadsOf(env, w.id);
const withReads = <T>(w: TestWorkspace, fn: (i: ProfileReads, state: DurableObjectState) => T | Promise<T>) =>
  runInDurableObject(stub(w), async (i: ProfileReads, state) => fn(i, state));
const status = async (w: TestWorkspace) => (await call(`/v1/admin/workspaces/${w.id}/profile-reads`, { headers: admin })).json() as Promise<Record<string, any>>;

/** Runs the store's alarm as if writes had been quiet long enough, until it has caught up. */
async function catchUp(w: TestWorkspace): Promise<void> {
  await withReads(w, (i) => (i.quietMs = 0));
  for (let turn = 0; turn < 20 && !(await status(w)).caughtUp; turn++) expect(await runDurableObjectAlarm(stub(w))).toBe(true);
  expect(await status(w)).toMatchObject({ caughtUp: true, views: { namedStale: 0, older: 0 } });
  // Back to the tests' hour, so a write that follows does not wake the catch-up by itself.
  await withReads(w, (i) => (i.quietMs = 3_600_000));
}

/** Everything the store holds, as text: to show what it does not hold. */
const storedText = (w: TestWorkspace) =>
  withReads(w, (_i, state) => JSON.stringify(['views', 'refs', 'stale_log'].flatMap((table) => state.storage.sql.exec(`SELECT * FROM ${table}`).toArray())));
/** The profiles logged stale and not yet marked in `views` (stale-log.ts). */
const loggedStale = (w: TestWorkspace) =>
  withReads(w, (_i, state) => state.storage.sql.exec<{ ids: string }>('SELECT ids FROM stale_log').toArray().flatMap((r) => JSON.parse(r.ids) as string[]));
const restart = (w: TestWorkspace) => withReads(w, (_i, state) => state.abort('a restart')).catch(() => undefined);

const people = (prefix: string) => [
  { type: 'identify', userId: `${prefix}-1`, anonymousId: `${prefix}-anon-1`, traits: { email: `${prefix}1@example.com`, plan: 'pro' }, messageId: `${prefix}-m1` },
  { type: 'track', userId: `${prefix}-1`, event: 'Viewed', messageId: `${prefix}-m2` },
  { type: 'identify', userId: `${prefix}-2`, traits: { plan: 'free' }, messageId: `${prefix}-m3` },
  { type: 'track', anonymousId: `${prefix}-anon-3`, event: 'Viewed', messageId: `${prefix}-m4` },
];

describe('the profile read store', () => {
  it('backfills every profile once writes are quiet: a first read of anyone, by any ref, is answered without D1', async () => {
    const w = await createWorkspace('Backfill shop');
    await send(w, people('bf'));
    expect(await status(w)).toMatchObject({ caughtUp: false, sweeping: true });
    await catchUp(w);
    expect((await status(w)).views.current).toBe(3);
    const d1Reads = await withReads(w, (i) => i.counts.d1Reads);
    const first = await profile(w, 'user_id:bf-1');
    expect(first).toMatchObject({ status: 200, cache: 'hit', d1: false, body: { traits: { plan: 'pro' } } });
    for (const ref of ['email:bf1@example.com', 'anonymous_id:bf-anon-1', first.body.id]) expect(await profile(w, ref), ref).toMatchObject({ cache: 'hit', body: first.body });
    expect(await profile(w, 'anonymous_id:bf-anon-3')).toMatchObject({ cache: 'hit', body: { computed: { eventCount: 1 } } });
    const events = await timeline(w, 'user_id:bf-1');
    expect(events).toMatchObject({ cache: 'hit', body: { cursor: { hasMore: false } } });
    expect(events.body.data.map((e: any) => e.messageId)).toEqual(expect.arrayContaining(['bf-m1', 'bf-m2']));
    expect(await withReads(w, (i) => i.counts.d1Reads)).toBe(d1Reads);
    expect((await profile(w, 'user_id:nobody')).status).toBe(404);
  });

  it('a write makes the named profiles stale at once; the alarm reads them again only after writes are quiet', async () => {
    const w = await createWorkspace('Quiet shop');
    await send(w, people('q'));
    await catchUp(w);
    await send(w, [{ type: 'identify', userId: 'q-2', traits: { plan: 'pro' }, messageId: 'q-m5' }]);
    expect(await status(w)).toMatchObject({ caughtUp: false, views: { namedStale: 1 } });
    // Writes were just now: the alarm only puts itself off.
    await withReads(w, (i) => (i.quietMs = 60_000));
    const batches = await withReads(w, (i) => i.counts.batches);
    await runDurableObjectAlarm(stub(w));
    expect(await withReads(w, (i) => i.counts.batches)).toBe(batches);
    expect(await status(w)).toMatchObject({ views: { namedStale: 1 } });
    await catchUp(w);
    expect(await profile(w, 'user_id:q-2')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'pro' } } });
  });

  it('under writes that never pause, it still reads one batch every 30 s', async () => {
    const w = await createWorkspace('Busy shop');
    await send(w, people('bz'));
    await catchUp(w);
    await send(w, [{ type: 'identify', userId: 'bz-2', traits: { plan: 'pro' }, messageId: 'bz-m5' }]);
    // 31 s later by the object's clock, with a write 31 s ago counting as recent (quiet would be 60 s).
    await withReads(w, (i) => {
      i.quietMs = 60_000;
      i.clock = () => Date.now() + 31_000;
    });
    try {
      const batches = await withReads(w, (i) => i.counts.batches);
      await runDurableObjectAlarm(stub(w));
      expect(await withReads(w, (i) => i.counts.batches)).toBe(batches + 1);
      expect(await status(w)).toMatchObject({ caughtUp: true });
    } finally {
      await withReads(w, (i) => (i.clock = () => Date.now()));
    }
  });

  it("a group call makes its account's members stale by name: no sweep, and people outside the account still answer from the store", async () => {
    const w = await createWorkspace('Account store shop');
    await send(w, [
      { type: 'group', userId: 'ac-1', groupId: 'acme', traits: { tier: 'gold' }, messageId: 'ac-1' },
      { type: 'group', anonymousId: 'ac-anon-2', groupId: 'acme', messageId: 'ac-2' },
      { type: 'identify', userId: 'ac-3', messageId: 'ac-3' },
    ]);
    await catchUp(w);
    const { generation } = await status(w);
    await send(w, [{ type: 'group', userId: 'ac-1', groupId: 'acme', traits: { tier: 'platinum' }, messageId: 'ac-4' }]);
    expect(await status(w)).toMatchObject({ generation, sweeping: false, views: { namedStale: 2, current: 1 } });
    expect(await profile(w, 'user_id:ac-3')).toMatchObject({ cache: 'hit' });
    const platinum = [{ groupId: 'acme', traits: { tier: 'platinum' } }];
    expect(await profile(w, 'anonymous_id:ac-anon-2')).toMatchObject({ cache: 'miss', body: { accounts: platinum } });
    await catchUp(w);
    expect(await profile(w, 'user_id:ac-1')).toMatchObject({ cache: 'hit', body: { accounts: platinum } });
  });

  it('a merge: the absorbed row goes and every old ref answers the survivor from the store', async () => {
    const w = await createWorkspace('Merging store shop');
    await send(w, [
      { type: 'track', anonymousId: 'mg-anon', event: 'Viewed', messageId: 'mg-1' },
      { type: 'identify', userId: 'mg-user', messageId: 'mg-2' },
    ]);
    await catchUp(w);
    const anonId = (await profile(w, 'anonymous_id:mg-anon')).body.id;
    await send(w, [{ type: 'identify', userId: 'mg-user', anonymousId: 'mg-anon', messageId: 'mg-3' }]);
    await catchUp(w);
    expect((await status(w)).views.current).toBe(1);
    const survivor = await profile(w, 'user_id:mg-user');
    expect(survivor).toMatchObject({ cache: 'hit', body: { computed: { eventCount: 3 } } });
    for (const ref of ['anonymous_id:mg-anon', anonId]) expect(await profile(w, ref), ref).toMatchObject({ cache: 'hit', body: survivor.body });
  });

  it('a split: the split-off identifier answers its own profile, never the one it left', async () => {
    const w = await createWorkspace('Splitting store shop');
    await send(w, [
      { type: 'identify', userId: 'sp-1', messageId: 'sp-1' },
      { type: 'identify', userId: 'sp-2', messageId: 'sp-2' },
    ]);
    await catchUp(w);
    const two = (await profile(w, 'user_id:sp-2')).body.id;
    const secret = { authorization: `Bearer ${w.secretKey}` };
    expect((await call('/v1/profiles/user_id:sp-1/merge', { method: 'POST', headers: secret, json: { from: 'user_id:sp-2' } })).status).toBe(200);
    await catchUp(w);
    expect((await profile(w, 'user_id:sp-2')).body.identities).toHaveLength(2);
    expect((await call('/v1/profiles/user_id:sp-1/split', { method: 'POST', headers: secret, json: { profileId: two } })).status).toBe(200);
    expect((await profile(w, 'user_id:sp-2')).body.id).toBe(two);
    await catchUp(w);
    expect(await profile(w, 'user_id:sp-2')).toMatchObject({ cache: 'hit', body: { id: two } });
    expect(await profile(w, 'user_id:sp-1')).toMatchObject({ cache: 'hit', body: { identities: [{ type: 'user_id', value: 'sp-1' }] } });
  });

  it('erasure leaves nothing of the person in the store, and the catch-up does not bring it back', async () => {
    const w = await createWorkspace('Erasing store shop');
    await send(w, people('er'));
    await catchUp(w);
    const id = (await profile(w, 'user_id:er-1')).body.id;
    await timeline(w, 'user_id:er-1');
    expect(await storedText(w)).toContain('er1@example.com');
    // A write names the person stale first: the id sits in the store's log too.
    await send(w, [{ type: 'track', userId: 'er-1', event: 'Viewed', messageId: 'er-m5' }]);
    expect(await loggedStale(w)).toContain(id);
    const res = await call('/v1/profiles/email:er1@example.com', { method: 'DELETE', headers: { authorization: `Bearer ${w.secretKey}` } });
    expect(res.status).toBe(200);
    for (const text of ['er1@example.com', 'er-anon-1', 'er-1', id]) expect(await storedText(w)).not.toContain(text);
    for (const ref of ['user_id:er-1', 'email:er1@example.com', id]) expect((await profile(w, ref)).status, ref).toBe(404);
    await catchUp(w);
    expect(await storedText(w)).not.toContain('er1@example.com');
    expect(await profile(w, 'user_id:er-2')).toMatchObject({ cache: 'hit' });
  });

  it('a write is logged, one row per invalidation: its profiles answer again only once read after it, also across a restart', async () => {
    const w = await createWorkspace('Logging store shop');
    await send(w, people('lg'));
    await catchUp(w);
    const [one, two] = [(await profile(w, 'user_id:lg-1')).body.id, (await profile(w, 'user_id:lg-2')).body.id];
    await timeline(w, 'user_id:lg-1');
    await send(w, [
      { type: 'identify', userId: 'lg-1', traits: { plan: 'team' }, messageId: 'lg-m5' },
      { type: 'identify', userId: 'lg-2', traits: { plan: 'team' }, messageId: 'lg-m6' },
    ]);
    expect((await loggedStale(w)).sort()).toEqual([one, two].sort());
    expect(await withReads(w, (_i, state) => state.storage.sql.exec('SELECT count(*) AS n FROM stale_log').one().n)).toBe(1);
    // Named again before the catch-up: nothing more is written.
    await send(w, [{ type: 'track', userId: 'lg-2', event: 'Viewed', messageId: 'lg-m7' }]);
    expect(await withReads(w, (_i, state) => state.storage.sql.exec('SELECT count(*) AS n FROM stale_log').one().n)).toBe(1);
    // A restarted object rebuilds the stale set from the log: the old answer is not served.
    await restart(w);
    expect(await profile(w, 'user_id:lg-2')).toMatchObject({ cache: 'miss', body: { traits: { plan: 'team' } } });
    expect(await profile(w, 'user_id:lg-2')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'team' } } });
    // A profile read stores the profile again; the page kept before the write is not served with it.
    expect(await profile(w, 'user_id:lg-1')).toMatchObject({ cache: 'miss', body: { traits: { plan: 'team' } } });
    const page = await timeline(w, 'user_id:lg-1');
    expect(page.cache).toBe('miss');
    expect(page.body.data.map((e: any) => e.messageId)).toContain('lg-m5');
    // The catch-up marks what is still logged in `views` and empties the log.
    await catchUp(w);
    expect(await loggedStale(w)).toEqual([]);
    expect(await profile(w, 'user_id:lg-1')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'team' } } });
  });

  it('the stale log is marked into the rows a few invalidations at a time, oldest first, and a profile stored since stays current', async () => {
    const w = await createWorkspace('Stale log steps shop');
    const rows = await withReads(w, (_i, state) => {
      const sql = state.storage.sql;
      const gen = (id: string) => sql.exec<{ gen: number }>('SELECT gen FROM views WHERE id = ?', id).toArray()[0]?.gen ?? null;
      const log = new StaleLog(sql);
      log.add(['p1', 'p2'], 1);
      log.add(['p2', 'p3'], 1); // p2 is logged already: only p3 is written
      log.add(['p4'], 1);
      expect(log.take('p3')).toBe(true); // stored again after its invalidation
      log.flush(2, 2); // the first row only (2 ids)
      const first = { p1: gen('p1'), p2: gen('p2'), p4: gen('p4'), p1Logged: log.has('p1'), p4Logged: log.has('p4') };
      const restarted = new StaleLog(sql); // what a restarted object rebuilds: the rows not yet marked
      const rebuilt = { p4: restarted.has('p4'), p1: restarted.has('p1'), p3: restarted.has('p3') };
      restarted.flush(3);
      return { first, rebuilt, after: { p3: gen('p3'), p4: gen('p4'), empty: restarted.empty } };
    });
    expect(rows).toEqual({
      first: { p1: 0, p2: 0, p4: null, p1Logged: false, p4Logged: true },
      // p3's row is still in the log: a restart counts it stale again (one more D1 read, never a stale answer).
      rebuilt: { p4: true, p1: false, p3: true },
      after: { p3: 0, p4: 0, empty: true },
    });
  });

  it('a step of the stale log reads it a few rows at a time, across as many as it marks', async () => {
    const w = await createWorkspace('Stale log pages shop');
    const seen = await withReads(w, (_i, state) => {
      const sql = state.storage.sql;
      const log = new StaleLog(sql);
      for (let i = 0; i < 20; i++) log.add([`q${i}`], 1); // 20 rows of one id
      log.flush(2, 17); // more rows than one read holds
      const afterStep = { q16: log.has('q16'), q17: log.has('q17'), empty: log.empty };
      log.flush(3);
      const marked = sql.exec<{ n: number }>("SELECT count(*) AS n FROM views WHERE gen = 0 AND id LIKE 'q%'").toArray()[0]!.n;
      return { afterStep, empty: log.empty, marked, restarted: new StaleLog(sql).empty };
    });
    expect(seen).toEqual({ afterStep: { q16: false, q17: true, empty: false }, empty: true, marked: 20, restarted: true });
  });

  it('a restarted object answers from its own storage, without D1', async () => {
    const w = await createWorkspace('Restart shop');
    await send(w, people('rs'));
    await catchUp(w);
    const expected = (await profile(w, 'user_id:rs-1')).body;
    const database = (await status(w)).database as string;
    // A new instance over the same storage is what a restart (or a deploy) leaves: memory empty, SQLite as it was.
    const answer = await withReads(w, async (_i, state) => {
      const restarted = new ProfileReads(state, env);
      const got = await restarted.profile({ database, workspaceId: w.id, selector: { kind: 'identifier', id: { type: 'user_id', value: 'rs-1' } } });
      return { ...got, d1Reads: restarted.counts.d1Reads };
    });
    expect(answer).toMatchObject({ hit: true, d1Reads: 0 });
    expect(JSON.parse(answer.body as string)).toEqual(expected);
  });

  it('a restarted object with nothing to do schedules no catch-up on reads, and the next write schedules it', async () => {
    const w = await createWorkspace('Idle store shop');
    await send(w, people('id'));
    await catchUp(w);
    await withReads(w, (_i, state) => state.storage.deleteAlarm());
    await withReads(w, (_i, state) => state.abort('a restart')).catch(() => undefined);
    expect(await profile(w, 'user_id:id-1')).toMatchObject({ cache: 'hit' });
    expect(await profile(w, 'user_id:id-2')).toMatchObject({ cache: 'hit' });
    expect(await withReads(w, (_i, state) => state.storage.getAlarm())).toBeNull();
    await send(w, [{ type: 'identify', userId: 'id-2', traits: { plan: 'pro' }, messageId: 'id-m5' }]);
    expect(await withReads(w, (_i, state) => state.storage.getAlarm())).toEqual(expect.any(Number));
    await catchUp(w);
    expect(await profile(w, 'user_id:id-2')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'pro' } } });
  });

  it('a store kept by a release with another row form reads every profile again, answering from D1 meanwhile', async () => {
    const w = await createWorkspace('Upgrading store shop');
    await send(w, people('up'));
    await catchUp(w);
    const expected = await timeline(w, 'user_id:up-1');
    expect(expected.cache).toBe('hit');
    // What a deploy of this release finds: rows of the old form (meta `format` absent). The object
    // restarts (abort), and its next instance opens the same storage.
    await withReads(w, (_i, state) => state.storage.sql.exec(`DELETE FROM meta WHERE key = 'format'`));
    await withReads(w, (_i, state) => state.abort('a deploy')).catch(() => undefined);
    expect(await timeline(w, 'user_id:up-1')).toMatchObject({ cache: 'miss', body: expected.body });
    expect(await status(w)).toMatchObject({ sweeping: true, views: { current: 1, older: 2 } });
    await catchUp(w);
    expect(await timeline(w, 'user_id:up-1')).toMatchObject({ cache: 'hit', body: expected.body });
  });

  it('a store of format 2 (before the stale log) is kept as it is: no generation, no D1 read', async () => {
    const w = await createWorkspace('Format 2 store shop');
    await send(w, people('f2'));
    await catchUp(w);
    const { generation } = await status(w);
    await withReads(w, (_i, state) => state.storage.sql.exec(`UPDATE meta SET value = '2' WHERE key = 'format'`));
    await restart(w);
    expect(await profile(w, 'user_id:f2-1')).toMatchObject({ cache: 'hit' });
    expect(await status(w)).toMatchObject({ generation, sweeping: false });
    expect(await withReads(w, (_i, state) => state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'format'`).one().value)).toBe('3');
  });

  it('a move to another database: every row is stale, then swept again from the new database', async () => {
    const w = await createWorkspace('Moving store shop', 'DB');
    await send(w, people('mv'));
    await catchUp(w);
    const before = (await profile(w, 'user_id:mv-1')).body;
    expect((await call(`/v1/admin/workspaces/${w.id}/move`, { method: 'POST', headers: admin, json: { database: 'DB_2' } })).status).toBe(202);
    await settleInboxes();
    expect(await profile(w, 'user_id:mv-1')).toMatchObject({ cache: 'miss', body: before });
    expect(await status(w)).toMatchObject({ database: 'DB_2', sweeping: true });
    await catchUp(w);
    expect(await profile(w, 'user_id:mv-2')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'free' } } });
  });

  it('a rebuild: the old profile ids leave the store at the end of the sweep', async () => {
    const w = await createWorkspace('Rebuilding store shop');
    await send(w, people('rb'));
    await catchUp(w);
    const oldId = (await profile(w, 'user_id:rb-1')).body.id;
    expect((await call(`/v1/admin/workspaces/${w.id}/rebuild`, { method: 'POST', headers: admin })).status).toBe(202);
    await settleInboxes();
    await catchUp(w);
    expect((await status(w)).views.current).toBe(3);
    expect(await storedText(w)).not.toContain(oldId);
    expect(await profile(w, 'user_id:rb-1')).toMatchObject({ cache: 'hit', body: { traits: { plan: 'pro' } } });
  });

  it('predictions are stored as the view and computed at each answer', async () => {
    const w = await createWorkspace('Predicting store shop');
    const now = Date.now();
    await send(
      w,
      [40, 25, 10].map((days, k) => ({ type: 'track', userId: 'pr-1', event: 'Order Completed', properties: { revenue: 20 + k }, timestamp: new Date(now - days * DAY).toISOString(), messageId: `pr-${k}` })),
    );
    expect((await call('/v1/predictions/fit', { method: 'POST', headers: { authorization: `Bearer ${w.secretKey}` } })).status).toBe(200);
    await catchUp(w);
    const first = await profile(w, 'user_id:pr-1');
    expect(first).toMatchObject({ cache: 'hit', body: { predictions: { pAlive: expect.any(Number) } } });
    // Within the store's safety net (MAX_AGE_MS, 24 h), the clock moves the predictions on.
    await withReads(w, (i) => (i.clock = () => Date.now() + 20 * 3_600_000));
    try {
      const later = await profile(w, 'user_id:pr-1');
      expect(later.cache).toBe('hit');
      expect(later.body.predictions).not.toEqual(first.body.predictions);
    } finally {
      await withReads(w, (i) => (i.clock = () => Date.now()));
    }
  });
});
