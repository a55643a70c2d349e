import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldConsent } from '../src/privacy/consent-record';
import { basic, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
let ws: TestWorkspace;
let other: TestWorkspace;
let readKey: string;

beforeAll(async () => {
  ws = await createWorkspace('Privacy shop');
  other = await createWorkspace('Neighbour shop');
  const res = await call('/v1/keys', { method: 'POST', headers: bearer(ws.secretKey), json: { kind: 'secret', scopes: ['read'] } });
  readKey = (await res.json<{ key: string }>()).key;
});

/** Every row of every table, as text: what a leftover of a person would be found in. */
async function allRows(): Promise<{ table: string; text: string }[]> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
  ).all<{ name: string }>();
  const out: { table: string; text: string }[] = [];
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    for (const row of rows.results) out.push({ table: name, text: JSON.stringify(row).toLowerCase() });
  }
  return out;
}

async function profileTree(ref: string): Promise<string[]> {
  const res = await call(`/v1/profiles/${ref}`, { headers: bearer(ws.secretKey) });
  expect(res.status).toBe(200);
  const { id } = await res.json<{ id: string }>();
  const rows = await env.DB.prepare('SELECT id FROM profiles WHERE workspace_id = ? AND canonical_id = ?').bind(ws.id, id).all<{ id: string }>();
  return rows.results.map((r) => r.id);
}

/** A person with two devices merged into one profile, an email, events and a segment membership. */
async function seedPerson(w: TestWorkspace, tag: string, extra: unknown[] = []) {
  const ids = { userId: `uid-${tag}-q7`, anon1: `anon-${tag}-d1`, anon2: `anon-${tag}-d2`, email: `${tag}.person@example.com` };
  const res = await sendBatch(w.writeKey, [
    { type: 'page', anonymousId: ids.anon1, name: 'Home', messageId: `${tag}-m1` },
    { type: 'track', anonymousId: ids.anon2, event: 'Product Viewed', properties: { sku: `sku-${tag}` }, messageId: `${tag}-m2` },
    { type: 'identify', userId: ids.userId, anonymousId: ids.anon1, traits: { email: ids.email, plan: 'pro', name: `Name ${tag}` }, messageId: `${tag}-m3` },
    { type: 'alias', userId: ids.userId, previousId: ids.anon2, messageId: `${tag}-m4` },
    { type: 'track', userId: ids.userId, event: 'Order Completed', properties: { total: 42 }, messageId: `${tag}-m5` },
    ...extra,
  ]);
  expect(await res.json()).toMatchObject({ rejected: [] });
  return ids;
}

describe('DELETE /v1/profiles/{ref}', () => {
  it('refuses write keys (401), read keys (403) and other workspaces (404)', async () => {
    const ids = await seedPerson(ws, 'scope');
    const path = `/v1/profiles/user_id:${ids.userId}`;
    expect((await call(path, { method: 'DELETE', headers: { authorization: basic(ws.writeKey) } })).status).toBe(401);
    const asReader = await call(path, { method: 'DELETE', headers: bearer(readKey) });
    expect(asReader.status).toBe(403);
    expect(await asReader.json()).toMatchObject({ error: { code: 'forbidden' } });
    const asOther = await call(path, { method: 'DELETE', headers: bearer(other.secretKey) });
    expect(asOther.status).toBe(404);
    expect(await asOther.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await call(path, { headers: bearer(ws.secretKey) })).status).toBe(200);
  });

  it('erases the person from every table and leaves everyone else alone', async () => {
    // A segment with a webhook destination, so memberships, changes and deliveries exist too.
    await call('/v1/segments', { method: 'POST', headers: bearer(ws.secretKey), json: { key: 'pros', name: 'Pros', condition: { trait: 'plan', op: 'eq', value: 'pro' } } });
    await call('/v1/destinations', { method: 'POST', headers: bearer(ws.secretKey), json: { url: 'https://hooks.example/satu', secret: 'a-very-secret-signing-key' } });
    const ana = await seedPerson(ws, 'ana');
    const bob = await seedPerson(ws, 'bob');
    const twin = await seedPerson(other, 'ana'); // the same ids in another workspace
    await call('/v1/segments/evaluate', { method: 'POST', headers: bearer(ws.secretKey), json: {} });
    const anaProfiles = await profileTree(`user_id:${ana.userId}`);
    expect(anaProfiles.length).toBeGreaterThanOrEqual(2);
    const needles = [ana.userId, ana.anon1, ana.anon2, ana.email, 'sku-ana', 'name ana', ...anaProfiles].map((s) => s.toLowerCase());
    const before = (await allRows()).filter((r) => needles.some((n) => r.text.includes(n)) && !r.text.includes(other.id.toLowerCase()));
    const tablesBefore = new Set(before.map((r) => r.table));
    // Segment tables are checked once segments exist in this schema.
    const schema = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
    const present = new Set(schema.results.map((r) => r.name));
    for (const t of ['events', 'identities', 'profiles', 'merge_log', 'segment_members', 'segment_changes', 'webhook_deliveries']) {
      if (present.has(t) || !t.startsWith('segment') && t !== 'webhook_deliveries') expect(tablesBefore, t).toContain(t);
    }
    expect(before.length).toBeGreaterThan(5);

    const res = await call(`/v1/profiles/email:${ana.email.toUpperCase()}`, { method: 'DELETE', headers: bearer(ws.secretKey) });
    expect(res.status).toBe(200);
    const body = await res.json<{ deleted: boolean; profileId: string; rowCounts: Record<string, number>; suppressed: string[] }>();
    expect(body).toMatchObject({ deleted: true, suppressed: [] });
    expect(body.rowCounts.events).toBe(5);
    expect(body.rowCounts.profiles).toBe(anaProfiles.length);

    // No row anywhere in this workspace mentions Ana any more.
    const left = (await allRows()).filter((r) => needles.some((n) => r.text.includes(n)) && !r.text.includes(other.id.toLowerCase()));
    expect(left).toEqual([]);
    // Bob and the other workspace's Ana are untouched.
    expect((await call(`/v1/profiles/user_id:${bob.userId}`, { headers: bearer(ws.secretKey) })).status).toBe(200);
    expect((await call(`/v1/profiles/user_id:${twin.userId}`, { headers: bearer(other.secretKey) })).status).toBe(200);
    const bobEvents = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id LIKE 'bob-%'").first('n');
    expect(bobEvents).toBe(5);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM events WHERE workspace_id = ?').bind(other.id).first('n')).toBe(5);
    // And the profile is gone from the API.
    expect((await call(`/v1/profiles/user_id:${ana.userId}`, { headers: bearer(ws.secretKey) })).status).toBe(404);
    expect((await call(`/v1/profiles/user_id:${ana.userId}`, { method: 'DELETE', headers: bearer(ws.secretKey) })).status).toBe(404);
  });

  it('logs deletions without the personal data', async () => {
    const eve = await seedPerson(ws, 'eve');
    await call(`/v1/profiles/user_id:${eve.userId}`, { method: 'DELETE', headers: bearer(ws.secretKey) });
    const res = await call('/v1/privacy/log', { headers: bearer(readKey) });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const value of Object.values(eve)) expect(text).not.toContain(value);
    const { entries } = JSON.parse(text) as { entries: { action: string; keyId: string; ids: { type: string; hash: string }[]; rowCounts: Record<string, number>; createdAt: string }[] };
    const entry = entries[0];
    expect(entry.action).toBe('delete');
    expect(entry.keyId).toMatch(/^key_/);
    // The alias names its previousId under both types (README, Identity): five identifiers.
    expect(entry.ids.map((i) => i.type).sort()).toEqual(['anonymous_id', 'anonymous_id', 'email', 'user_id', 'user_id']);
    expect(entry.ids.every((i) => /^[0-9a-f]{64}$/.test(i.hash))).toBe(true);
    expect(entry.rowCounts.events).toBe(5);
    expect(Date.now() - Date.parse(entry.createdAt)).toBeLessThan(60_000);
    // The operator's view of which key did it matches a real key of the workspace.
    const keys = await call('/v1/keys', { headers: bearer(ws.secretKey) });
    expect((await keys.json<{ keys: { id: string }[] }>()).keys.map((k) => k.id)).toContain(entry.keyId);
  });
});

describe('suppression', () => {
  it('keeps a deleted person out until lifted, counting what it discards', async () => {
    const carl = await seedPerson(ws, 'carl');
    const res = await call(`/v1/profiles/user_id:${carl.userId}?suppress=true`, { method: 'DELETE', headers: bearer(ws.secretKey) });
    expect(await res.json()).toMatchObject({ deleted: true, suppressed: expect.arrayContaining(['user_id', 'email', 'anonymous_id']) });
    const statsBefore = await (await call('/v1/privacy/stats', { headers: bearer(ws.secretKey) })).json<{ suppressedDiscarded: number }>();

    // Any one of the person's ids keeps the event out; accepted, so senders do not retry.
    const comeback = [
      { type: 'track', userId: carl.userId, event: 'Back', messageId: 'carl-back-1' },
      { type: 'page', anonymousId: carl.anon2, name: 'Home', messageId: 'carl-back-2' },
      { type: 'identify', userId: 'uid-carl-new', traits: { email: carl.email.toUpperCase() }, messageId: 'carl-back-3' },
      { type: 'track', userId: 'uid-dave-q7', event: 'Unrelated', messageId: 'dave-1' },
    ];
    const sent = await sendBatch(ws.writeKey, comeback);
    expect(await sent.json()).toEqual({ ok: true, accepted: 4, rejected: [] });
    const stored = await env.DB.prepare("SELECT message_id FROM events WHERE message_id IN ('carl-back-1','carl-back-2','carl-back-3','dave-1')").all();
    expect(stored.results).toEqual([{ message_id: 'dave-1' }]);
    expect((await call(`/v1/profiles/user_id:${carl.userId}`, { headers: bearer(ws.secretKey) })).status).toBe(404);
    const stats = await (await call('/v1/privacy/stats', { headers: bearer(ws.secretKey) })).json<{ suppressedDiscarded: number; suppressions: number }>();
    expect(stats.suppressedDiscarded - statsBefore.suppressedDiscarded).toBe(3);
    expect(stats.suppressions).toBeGreaterThanOrEqual(4);
    // Suppression is per workspace: the same ids elsewhere are stored.
    await sendBatch(other.writeKey, [{ type: 'track', userId: carl.userId, event: 'Elsewhere', messageId: 'carl-elsewhere' }]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'carl-elsewhere'").first('n')).toBe(1);

    // Lifting needs admin; a read key is refused; an unknown id is 404.
    expect((await call(`/v1/suppressions/email:${carl.email}/lift`, { method: 'POST', headers: bearer(readKey) })).status).toBe(403);
    expect((await call('/v1/suppressions/email:nobody@example.com/lift', { method: 'POST', headers: bearer(ws.secretKey) })).status).toBe(404);
    const lift = await call(`/v1/suppressions/email:${carl.email.toUpperCase()}/lift`, { method: 'POST', headers: bearer(ws.secretKey) });
    expect(lift.status).toBe(200);
    expect(await lift.json()).toMatchObject({ lifted: 5 });
    await sendBatch(ws.writeKey, [{ type: 'track', userId: carl.userId, event: 'Back', messageId: 'carl-back-4' }]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'carl-back-4'").first('n')).toBe(1);
    const log = await (await call('/v1/privacy/log', { headers: bearer(ws.secretKey) })).json<{ entries: { action: string }[] }>();
    expect(log.entries[0].action).toBe('lift');
  });

  it.each(['maybe', '1', ''])('refuses suppress=%s', async (value) => {
    const res = await call(`/v1/profiles/user_id:nobody?suppress=${value}`, { method: 'DELETE', headers: bearer(ws.secretKey) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'suppress' } });
  });
});

describe('GET /v1/profiles/{ref}/export', () => {
  it('returns the whole person as one JSON document, every event included', async () => {
    const many = Array.from({ length: 620 }, (_, i) => ({ type: 'track', userId: 'uid-fay-q7', event: 'Viewed', properties: { n: i }, messageId: `fay-x${i}` }));
    const consent = { type: 'track', userId: 'uid-fay-q7', event: 'Consented', messageId: 'fay-consent', context: { consent: { categoryPreferences: { Analytics: true, Advertising: false } } } };
    const fay = await seedPerson(ws, 'fay', [consent]);
    for (let i = 0; i < many.length; i += 200) await sendBatch(ws.writeKey, many.slice(i, i + 200));
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'uid-gus-q7', event: 'Not Fay', messageId: 'gus-1' }]);

    expect((await call(`/v1/profiles/user_id:${fay.userId}/export`, { headers: { authorization: basic(ws.writeKey) } })).status).toBe(401);
    expect((await call(`/v1/profiles/user_id:${fay.userId}/export`, { headers: bearer(other.secretKey) })).status).toBe(404);
    const res = await call(`/v1/profiles/email:${fay.email}/export`, { headers: bearer(readKey) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = await res.json<{
      profile: { id: string; traits: Record<string, unknown> };
      identities: { type: string; value: string }[];
      consent: Record<string, { granted: boolean }>;
      mergedProfileIds: string[];
      events: { messageId: string; type: string; properties: Record<string, unknown> | null }[];
    }>();
    expect(doc.profile.traits).toMatchObject({ email: fay.email, plan: 'pro' });
    expect(doc.identities).toEqual(
      expect.arrayContaining([
        { type: 'user_id', value: fay.userId },
        { type: 'email', value: fay.email },
        { type: 'anonymous_id', value: fay.anon1 },
        { type: 'anonymous_id', value: fay.anon2 },
      ]),
    );
    expect(doc.consent).toMatchObject({ Analytics: { granted: true }, Advertising: { granted: false } });
    expect(doc.mergedProfileIds.length).toBeGreaterThanOrEqual(1);
    const expected = ['fay-m1', 'fay-m2', 'fay-m3', 'fay-m4', 'fay-m5', 'fay-consent', ...many.map((m) => m.messageId)];
    expect(doc.events.map((e) => e.messageId).sort()).toEqual(expected.sort());
    expect(doc.events.find((e) => e.messageId === 'fay-x619')?.properties).toEqual({ n: 619 });
  });
});

describe('required consent', () => {
  it('stores only events whose consent grants the required category, counting the rest', async () => {
    const shop = await createWorkspace('Consent shop');
    const auth = bearer(shop.secretKey);
    expect((await call('/v1/settings', { method: 'PATCH', headers: auth, json: { requiredConsent: 'Analytics' } })).status).toBe(200);
    const granted = { consent: { categoryPreferences: { Analytics: true, Advertising: false } } };
    const res = await sendBatch(shop.writeKey, [
      { type: 'identify', userId: 'uid-hal', traits: { plan: 'pro' }, context: granted, messageId: 'c-1' },
      { type: 'track', userId: 'uid-hal', event: 'No consent object', messageId: 'c-2' },
      { type: 'track', userId: 'uid-hal', event: 'Other category only', context: { consent: { categoryPreferences: { Advertising: true } } }, messageId: 'c-3' },
      { type: 'track', userId: 'uid-hal', event: 'Withdrawn', context: { consent: { categoryPreferences: { Analytics: false } } }, messageId: 'c-4' },
      { type: 'track', userId: 'uid-hal', event: 'Granted', context: granted, messageId: 'c-5' },
    ]);
    expect(await res.json()).toEqual({ ok: true, accepted: 5, rejected: [] });
    const stored = await env.DB.prepare('SELECT message_id FROM events WHERE workspace_id = ? ORDER BY message_id').bind(shop.id).all();
    expect(stored.results.map((r) => r.message_id)).toEqual(['c-1', 'c-5']);
    const stats = await (await call('/v1/privacy/stats', { headers: auth })).json();
    expect(stats).toMatchObject({ consentDiscarded: 3, suppressedDiscarded: 0 });
    const profile = await (await call('/v1/profiles/user_id:uid-hal', { headers: auth })).json<{ consent: Record<string, { granted: boolean }> }>();
    expect(profile.consent).toMatchObject({ Analytics: { granted: true } });
    // Removing the requirement stores everything again.
    await call('/v1/settings', { method: 'PATCH', headers: auth, json: { requiredConsent: null } });
    await sendBatch(shop.writeKey, [{ type: 'track', userId: 'uid-hal', event: 'Free again', messageId: 'c-6' }]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'c-6'").first('n')).toBe(1);
  });
});

describe('foldConsent', () => {
  const at = (granted: boolean, updatedAt: number) => ({ granted, updatedAt });
  it.each([
    [{}, { Analytics: true }, 5, { Analytics: at(true, 5) }],
    [{ Analytics: at(true, 1) }, { Analytics: false }, 2, { Analytics: at(false, 2) }],
    [{ Analytics: at(true, 9) }, { Analytics: false }, 2, null],
    [{ Analytics: at(true, 2) }, { Analytics: true }, 2, null],
    [{ Analytics: at(true, 2) }, { Ads: false, Analytics: 'yes' }, 3, { Analytics: at(true, 2), Ads: at(false, 3) }],
    // One millisecond: a refusal wins, whichever arrives first.
    [{ Analytics: at(true, 2) }, { Analytics: false }, 2, { Analytics: at(false, 2) }],
    [{ Analytics: at(false, 2) }, { Analytics: true }, 2, null],
  ])('%j + %j at %i -> %j', (current, prefs, time, expected) => {
    expect(foldConsent(current, prefs, time)).toEqual(expected);
  });
});

describe('withdrawn consent', () => {
  it('reaches the profile even though the withdrawing event is not stored', async () => {
    const shop = await createWorkspace('Withdrawal shop');
    const auth = bearer(shop.secretKey);
    await call('/v1/settings', { method: 'PATCH', headers: auth, json: { requiredConsent: 'Analytics' } });
    const t0 = Date.now() - 60_000;
    const prefs = (Analytics: boolean) => ({ consent: { categoryPreferences: { Analytics } } });
    await sendBatch(shop.writeKey, [{ type: 'identify', userId: 'uid-ivy', traits: { plan: 'pro' }, context: prefs(true), timestamp: new Date(t0).toISOString(), messageId: 'w-1' }]);
    const withdraw = await sendBatch(shop.writeKey, [{ type: 'track', userId: 'uid-ivy', event: 'Opted Out', context: prefs(false), timestamp: new Date(t0 + 1000).toISOString(), messageId: 'w-2' }]);
    expect(await withdraw.json()).toMatchObject({ accepted: 1 });
    const profile = await (await call('/v1/profiles/user_id:uid-ivy', { headers: auth })).json<{ consent: Record<string, { granted: boolean }> }>();
    expect(profile.consent.Analytics).toMatchObject({ granted: false });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE message_id = 'w-2'").first('n')).toBe(0);
    // Someone unknown who refuses gets no profile at all.
    await sendBatch(shop.writeKey, [{ type: 'track', userId: 'uid-stranger', event: 'Refused', context: prefs(false), messageId: 'w-3' }]);
    expect((await call('/v1/profiles/user_id:uid-stranger', { headers: auth })).status).toBe(404);
  });
});
