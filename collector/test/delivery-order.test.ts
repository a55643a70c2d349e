import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../sdk/src/contract';
import { deliveries, describeJourney, journeyArb, journeyMessages } from '../src/identity/test-journeys';
import { canonicalForm, memoryResolver, type World } from '../src/identity/test-world';
import { databaseOf } from '../src/directory/databases';
import { normaliseMessage } from '../src/ingest/normalise';
import { inboxOf } from '../src/resolver/inbox-client';
import { resolveBatch } from '../src/resolver/resolve-batch';
import { getWorkspace } from '../src/store/workspaces';
import { basic, callRaw, createWorkspace } from './helpers';

// Order independence through the whole resolver: every message goes through the real ingest API
// (validate, normalise, append to the workspace's inbox), and the inbox's own drain runs
// resolveBatch on real D1 (privacy gate, identity plan, one atomic write, memberships). Each
// delivery of a journey goes into a fresh workspace; after the last request its final state is
// read back from D1 and compared in a form that does not depend on generated profile ids.

const SEGMENTS = [
  ['pro', { trait: 'plan', op: 'eq', value: 'pro' }],
  ['buyers', { event: 'Order Completed', count: { gte: 2 } }],
] as const;

/** The workspace's final state as its D1 database holds it (SQL here: a test's view of the tables). */
async function readWorld(db: D1Database, workspaceId: string): Promise<World> {
  const rows = <T>(sql: string, id: string) => db.prepare(sql).bind(id).all<T>().then((r) => r.results);
  const [identities, profiles, events, accounts, members, segments] = await Promise.all([
    rows<{ key: string; canonical: string }>(
      `SELECT i.type || ':' || i.value AS key, p.canonical_id AS canonical FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.workspace_id = ?`,
      workspaceId,
    ),
    rows<{ id: string; traits: string; computed: string; consent: string; event_count: number; revenue: number; first_seen: number | null; last_seen: number | null }>(
      'SELECT id, traits, computed, consent, event_count, revenue, first_seen, last_seen FROM profiles WHERE workspace_id = ? AND id = canonical_id',
      workspaceId,
    ),
    rows<{ message_id: string; canonical: string | null }>(
      'SELECT e.message_id, p.canonical_id AS canonical FROM events e LEFT JOIN profiles p ON p.id = e.profile_id WHERE e.workspace_id = ?',
      workspaceId,
    ),
    rows<{ group_id: string; traits: string }>('SELECT group_id, traits FROM accounts WHERE workspace_id = ?', workspaceId),
    rows<{ group_id: string; canonical: string }>(
      'SELECT m.group_id, p.canonical_id AS canonical FROM account_members m JOIN profiles p ON p.id = m.profile_id WHERE m.workspace_id = ?',
      workspaceId,
    ),
    rows<{ segment_key: string; profile_id: string; canonical: string }>(
      'SELECT s.segment_key, s.profile_id, p.canonical_id AS canonical FROM segment_members s JOIN profiles p ON p.id = s.profile_id WHERE s.workspace_id = ?',
      workspaceId,
    ),
  ]);
  const bySegment: Record<string, string[]> = Object.fromEntries(SEGMENTS.map(([key]) => [key, []]));
  // A membership left on an absorbed profile would be a stale row: keep it visible.
  for (const s of segments) bySegment[s.segment_key].push(s.profile_id === s.canonical ? s.canonical : `absorbed:${s.canonical}`);
  return {
    identities: identities.map((i) => [i.key, i.canonical]),
    profiles: profiles.map((p) => ({
      id: p.id,
      traits: JSON.parse(p.traits),
      eventCount: p.event_count,
      revenue: p.revenue,
      firstSeen: p.first_seen,
      lastSeen: p.last_seen,
      computed: JSON.parse(p.computed),
      consent: JSON.parse(p.consent),
    })),
    events: events.map((e) => [e.message_id, e.canonical]),
    accounts: accounts.map((a) => ({ groupId: a.group_id, traits: JSON.parse(a.traits), members: members.filter((m) => m.group_id === a.group_id).map((m) => m.canonical) })),
    segments: bySegment,
  };
}

type Path = 'inbox' | 'resolver';

/**
 * Delivers the requests one after another into a fresh workspace, each resolved before the next
 * is sent: through the ingest API and the workspace's inbox (`inbox`), or straight into
 * resolveBatch as the inbox's drain calls it, minus the HTTP request and the Durable Object hop
 * (`resolver`, about twice as fast here).
 */
async function deliver(requests: readonly Message[][], path: Path) {
  const w = await createWorkspace('journey');
  const auth = { authorization: `Bearer ${w.secretKey}` };
  for (const [key, condition] of SEGMENTS) {
    expect((await callRaw('/v1/segments', { method: 'POST', headers: auth, json: { key, name: key, condition } })).status).toBe(201);
  }
  // The directory says which database holds the workspace's data.
  const workspace = (await getWorkspace(env.DB, w.id))!;
  const db = databaseOf(env, workspace.database);
  if (path === 'inbox') {
    const inbox = inboxOf(env, w.id);
    for (const batch of requests) {
      const res = await callRaw('/v1/batch', { method: 'POST', headers: { authorization: basic(w.writeKey) }, json: { batch } });
      expect(await res.json()).toMatchObject({ ok: true, accepted: batch.length });
      // Resolved before the next request: each request is its own resolver batch, in this order.
      await inbox.settle();
    }
    expect(await inbox.settle()).toMatchObject({ pending: 0, deadLettered: 0 });
  } else {
    for (const batch of requests) {
      const receivedAt = Date.now();
      await resolveBatch(db, workspace, batch.map((m) => normaliseMessage(m, { receivedAt, newMessageId: () => crypto.randomUUID() })), receivedAt);
    }
  }
  return canonicalForm(await readWorld(db, w.id));
}

/** The property: the three deliveries of a random journey end in the same state. */
const sameFinalState = (path: Path) =>
  fc.asyncProperty(journeyArb(10), fc.nat(), async (journey, seed) => {
    const messages = journeyMessages(journey);
    const ways = deliveries(messages, seed);
    const why = (name: string) => `${name} delivery via ${path} (order seed ${seed}) of\n${describeJourney(messages)}`;
    // Three workspaces, so the three deliveries may run side by side (each stays in its own order).
    const [reference, shuffled, regrouped] = await Promise.all([deliver(ways.reference, path), deliver(ways.shuffled, path), deliver(ways.regrouped, path)]);
    // The in-memory planner gives the same state: the store writes exactly what was planned.
    const planned = memoryResolver();
    for (const batch of ways.reference) planned.deliver(batch);
    expect({ ...reference, segments: {} }, why('D1 against the in-memory planner, reference')).toEqual(canonicalForm(planned.world()));
    expect(shuffled, why('shuffled')).toEqual(reference);
    expect(regrouped, why('regrouped')).toEqual(reference);
  });

// A failure prints fast-check's { seed, path } and the smallest failing journey as messages in
// time order; pass { seed, path } to fc.assert to replay exactly that journey.
describe('the resolver on D1 does not depend on delivery order (property over random journeys)', () => {
  it('straight into resolveBatch: time order, shuffled, regrouped give the same final state', { timeout: 120_000 }, async () => {
    await fc.assert(sameFinalState('resolver'), { numRuns: 20 });
  });

  it('through the ingest API and the inbox: the same', { timeout: 60_000 }, async () => {
    await fc.assert(sameFinalState('inbox'), { numRuns: 3 });
  });
});

describe('what stays order-dependent, on purpose (README, Identity: delivery order)', () => {
  // Two user ids that no alias joins are two people to the guard, and the guard decides with what
  // is known when a message arrives. An identifier both claim goes to whichever arrives first;
  // re-deciding on a late message would mean replaying every later event of both profiles.
  const at = (minute: number) => new Date(Date.parse('2026-02-01T10:00:00.000Z') + minute * 60_000).toISOString();
  const tablet: Message[] = [
    { type: 'identify', userId: 'ana', anonymousId: 'tablet', messageId: 't0', timestamp: at(0) },
    { type: 'identify', userId: 'ben', anonymousId: 'tablet', messageId: 't1', timestamp: at(1) },
    { type: 'page', name: 'Home', anonymousId: 'tablet', messageId: 't2', timestamp: at(2) },
  ];
  const phone: Message[] = [
    { type: 'identify', userId: 'u1', traits: { phone: '+62 812-3456-7800' }, messageId: 'p0', timestamp: at(0) },
    { type: 'alias', userId: 'u0', previousId: 'd0', messageId: 'p1', timestamp: at(1) },
    { type: 'identify', anonymousId: 'd0', traits: { phone: '62 812 3456 7800' }, messageId: 'p2', timestamp: at(2) },
  ];
  it.each<{ name: string; messages: Message[]; order: number[]; profiles: string[] }>([
    {
      name: 'a shared device without reset(), in time order: the tablet stays with the first user',
      messages: tablet,
      order: [0, 1, 2],
      profiles: ['anonymous_id:tablet user_id:ana', 'user_id:ben'],
    },
    {
      name: 'a shared device without reset(), the first login arriving last: the tablet goes with the other user',
      messages: tablet,
      order: [2, 1, 0],
      profiles: ['anonymous_id:tablet user_id:ben', 'user_id:ana'],
    },
    {
      name: 'a phone shared by two user ids with no alias between them, in time order: two people',
      messages: phone,
      order: [0, 1, 2],
      profiles: ['anonymous_id:d0 user_id:d0 user_id:u0', 'phone:+6281234567800 user_id:u1'],
    },
    {
      name: 'the same, with the device linked to the phone before the alias names its user: one profile',
      messages: phone,
      order: [0, 2, 1],
      profiles: ['anonymous_id:d0 phone:+6281234567800 user_id:d0 user_id:u0 user_id:u1'],
    },
  ])('$name', async ({ messages, order, profiles }) => {
    const state = await deliver(order.map((i) => [messages[i]]), 'resolver');
    expect(Object.keys(state.profiles).sort()).toEqual(profiles);
  });
});
