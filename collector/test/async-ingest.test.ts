import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IngestInbox } from '../src/resolver/inbox';
import { MAX_ATTEMPTS } from '../src/resolver/inbox-tables';
import { inboxOf } from '../src/resolver/inbox-client';
import { basic, call, callRaw, createWorkspace, type TestWorkspace } from './helpers';

// Ingest acknowledges once messages are durable in the workspace's inbox (a Durable Object) and
// resolves them behind the answer. These tests use callRaw: nothing settles the inbox for them.

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('async ingest');
});

const inbox = () => inboxOf(env, ws.id);
const withInbox = (fn: (instance: IngestInbox) => void) => runInDurableObject(inbox(), async (instance: IngestInbox) => fn(instance));
afterEach(() => withInbox((i) => (i.faults = {})));

const ingest = (batch: unknown[], key = ws.writeKey) =>
  callRaw('/v1/batch', { method: 'POST', headers: { authorization: basic(key) }, json: { batch } });
const read = (path: string, key = ws.secretKey, init: RequestInit = {}) =>
  callRaw(path, { ...init, headers: { authorization: `Bearer ${key}` } });
const status = async () => (await read('/v1/ingest/status')).json<{ pending: number; oldestPendingAt: string | null; lagMs: number; deadLettered: number }>();
const waitResolved = () => expect.poll(async () => (await status()).pending, { timeout: 10_000, interval: 25 }).toBe(0);
const profile = async (ref: string) => (await read(`/v1/profiles/${ref}`)).json<Record<string, any>>();
const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

describe('acknowledge, then resolve', () => {
  it('answers before resolving, reports what is pending, and the alarm alone resolves it', async () => {
    // The resolver is held before it resolves: the answer and the status must not wait for it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await withInbox((i) => (i.faults.beforeResolve = () => held));
    const res = await ingest([
      { type: 'identify', userId: 'ack-1', traits: { plan: 'pro' }, messageId: 'ack-a' },
      { type: 'track', userId: 'ack-1', event: 'Order Completed', properties: { revenue: 5 }, messageId: 'ack-b' },
      { type: 'track', event: 'Missing id' },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, accepted: 2, rejected: [{ index: 2, code: 'missing_id' }] });
    const before = await status();
    expect(before.pending).toBe(2);
    expect(before.deadLettered).toBe(0);
    expect(Date.parse(before.oldestPendingAt!)).toBeLessThanOrEqual(Date.now());
    expect(before.lagMs).toBeGreaterThanOrEqual(0);
    expect((await read('/v1/profiles/user_id:ack-1')).status).toBe(404);
    release();
    await waitResolved();
    const p = await profile('user_id:ack-1');
    expect(p.traits.plan).toBe('pro');
    expect(p.computed).toMatchObject({ eventCount: 2, revenue: 5 });
    expect(await status()).toMatchObject({ pending: 0, oldestPendingAt: null, lagMs: 0, deadLettered: 0 });
  });

  it('keeps the status and dead letters behind a secret key of the workspace', async () => {
    expect((await read('/v1/ingest/status', ws.writeKey)).status).toBe(401);
    const other = await createWorkspace('other');
    expect(await (await read('/v1/ingest/status', other.secretKey)).json()).toMatchObject({ pending: 0, deadLettered: 0 });
    expect((await read('/v1/ingest/dead-letters', ws.writeKey)).status).toBe(401);
    expect((await read('/v1/ingest/dead-letters/replay', ws.writeKey, { method: 'POST' })).status).toBe(401);
  });
});

describe('a resolver that fails half-way', () => {
  it('crashing after its D1 write and before its inbox delete stores and counts nothing twice', async () => {
    let crashes = 0;
    await withInbox((i) => (i.faults.afterResolve = () => {
      if (crashes++ === 0) throw new Error('crash after the write');
    }));
    await ingest([
      { type: 'identify', userId: 'half-1', anonymousId: 'half-anon', traits: { email: 'half@x.io' }, messageId: 'half-a' },
      { type: 'track', userId: 'half-1', event: 'Order Completed', properties: { revenue: 30 }, messageId: 'half-b' },
      { type: 'track', anonymousId: 'half-anon', event: 'Order Completed', properties: { revenue: 12 }, messageId: 'half-c' },
    ]);
    await waitResolved();
    expect(crashes).toBeGreaterThan(1); // the batch was applied again after the crash
    const p = await profile('user_id:half-1');
    expect(p.computed).toMatchObject({ eventCount: 3, revenue: 42, eventCounts: { 'Order Completed': 2 } });
    expect(await count("SELECT count(*) AS n FROM events WHERE message_id LIKE 'half-%'")).toBe(3);
    expect((await status()).deadLettered).toBe(0);
  });

  it('isolates a message it cannot apply: its neighbours land, it becomes a dead letter, and replays once fixed', async () => {
    await withInbox((i) => (i.faults.beforeResolve = (events) => {
      if (events.some((e) => e.messageId === 'poison')) throw new Error('cannot apply poison');
    }));
    await ingest([
      { type: 'track', userId: 'dl-1', event: 'Before', messageId: 'dl-a' },
      { type: 'track', userId: 'dl-2', event: 'Poisoned', messageId: 'poison' },
      { type: 'track', userId: 'dl-1', event: 'After', messageId: 'dl-b' },
    ]);
    await waitResolved();
    expect((await profile('user_id:dl-1')).computed.eventCount).toBe(2);
    expect((await read('/v1/profiles/user_id:dl-2')).status).toBe(404);
    expect((await status()).deadLettered).toBe(1);
    const dead = await (await read('/v1/ingest/dead-letters')).json<{ data: any[] }>();
    expect(dead.data).toEqual([
      expect.objectContaining({ messageId: 'poison', attempts: MAX_ATTEMPTS, error: expect.stringContaining('cannot apply poison'), event: expect.objectContaining({ event: 'Poisoned', userId: 'dl-2' }) }),
    ]);

    // Replay needs admin; a read-only key gets 403.
    const readOnly = await (await call('/v1/keys', { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}` }, json: { kind: 'secret', scopes: ['read'] } })).json<{ key: string }>();
    expect((await read('/v1/ingest/dead-letters/replay', readOnly.key, { method: 'POST' })).status).toBe(403);

    await withInbox((i) => (i.faults = {}));
    const replay = await read('/v1/ingest/dead-letters/replay', ws.secretKey, { method: 'POST' });
    expect(await replay.json()).toEqual({ replayed: 1 });
    await waitResolved();
    expect((await profile('user_id:dl-2')).computed.eventCount).toBe(1);
    expect(await status()).toMatchObject({ pending: 0, deadLettered: 0 });
  });
});

describe('delivery order and grouping', () => {
  // One journey: two devices, an alias chain, late and early events, trait overwrites by time.
  const journey = [
    { type: 'page', anonymousId: 'dev-1', name: 'Home', messageId: 'j-1', timestamp: '2026-03-01T10:00:00.000Z', context: { campaign: { name: 'spring' } } },
    { type: 'identify', anonymousId: 'dev-1', traits: { email: 'jo@x.io', plan: 'free' }, context: { traitOps: { setOnce: { firstPlan: 'free' } } }, messageId: 'j-2', timestamp: '2026-03-01T10:01:00.000Z' },
    { type: 'track', anonymousId: 'dev-2', event: 'Product Viewed', messageId: 'j-3', timestamp: '2026-03-02T09:00:00.000Z' },
    { type: 'identify', anonymousId: 'dev-2', userId: 'jo', traits: { plan: 'pro' }, context: { traitOps: { setOnce: { firstPlan: 'pro' } } }, messageId: 'j-4', timestamp: '2026-03-02T09:05:00.000Z' },
    { type: 'identify', userId: 'jo', anonymousId: 'dev-1', messageId: 'j-5', timestamp: '2026-03-03T08:00:00.000Z' },
    { type: 'track', userId: 'jo', event: 'Order Completed', properties: { revenue: 20 }, messageId: 'j-6', timestamp: '2026-03-03T08:10:00.000Z' },
    { type: 'identify', userId: 'jo', traits: { plan: 'trial' }, messageId: 'j-7', timestamp: '2026-02-20T00:00:00.000Z' },
    { type: 'alias', userId: 'jo-new', previousId: 'jo', messageId: 'j-8', timestamp: '2026-03-04T00:00:00.000Z' },
    { type: 'track', userId: 'jo-new', event: 'Order Completed', properties: { total: 5 }, messageId: 'j-9', timestamp: '2026-03-05T00:00:00.000Z' },
  ];
  const deliveries: Record<string, unknown[][]> = {
    'one batch': [journey],
    'one by one, reversed': [...journey].reverse().map((m) => [m]),
    'shuffled groups of 2-3': [[journey[5], journey[0]], [journey[8], journey[2], journey[6]], [journey[3], journey[7]], [journey[1], journey[4]]],
  };

  it('gives the same profile however the journey is grouped into requests and resolver batches, and in whatever order', async () => {
    const results: Record<string, unknown> = {};
    for (const [name, requests] of Object.entries(deliveries)) {
      const w = await createWorkspace(name);
      for (const batch of requests) {
        const res = await ingest(batch, w.writeKey);
        expect(res.status).toBe(200);
        // Resolve each request on its own, so the resolver batches follow the requests.
        await inboxOf(env, w.id).settle();
      }
      const res = await read('/v1/profiles/user_id:jo', w.secretKey);
      expect(res.status, name).toBe(200);
      const p = await res.json<Record<string, any>>();
      results[name] = {
        traits: p.traits,
        computed: p.computed,
        identities: [...p.identities].map((i: { type: string; value: string }) => `${i.type}:${i.value}`).sort(),
        events: (await (await read('/v1/profiles/user_id:jo/events?limit=100', w.secretKey)).json<{ data: { messageId: string }[] }>()).data.map((e) => e.messageId).sort(),
      };
    }
    const [first, ...rest] = Object.values(results);
    expect(first).toMatchObject({ traits: { email: 'jo@x.io', plan: 'pro', firstPlan: 'free' }, computed: { eventCount: 9, revenue: 25 } });
    for (const r of rest) expect(r).toEqual(first);
  });
});
