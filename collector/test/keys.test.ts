import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveKey } from '../src/auth/resolve';
import { ADMIN_TOKEN, basic, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const operator = bearer(ADMIN_TOKEN);

let ws: TestWorkspace;
let other: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Keys shop');
  other = await createWorkspace('Other keys shop');
});

async function newKey(workspace: TestWorkspace, body: unknown) {
  const res = await call('/v1/keys', { method: 'POST', headers: bearer(workspace.secretKey), json: body });
  expect(res.status).toBe(201);
  return res.json<{ id: string; key: string; kind: string; scopes: string[]; maskedKey: string }>();
}

describe('creating and listing keys', () => {
  it('creates a read-only secret key whose plaintext is shown once and stored hashed', async () => {
    const created = await newKey(ws, { kind: 'secret', scopes: ['read'] });
    expect(created.key).toMatch(/^sk_[0-9A-Za-z]{40}$/);
    expect(created).toMatchObject({ kind: 'secret', scopes: ['read'], active: true, revokedAt: null });
    expect(created.maskedKey).toBe(`${created.key.slice(0, 7)}••••••••`);
    const row = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(created.id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists keys masked, never with the plaintext or the hash', async () => {
    const created = await newKey(ws, { kind: 'write' });
    const res = await call('/v1/keys', { headers: bearer(ws.secretKey) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(ws.secretKey);
    expect(text).not.toContain(ws.writeKey);
    expect(text).not.toContain('hash');
    const { keys } = JSON.parse(text) as { keys: { id: string; kind: string; maskedKey: string }[] };
    expect(keys.map((k) => k.id)).toContain(created.id);
    expect(keys.every((k) => k.maskedKey.endsWith('••••••••'))).toBe(true);
  });

  it.each([
    [{ kind: 'root' }, 'kind'],
    [{ kind: 'secret', scopes: ['read', 'delete-everything'] }, 'scopes'],
    [{ kind: 'secret', scopes: [] }, 'scopes'],
    [{ kind: 'write', scopes: ['admin'] }, 'scopes'],
  ])('refuses %j naming the field', async (body, field) => {
    const res = await call('/v1/keys', { method: 'POST', headers: bearer(ws.secretKey), json: body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field } });
  });

  it('lets the operator manage any workspace through ADMIN_TOKEN', async () => {
    const res = await call(`/v1/admin/workspaces/${other.id}/keys`, { method: 'POST', headers: operator, json: { kind: 'secret', scopes: ['read', 'admin'] } });
    expect(res.status).toBe(201);
    const created = await res.json<{ id: string; key: string }>();
    const list = await call(`/v1/admin/workspaces/${other.id}/keys`, { headers: operator });
    expect((await list.json<{ keys: { id: string }[] }>()).keys.map((k) => k.id)).toContain(created.id);
    const unknown = await call('/v1/admin/workspaces/ws_nope/keys', { headers: operator });
    expect(unknown.status).toBe(404);
    const noToken = await call(`/v1/admin/workspaces/${other.id}/keys`, { headers: bearer(other.secretKey) });
    expect(noToken.status).toBe(401);
  });
});

describe('revoking and rotating', () => {
  it('revokes a write key: it stops working at once in this isolate', async () => {
    const created = await newKey(ws, { kind: 'write' });
    const event = { type: 'track', event: 'Before revoke', userId: 'u-rev' };
    expect((await sendBatch(created.key, [event])).status).toBe(200); // now cached
    const res = await call(`/v1/keys/${created.id}/revoke`, { method: 'POST', headers: bearer(ws.secretKey) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: created.id, active: false });
    const after = await sendBatch(created.key, [event]);
    expect(after.status).toBe(401);
    // Revoking again is harmless and keeps the first revocation time.
    const again = await call(`/v1/keys/${created.id}/revoke`, { method: 'POST', headers: bearer(ws.secretKey) });
    expect(again.status).toBe(200);
  });

  it('rotates a secret key: the new one works, the old one is refused', async () => {
    const old = await newKey(ws, { kind: 'secret', scopes: ['read'] });
    expect((await call('/v1/settings', { headers: bearer(old.key) })).status).toBe(200);
    const res = await call(`/v1/keys/${old.id}/rotate`, { method: 'POST', headers: bearer(ws.secretKey) });
    expect(res.status).toBe(201);
    const rotated = await res.json<{ id: string; key: string; scopes: string[]; replaced: { id: string; active: boolean } }>();
    expect(rotated.scopes).toEqual(['read']);
    expect(rotated.replaced).toMatchObject({ id: old.id, active: false });
    expect((await call('/v1/settings', { headers: bearer(rotated.key) })).status).toBe(200);
    expect((await call('/v1/settings', { headers: bearer(old.key) })).status).toBe(401);
    const twice = await call(`/v1/keys/${old.id}/rotate`, { method: 'POST', headers: bearer(ws.secretKey) });
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ error: { code: 'key_revoked' } });
  });

  it('rotates a write key with a grace period: the old key works until it ends', async () => {
    const old = await newKey(ws, { kind: 'write' });
    const res = await call(`/v1/keys/${old.id}/rotate`, { method: 'POST', headers: bearer(ws.secretKey), json: { graceSeconds: 3600 } });
    expect(res.status).toBe(201);
    const rotated = await res.json<{ key: string; replaced: { active: boolean; revokedAt: string } }>();
    expect(rotated.replaced.active).toBe(true);
    const end = Date.parse(rotated.replaced.revokedAt);
    expect(end - Date.now()).toBeGreaterThan(3590_000);
    expect((await sendBatch(old.key, [{ type: 'track', event: 'Grace', userId: 'g' }])).status).toBe(200);
    expect((await sendBatch(rotated.key, [{ type: 'track', event: 'Grace', userId: 'g' }])).status).toBe(200);
    // Once the grace period is over the old key resolves to nothing, even from the cache.
    expect(await resolveKey(env.DB, old.key, end - 1)).not.toBeNull();
    expect(await resolveKey(env.DB, old.key, end + 1)).toBeNull();
  });

  it.each([{ graceSeconds: -1 }, { graceSeconds: 1.5 }, { graceSeconds: '60' }, { graceSeconds: 8 * 86400 }])(
    'refuses rotate body %j',
    async (body) => {
      const old = await newKey(ws, { kind: 'write' });
      const res = await call(`/v1/keys/${old.id}/rotate`, { method: 'POST', headers: bearer(ws.secretKey), json: body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field: 'graceSeconds' } });
    },
  );
});

describe('scopes and tenants', () => {
  it('answers 401 to a write key on every secret-key route', async () => {
    for (const [path, method] of [['/v1/keys', 'GET'], ['/v1/keys', 'POST'], ['/v1/settings', 'GET'], ['/v1/settings', 'PATCH']]) {
      for (const authorization of [`Bearer ${ws.writeKey}`, basic(ws.writeKey)]) {
        const res = await call(path, { method, headers: { authorization }, json: method === 'GET' ? undefined : {} });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      }
    }
  });

  it('lets a read key read but not manage (403)', async () => {
    const reader = await newKey(ws, { kind: 'secret', scopes: ['read'] });
    expect((await call('/v1/settings', { headers: bearer(reader.key) })).status).toBe(200);
    for (const [path, method, json] of [
      ['/v1/keys', 'GET', undefined],
      ['/v1/keys', 'POST', { kind: 'write' }],
      [`/v1/keys/${reader.id}/revoke`, 'POST', undefined],
      [`/v1/keys/${reader.id}/rotate`, 'POST', undefined],
      ['/v1/settings', 'PATCH', { ipPolicy: 'keep' }],
    ] as const) {
      const res = await call(path, { method, headers: bearer(reader.key), json });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
  });

  it("answers 404 for another workspace's key ids, and leaves them alone", async () => {
    const theirs = await call(`/v1/admin/workspaces/${other.id}/keys`, { method: 'POST', headers: operator, json: { kind: 'write' } });
    const { id, key } = await theirs.json<{ id: string; key: string }>();
    for (const action of ['revoke', 'rotate']) {
      const res = await call(`/v1/keys/${id}/${action}`, { method: 'POST', headers: bearer(ws.secretKey) });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const listed = await call('/v1/keys', { headers: bearer(ws.secretKey) });
    expect(await listed.text()).not.toContain(id);
    expect((await sendBatch(key, [{ type: 'track', event: 'Still mine', userId: 'o' }])).status).toBe(200);
  });
});
