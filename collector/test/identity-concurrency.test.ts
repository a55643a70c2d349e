import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { prepareMessages } from '../src/ingest/pipeline';
import { resolveBatch } from '../src/resolver/resolve-batch';
import { resolveAndStore } from '../src/ingest/resolve-and-store';
import { isTransientStorageError, isWriteConflict } from '../src/store/identity-writes';
import { getWorkspace } from '../src/store/workspaces';
import { call, createWorkspace, sendBatch } from './helpers';

const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

/** Invariants that a half-applied merge would break, checked over a whole workspace. */
async function expectConsistent(workspaceId: string) {
  // canonical_id is flattened: it always names a live (self-canonical) profile.
  expect(await count(`SELECT count(*) AS n FROM profiles p JOIN profiles r ON r.id = p.canonical_id WHERE p.workspace_id = ? AND r.canonical_id != r.id`, workspaceId)).toBe(0);
  // Each canonical profile's event_count is exactly the events of its tree.
  const { results } = await env.DB.prepare(
    `SELECT r.id, r.event_count, (SELECT count(*) FROM profiles m JOIN events e ON e.profile_id = m.id WHERE m.canonical_id = r.id) AS actual
     FROM profiles r WHERE r.workspace_id = ? AND r.canonical_id = r.id`,
  ).bind(workspaceId).all<{ id: string; event_count: number; actual: number }>();
  for (const r of results) expect(r.event_count, r.id).toBe(r.actual);
}

describe('concurrent requests for one person', () => {
  it('20 devices identifying the same user at once end in one profile, nothing orphaned', async () => {
    const ws = await createWorkspace('concurrency-1');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sendBatch(ws.writeKey, [{ type: 'identify', userId: 'c-user', anonymousId: `c-dev-${i}`, messageId: `c-${i}`, traits: { email: 'C@x.io', [`t${i}`]: i } }]),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await count('SELECT count(*) AS n FROM profiles WHERE workspace_id = ?', ws.id)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM identities WHERE workspace_id = ? AND type = 'anonymous_id'", ws.id)).toBe(20);
    const res = await call('/v1/profiles/user_id:c-user', { headers: { authorization: `Bearer ${ws.secretKey}` } });
    const profile = await res.json<{ computed: { eventCount: number }; traits: Record<string, unknown>; identities: unknown[] }>();
    expect(profile.computed.eventCount).toBe(20);
    expect(profile.identities).toHaveLength(22);
    // Every request's traits landed: none was lost to a lost race.
    for (let i = 0; i < 20; i++) expect(profile.traits[`t${i}`]).toBe(i);
    await expectConsistent(ws.id);
  });

  it('the same new anonymous visitor in 10 parallel requests gets one profile', async () => {
    const ws = await createWorkspace('concurrency-2');
    await Promise.all(Array.from({ length: 10 }, (_, i) => sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'c-anon', messageId: `p-${i}` }])));
    expect(await count('SELECT count(*) AS n FROM profiles WHERE workspace_id = ?', ws.id)).toBe(1);
    await expectConsistent(ws.id);
  });

  it('merges racing with events on the merged profiles are all-or-nothing', async () => {
    const ws = await createWorkspace('concurrency-3');
    await sendBatch(ws.writeKey, [
      { type: 'page', anonymousId: 'm-x1', messageId: 'm-0' },
      { type: 'page', anonymousId: 'm-x2', messageId: 'm-1' },
      { type: 'identify', userId: 'm-u', messageId: 'm-2' },
    ]);
    const racing = [
      [{ type: 'identify', userId: 'm-u', anonymousId: 'm-x1', messageId: 'r-0' }],
      [{ type: 'identify', userId: 'm-u', anonymousId: 'm-x2', messageId: 'r-1' }],
      [{ type: 'identify', anonymousId: 'm-x1', traits: { email: 'm@x.io' }, messageId: 'r-2' }],
      [{ type: 'identify', anonymousId: 'm-x2', traits: { email: 'm@x.io' }, messageId: 'r-3' }],
      ...Array.from({ length: 12 }, (_, i) => [{ type: 'track', event: 'E', anonymousId: i % 2 ? 'm-x1' : 'm-x2', messageId: `r-t${i}` }]),
    ];
    const responses = await Promise.all(racing.map((batch) => sendBatch(ws.writeKey, batch)));
    expect(responses.map((r) => r.status)).toEqual(Array(racing.length).fill(200));
    const live = await env.DB.prepare('SELECT id, event_count FROM profiles WHERE workspace_id = ? AND canonical_id = id').bind(ws.id).all<{ event_count: number }>();
    expect(live.results).toHaveLength(1);
    expect(live.results[0].event_count).toBe(3 + racing.length);
    await expectConsistent(ws.id);
  });
});

describe('the write guard', () => {
  it('refuses a plan made from a stale read and leaves nothing half-written', async () => {
    const ws = await createWorkspace('guard');
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'g-1', messageId: 'g-0' }]);
    const workspace = (await getWorkspace(env.DB, ws.id))!;
    const prepared = prepareMessages({ messages: [{ type: 'track', event: 'Late', anonymousId: 'g-1', messageId: 'g-late' }], receivedAt: Date.now(), facts: { ip: null, userAgent: null, cf: null, ipPolicy: 'drop' } });
    // Another writer changes the profile between our read phase and our write batch: simulated by
    // making the database's first batch (the read phase) be followed by a concurrent write.
    let batches = 0;
    const racingDb = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            const n = ++batches;
            const out = await target.batch(statements);
            if (n === 1) await target.prepare('UPDATE profiles SET version = version + 1 WHERE workspace_id = ?').bind(ws.id).run();
            return out;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const outcome = await resolveAndStore(racingDb, workspace, prepared.events, Date.now());
    // The first write failed on the guard, the retry re-read and succeeded.
    expect(batches).toBe(4);
    expect(outcome.stored).toBe(1);
    expect(await count("SELECT count(*) AS n FROM events WHERE workspace_id = ? AND message_id = 'g-late'", ws.id)).toBe(1);
    await expectConsistent(ws.id);
  });

  it('waits out a locked database (local D1 read by another process) instead of answering 503', async () => {
    const ws = await createWorkspace('busy');
    const workspace = (await getWorkspace(env.DB, ws.id))!;
    const prepared = prepareMessages({ messages: [{ type: 'track', event: 'Busy', anonymousId: 'b-1', messageId: 'b-1' }], receivedAt: Date.now(), facts: { ip: null, userAgent: null, cf: null, ipPolicy: 'drop' } });
    // The first read and the first write each meet the lock, as the D1 binding reports it.
    const failing = new Set([1, 3]);
    let batches = 0;
    const lockedDb = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            if (failing.has(++batches)) throw new Error('D1_ERROR: database is locked: SQLITE_BUSY');
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const outcome = await resolveAndStore(lockedDb, workspace, prepared.events, Date.now());
    expect(batches).toBe(5); // read (locked), read, write (locked), read, write
    expect(outcome.stored).toBe(1);
    expect(await count("SELECT count(*) AS n FROM events WHERE workspace_id = ? AND message_id = 'b-1'", ws.id)).toBe(1);
    await expectConsistent(ws.id);
  });

  it.each([
    ['D1_ERROR: database is locked: SQLITE_BUSY', true],
    ['D1_ERROR: Network connection lost.', true],
    // What local D1 answers while another process holds the SQLite file (SQLITE_BUSY underneath).
    ['D1_ERROR: Failed to parse body as JSON, got: Error: internal error; reference = llleselnfop3vrs7acbb0303', true],
    ['D1_ERROR: no such table: events: SQLITE_ERROR', false],
    ['D1_ERROR: UNIQUE constraint failed: events.workspace_id, events.message_id', false],
  ])('treats %j as transient: %s', (message, transient) => {
    expect(isTransientStorageError(new Error(message))).toBe(transient);
  });

  it('recognises guard and identity-claim failures as write conflicts, nothing else', async () => {
    const stale = env.DB.prepare("INSERT INTO write_guard (ok) SELECT 0");
    const err = await stale.run().then(() => null, (e: unknown) => e);
    expect(isWriteConflict(err)).toBe(true);
    const other = await env.DB.prepare('SELECT * FROM no_such_table').run().then(() => null, (e: unknown) => e);
    expect(isWriteConflict(other)).toBe(false);
  });
});

describe('resolveBatch outcome', () => {
  it('returns the canonical profiles a batch touched and the ones it absorbed', async () => {
    const ws = await createWorkspace('outcome');
    const workspace = (await getWorkspace(env.DB, ws.id))!;
    const facts = { ip: null, userAgent: null, cf: null, ipPolicy: 'drop' as const };
    const resolve = (messages: unknown[]) => {
      const { events, rejected } = prepareMessages({ receivedAt: Date.now(), facts, messages });
      expect(rejected).toEqual([]);
      return resolveBatch(env.DB, workspace, events, Date.now());
    };
    const first = await resolve([
      { type: 'page', anonymousId: 'o-1', messageId: 'o-1' },
      { type: 'identify', userId: 'o-user', messageId: 'o-2' },
    ]);
    expect(first.stored).toBe(2);
    expect(first.touchedProfileIds).toHaveLength(2);
    const [anonProfile, userProfile] = first.touchedProfileIds;
    const merged = await resolve([{ type: 'identify', userId: 'o-user', anonymousId: 'o-1', messageId: 'o-3' }]);
    expect(merged.touchedProfileIds).toEqual([userProfile]);
    expect(merged.absorbedProfileIds).toEqual([anonProfile]);
    // A batch applied again (a resolver crash before its inbox delete) stores nothing, and still
    // names the profile its events belong to, so that profile's memberships are refreshed.
    const again = await resolve([{ type: 'identify', userId: 'o-user', messageId: 'o-3' }]);
    expect(again.stored).toBe(0);
    expect(again.touchedProfileIds).toEqual([userProfile]);
  });
});
