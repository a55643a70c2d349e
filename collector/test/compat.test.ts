// What Segment's and RudderStack's own libraries send, as their sources show it, through the
// compatibility routes: the shapes of analytics-next, analytics-swift/kotlin, RudderStack's
// JavaScript, Android and iOS SDKs. (The unmodified libraries themselves run in test/e2e/compat-*.)
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { basic, call, createWorkspace, settleInboxes, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Compat shop');
});

const now = () => new Date().toISOString();
const id = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

/**
 * Polls a read until `accept` holds: ingest resolves profiles behind its acknowledgement. Each round
 * runs the inboxes' resolver first (`call` does that only for our own ingest paths, not these).
 */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await settleInboxes();
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readProfile = async (ref: string) => {
  const res = await call(`/v1/profiles/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
  return res.status === 200 ? ((await res.json()) as { id: string; traits: Record<string, unknown>; identities: { type: string; value: string }[]; accounts: { groupId: string }[] }) : null;
};
type Profile = NonNullable<Awaited<ReturnType<typeof readProfile>>>;
const profileWith = async (ref: string, accept: (p: Profile) => boolean): Promise<Profile> => {
  const profile = await eventually(() => readProfile(ref), (p) => p !== null && accept(p));
  if (!profile) throw new Error(`no profile ${ref}`);
  return profile;
};

const storedCount = async (messageId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM events WHERE workspace_id = ? AND message_id = ?').bind(ws.id, messageId).first<{ n: number }>())!.n;

/** A message as analytics-next's normalize() leaves it (writeKey, _metadata, sentAt in each). */
const ajsMessage = (type: string, fields: Record<string, unknown>) => ({
  type,
  messageId: id('ajs-next'),
  timestamp: now(),
  context: { library: { name: 'analytics.js', version: 'npm:next-1.84.3' }, page: { path: '/', url: 'http://shop.test/' }, userAgent: 'Mozilla/5.0' },
  integrations: {},
  writeKey: ws.writeKey,
  sentAt: now(),
  _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
  ...fields,
});

// analytics-next sends text/plain so that no preflight is needed for the body, and the key in the body.
const postText = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: JSON.stringify(body) });

describe('Segment analytics.js short paths', () => {
  it.each([
    ['/v1/t', 'track', { event: 'Order Completed', properties: { total: 30 } }],
    ['/v1/p', 'page', { name: 'Home', properties: { path: '/' } }],
    ['/v1/s', 'screen', { name: 'Basket' }],
  ])('%s stores a %s once, keyed by the body writeKey', async (path, type, fields) => {
    const anon = id('anon');
    const message = ajsMessage(type, { anonymousId: anon, userId: null, ...fields });
    const res = await postText(path, message);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 1, rejected: [] });
    // A retry of the same message (X-Retry-Count) is accepted and not stored again.
    expect((await postText(path, message, { 'x-retry-count': '1' })).status).toBe(200);
    await profileWith(`anonymous_id:${anon}`, () => true);
    expect(await storedCount(message.messageId)).toBe(1);
  });

  it('/v1/i, /v1/g and /v1/a build the person and their account', async () => {
    const anon = id('anon');
    const user = id('user');
    expect((await postText('/v1/i', ajsMessage('identify', { anonymousId: anon, userId: user, traits: { email: 'ann@shop.test' } }))).status).toBe(200);
    expect((await postText('/v1/g', ajsMessage('group', { anonymousId: anon, userId: user, groupId: 'acme', traits: { name: 'Acme' } }))).status).toBe(200);
    // analytics-next's alias: previousId is the id the visitor had, userId the new one.
    const newUser = id('user');
    expect((await postText('/v1/a', ajsMessage('alias', { anonymousId: anon, userId: newUser, previousId: user }))).status).toBe(200);
    const profile = await profileWith(`user_id:${newUser}`, (p) => p.accounts.length > 0 && p.identities.some((i) => i.value === user));
    expect(profile.traits).toMatchObject({ email: 'ann@shop.test' });
    expect(profile.accounts.map((a) => a.groupId)).toEqual(['acme']);
    expect(profile.identities).toEqual(expect.arrayContaining([{ type: 'anonymous_id', value: anon }, { type: 'user_id', value: user }, { type: 'user_id', value: newUser }]));
  });

  it('answers a rejected message with 400 naming the field', async () => {
    const res = await postText('/v1/t', ajsMessage('track', { anonymousId: id('anon'), event: '' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'event' } });
  });

  it('takes the key as HTTP Basic too, and refuses a secret key or none', async () => {
    const { writeKey: _k, ...keyless } = ajsMessage('track', { anonymousId: id('anon'), event: 'Basic' });
    expect((await postText('/v1/t', keyless, { authorization: basic(ws.writeKey) })).status).toBe(200);
    expect((await postText('/v1/t', keyless)).status).toBe(401);
    expect((await postText('/v1/t', { ...keyless, writeKey: ws.secretKey })).status).toBe(401);
  });

  it('/v1/b takes analytics-next batches (key in body and as Basic) and stores each message once', async () => {
    const anon = id('anon');
    const batch = ['One', 'Two', 'Three'].map((n) => {
      const { sentAt: _s, ...m } = ajsMessage('track', { anonymousId: anon, event: `Batched ${n}` });
      return m;
    });
    const body = { writeKey: ws.writeKey, batch, sentAt: now() };
    for (let i = 0; i < 2; i++) {
      const res = await postText('/v1/b', body, { authorization: basic(ws.writeKey) });
      expect(await res.json()).toEqual({ ok: true, accepted: 3, rejected: [] });
    }
    await eventually(() => storedCount(batch[2]!.messageId), (n) => n === 1);
    for (const m of batch) expect(await storedCount(m.messageId)).toBe(1);
  });
});

describe('Segment settings', () => {
  it('points the library at this collector', async () => {
    const res = await call(`/v1/projects/${ws.writeKey}/settings`, { headers: { origin: 'http://shop.test' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const settings = (await res.json()) as { integrations: Record<string, Record<string, unknown>>; metrics: { sampleRate: number } };
    expect(settings.integrations['Segment.io']).toMatchObject({ apiKey: ws.writeKey, apiHost: 'collector.test/v1', protocol: 'http' });
    // Only Segment.io: more integrations would make analytics.js load device-mode destinations from Segment's CDN.
    expect(Object.keys(settings.integrations)).toEqual(['Segment.io']);
    expect(settings.metrics.sampleRate).toBe(0);
  });

  it.each([
    ['a secret key', () => ws.secretKey],
    ['an unknown key', () => 'wk_unknown'],
  ])('refuses %s', async (_label, key) => {
    const res = await call(`/v1/projects/${key()}/settings`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('CORS', () => {
  const preflight = (path: string, method: string, headers: string) =>
    call(path, {
      method: 'OPTIONS',
      headers: { origin: 'http://shop.test', 'access-control-request-method': method, 'access-control-request-headers': headers },
    });
  const allowed = (res: Response) => (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);

  it.each([
    ['analytics-next, retried', '/v1/t', 'POST', 'authorization,content-type,x-retry-count'],
    ['analytics-next batch', '/v1/b', 'POST', 'authorization,content-type'],
    ['RudderStack event', '/v1/track', 'POST', 'anonymousid,authorization,content-type,sentat'],
    ['RudderStack retry', '/v1/batch', 'POST', 'anonymousid,authorization,content-type,rsa-retry-attempt,rsa-retry-reason,rsa-since-first-attempt,rsa-since-last-attempt,rsa-recovered,sentat'],
    ['RudderStack source config', '/sourceConfig/', 'GET', 'authorization'],
    ['Segment settings', `/v1/projects/wk_x/settings`, 'GET', 'content-type'],
  ])('lets %s preflight', async (_label, path, method, headers) => {
    const res = await preflight(path, method, headers);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(allowed(res)).toEqual(expect.arrayContaining(headers.split(',')));
  });

  it.each(['/v1/profiles/user_id:x', '/v1/settings', '/v1/segments'])('stays closed on %s (secret-key routes)', async (path) => {
    const res = await preflight(path, 'GET', 'authorization');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Segment mobile libraries', () => {
  it('analytics-kotlin: a text/plain /v1/b batch with userId "" before identify, then identify', async () => {
    const anon = id('android-anon');
    const user = id('user');
    const context = { app: { name: 'Shop', version: '1.0' }, device: { id: 'd1', manufacturer: 'Google', model: 'Pixel' }, os: { name: 'Android', version: '14' }, library: { name: 'analytics-kotlin', version: '1.19.0' }, instanceId: 'i1' };
    const common = { integrations: {}, _metadata: { bundled: [], unbundled: [], bundledIds: [] }, context, timestamp: now() };
    // EventsFileManager ends each file with `],"sentAt":"...","writeKey":"..."}`.
    const body = {
      batch: [
        { ...common, type: 'screen', name: 'Home', properties: {}, anonymousId: anon, userId: '', messageId: id('kt') },
        { ...common, type: 'identify', traits: { email: 'kt@shop.test' }, anonymousId: anon, userId: user, messageId: id('kt') },
        { ...common, type: 'track', event: 'Added To Cart', properties: { sku: 'A1' }, anonymousId: anon, userId: user, messageId: id('kt') },
      ],
      sentAt: now(),
      writeKey: ws.writeKey,
    };
    const res = await postText('/v1/b', body, { authorization: basic(ws.writeKey), 'user-agent': 'analytics-kotlin/1.19.0' });
    expect(await res.json()).toEqual({ ok: true, accepted: 3, rejected: [] });
    const profile = await profileWith(`user_id:${user}`, (p) => p.identities.some((i) => i.value === anon));
    expect(profile.traits).toMatchObject({ email: 'kt@shop.test' });
    const screen = await eventually(
      () => env.DB.prepare('SELECT user_id FROM events WHERE message_id = ?').bind(body.batch[0]!.messageId).first<{ user_id: string | null }>(),
      (row) => row !== null,
    );
    expect(screen).toEqual({ user_id: null });
  });

  it('analytics-swift: an application/json /v1/b batch', async () => {
    const anon = id('ios-anon');
    const body = {
      batch: [{ type: 'track', event: 'Opened', anonymousId: anon, userId: null, messageId: id('swift'), timestamp: now(), integrations: {}, context: { library: { name: 'analytics-swift', version: '1.7.0' }, os: { name: 'iOS' } } }],
      sentAt: now(),
      writeKey: ws.writeKey,
    };
    const res = await call('/v1/b', { method: 'POST', headers: { authorization: basic(ws.writeKey), 'user-agent': 'analytics-ios/1.7.0' }, json: body });
    expect(await res.json()).toEqual({ ok: true, accepted: 1, rejected: [] });
    await profileWith(`anonymous_id:${anon}`, () => true);
  });
});

describe('RudderStack', () => {
  it.each([
    ['the browser SDK (key in the query and as Basic)', `/sourceConfig/?p=npm&v=3.34.1&build=modern&lockIntegrationsVersion=true&lockPluginsVersion=true&writeKey=KEY`, true],
    ['Android (Basic only, no trailing slash)', '/sourceConfig?p=android&v=1.25.1&bv=34', true],
    ['iOS', '/sourceConfig?p=ios&v=1.31.0', true],
  ])('serves the source configuration to %s', async (_label, path, withBasic) => {
    const res = await call(path.replace('KEY', ws.writeKey), { headers: withBasic ? { authorization: basic(ws.writeKey), origin: 'http://shop.test' } : {} });
    expect(res.status).toBe(200);
    const config = (await res.json()) as { source: { id: string; enabled: boolean; config: Record<string, unknown>; destinations: unknown[] } };
    expect(config.source).toMatchObject({ id: ws.id, enabled: true, destinations: [] });
    expect(config.source.config).toMatchObject({ statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } });
  });

  it.each([
    ['a secret key as Basic', () => ({ headers: { authorization: basic(ws.secretKey) } })],
    ['no key', () => ({})],
  ])('refuses the source configuration with %s', async (_label, init) => {
    expect((await call('/sourceConfig/?p=npm', init())).status).toBe(401);
  });

  /** A message as RudderStack's JavaScript SDK builds it (getEnrichedEvent). */
  const rsMessage = (type: string, anon: string, fields: Record<string, unknown>) => ({
    type,
    channel: 'web',
    messageId: id('rs'),
    originalTimestamp: now(),
    sentAt: now(),
    anonymousId: anon,
    userId: '',
    event: null,
    properties: null,
    integrations: { All: true },
    context: { library: { name: 'RudderLabs JavaScript SDK', version: '3.34.1' }, traits: {}, sessionId: 1, page: { path: '/' } },
    ...fields,
  });
  const rsHeaders = (anon: string) => ({ authorization: basic(ws.writeKey), anonymousid: btoa(anon), sentat: now() });

  it('JavaScript SDK: identify traits arrive in context.traits and land on the profile', async () => {
    const anon = id('rs-anon');
    const user = id('user');
    const identify = rsMessage('identify', anon, { userId: user, context: { library: { name: 'RudderLabs JavaScript SDK' }, traits: { email: 'rs@shop.test', plan: 'pro' } } });
    const res = await call('/v1/identify', { method: 'POST', headers: rsHeaders(anon), json: identify });
    expect(await res.json()).toEqual({ ok: true, accepted: 1, rejected: [] });
    const group = rsMessage('group', anon, { userId: user, groupId: 'rs-acme', traits: { name: 'RS Acme' } });
    expect((await call('/v1/group', { method: 'POST', headers: rsHeaders(anon), json: group })).status).toBe(200);
    const profile = await profileWith(`user_id:${user}`, (p) => p.accounts.length > 0);
    expect(profile.traits).toMatchObject({ email: 'rs@shop.test', plan: 'pro' });
    expect(profile.accounts.map((a) => a.groupId)).toEqual(['rs-acme']);
  });

  it('JavaScript SDK: the beacon route takes a text/plain {batch, sentAt} with ?writeKey=, once', async () => {
    const anon = id('rs-anon');
    const body = { batch: [rsMessage('page', anon, { name: 'Home', properties: { path: '/' } }), rsMessage('track', anon, { event: 'Beaconed' })], sentAt: now() };
    for (let i = 0; i < 2; i++) {
      const res = await postText(`/beacon/v1/batch?writeKey=${ws.writeKey}`, body);
      expect(await res.json()).toEqual({ ok: true, accepted: 2, rejected: [] });
    }
    await profileWith(`anonymous_id:${anon}`, () => true);
    for (const m of body.batch) expect(await eventually(() => storedCount(m.messageId), (n) => n === 1)).toBe(1);
    expect((await postText(`/beacon/v1/batch?writeKey=${ws.secretKey}`, body)).status).toBe(401);
  });

  it('Android: a /v1/batch whose identify carries the traits, and copies of the ids, in context.traits', async () => {
    const anon = id('rs-android');
    const user = id('user');
    const context = { app: { name: 'Shop' }, library: { name: 'com.rudderstack.android.sdk.core', version: '1.25.1' }, os: { name: 'Android' }, device: { id: 'd' } };
    const at = now();
    const body = {
      sentAt: at,
      batch: [
        { messageId: id('and'), channel: 'mobile', type: 'track', event: 'Launched', anonymousId: anon, originalTimestamp: at, sentAt: at, integrations: { All: true }, context: { ...context, traits: { anonymousId: anon } } },
        {
          messageId: id('and'),
          channel: 'mobile',
          type: 'identify',
          event: 'identify',
          userId: user,
          anonymousId: anon,
          originalTimestamp: at,
          sentAt: at,
          integrations: { All: true },
          context: { ...context, traits: { anonymousId: anon, id: user, userId: user, email: 'droid@shop.test', firstname: 'Ann' }, externalId: [] },
        },
      ],
    };
    const res = await call('/v1/batch', { method: 'POST', headers: { authorization: basic(ws.writeKey), anonymousid: btoa(anon) }, json: body });
    expect(await res.json()).toEqual({ ok: true, accepted: 2, rejected: [] });
    const profile = await profileWith(`user_id:${user}`, (p) => Object.keys(p.traits).length > 0);
    expect(profile.traits).toEqual(expect.objectContaining({ email: 'droid@shop.test', firstname: 'Ann' }));
    expect(profile.traits).not.toHaveProperty('anonymousId');
    expect(profile.identities).toEqual(expect.arrayContaining([{ type: 'anonymous_id', value: anon }, { type: 'email', value: 'droid@shop.test' }]));
  });
});
