import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

// Ingest is becoming asynchronous (resolved behind the acknowledgement): read by polling.
const POLL = { timeout: 10_000, interval: 50 };

describe('settings API', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace('Settings shop');
  });
  const auth = () => ({ authorization: `Bearer ${ws.secretKey}` });

  it('shows the defaults', async () => {
    const res = await call('/v1/settings', { headers: auth() });
    expect(await res.json()).toEqual({ ipPolicy: 'truncate', requiredConsent: null, defaultCountry: null, identity: { maxIdentifiers: 100, maxMerges: 50 }, predictions: { orderEvent: 'Order Completed' }, retention: { hotDays: 400 } });
  });

  it('changes the IP policy and ingestion follows at once (workspace cache forgotten)', async () => {
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'ip1', messageId: 'ip-before', context: { ip: '203.0.113.9' } }]);
    const res = await call('/v1/settings', { method: 'PATCH', headers: auth(), json: { ipPolicy: 'keep', defaultCountry: 'de' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ipPolicy: 'keep', requiredConsent: null, defaultCountry: 'DE', identity: { maxIdentifiers: 100, maxMerges: 50 }, predictions: { orderEvent: 'Order Completed' }, retention: { hotDays: 400 } });
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'ip1', messageId: 'ip-after', context: { ip: '203.0.113.9' } }]);
    const ips = () => env.DB.prepare("SELECT message_id, context->>'$.ip' AS ip FROM events WHERE message_id LIKE 'ip-%' ORDER BY message_id").all().then((r) => r.results);
    await expect.poll(ips, POLL).toEqual([
      { message_id: 'ip-after', ip: '203.0.113.9' },
      { message_id: 'ip-before', ip: '203.0.113.0' },
    ]);
  });

  it('lets the operator change any workspace, and nobody else another workspace', async () => {
    const res = await call(`/v1/admin/workspaces/${ws.id}/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      json: { requiredConsent: 'Analytics' },
    });
    expect(await res.json()).toMatchObject({ requiredConsent: 'Analytics' });
    const other = await createWorkspace('Nosy shop');
    const nosy = await call(`/v1/admin/workspaces/${ws.id}/settings`, { headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(nosy.status).toBe(401);
    // A secret key always acts on its own workspace: there is no way to name another one.
    const own = await call('/v1/settings', { headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(await own.json()).toMatchObject({ requiredConsent: null });
  });

  it('answers 400 in the envelope for a bad patch', async () => {
    const res = await call('/v1/settings', { method: 'PATCH', headers: auth(), json: { ipPolicy: 'sometimes' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'ipPolicy' } });
  });

  it.each([
    [{ identity: { maxMerges: '5' } }, 'identity.maxMerges'],
    [{ 'identity.maxMerges': 0 }, 'identity.maxMerges'],
    [{ identity: { maxIdentifier: 5 } }, 'identity.maxIdentifier'],
    [{ identity: 5 }, 'identity'],
    [{ defaultCountry: 'XX' }, 'defaultCountry'],
    [{ retention: 30 }, 'retention'],
  ])('answers %j with 400 naming %s, and changes nothing', async (patch, field) => {
    const before = await (await call('/v1/settings', { headers: auth() })).json();
    const res = await call('/v1/settings', { method: 'PATCH', headers: auth(), json: patch });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field } });
    expect(await (await call('/v1/settings', { headers: auth() })).json()).toEqual(before);
  });
});

describe('identity caps through the settings API', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace('Caps shop');
  });
  const auth = () => ({ authorization: `Bearer ${ws.secretKey}` });
  const patch = (json: unknown) => call('/v1/settings', { method: 'PATCH', headers: auth(), json });
  const get = async (path: string) => (await call(path, { headers: auth() })).json<Record<string, any>>();
  const profileId = async (ref: string) => (await get(`/v1/profiles/${encodeURIComponent(ref)}`)).id as string | undefined;
  const stats = () => get('/v1/identity/stats');

  it('a lower maxMerges refuses the next merge, and null brings the default back for the next message', async () => {
    const res = await patch({ 'identity.maxMerges': 1 });
    expect(await res.json()).toMatchObject({ identity: { maxIdentifiers: 100, maxMerges: 1 } });
    // Three visitors; the first two become one person through an email (one merge: at the cap).
    for (const [i, batch] of [
      [{ type: 'identify', anonymousId: 'cap-a', messageId: 'cap-1', traits: { email: 'rina@example.com' } }],
      [{ type: 'page', anonymousId: 'cap-b', messageId: 'cap-2' }],
      [{ type: 'page', anonymousId: 'cap-c', messageId: 'cap-3' }],
      [{ type: 'identify', anonymousId: 'cap-b', messageId: 'cap-4', traits: { email: 'rina@example.com' } }],
    ].entries()) {
      await sendBatch(ws.writeKey, batch);
      await expect.poll(() => stats().then((s) => s.profilesCreated + s.merges), POLL).toBe([1, 2, 3, 4][i]);
    }
    const rina = await profileId('email:rina@example.com');
    expect(await profileId('anonymous_id:cap-b')).toBe(rina);

    // A second merge would pass the cap of 1: refused and counted; the visitor stays apart.
    await sendBatch(ws.writeKey, [{ type: 'identify', anonymousId: 'cap-c', messageId: 'cap-5', traits: { email: 'rina@example.com' } }]);
    await expect.poll(() => stats().then((s) => s.mergeCap), POLL).toBe(1);
    expect(await profileId('anonymous_id:cap-c')).not.toBe(rina);

    expect(await (await patch({ identity: { maxMerges: null } })).json()).toMatchObject({ identity: { maxMerges: 50 } });
    await sendBatch(ws.writeKey, [{ type: 'identify', anonymousId: 'cap-c', messageId: 'cap-6', traits: { email: 'rina@example.com' } }]);
    await expect.poll(() => profileId('anonymous_id:cap-c'), POLL).toBe(rina);
    expect((await stats()).mergeCap).toBe(1);
  });

  it('a lower maxIdentifiers stops linking new identifiers from the next message on', async () => {
    expect((await patch({ identity: { maxIdentifiers: 2 } })).status).toBe(200);
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'dewi', anonymousId: 'dewi-phone', messageId: 'idc-1', traits: { email: 'dewi@example.com' } },
    ]);
    await expect.poll(() => stats().then((s) => s.identifierCap), POLL).toBe(1);
    const dewi = await get('/v1/profiles/user_id:dewi');
    expect(dewi.identities.map((i: { type: string }) => i.type).sort()).toEqual(['email', 'user_id']);

    expect((await patch({ 'identity.maxIdentifiers': 3 })).status).toBe(200);
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'dewi', anonymousId: 'dewi-phone', messageId: 'idc-2', event: 'Opened' }]);
    await expect.poll(() => profileId('anonymous_id:dewi-phone'), POLL).toBe(dewi.id);
    expect(await get('/v1/settings')).toMatchObject({ identity: { maxIdentifiers: 3, maxMerges: 50 } });
  });
});
