import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { applySettingsPatch } from '../src/settings/settings-patch';
import { DEFAULT_SETTINGS } from '../src/store/workspaces';
import { ADMIN_TOKEN, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

describe('applySettingsPatch', () => {
  it.each([
    [{ ipPolicy: 'keep' }, { ipPolicy: 'keep' }],
    [{ ipPolicy: 'drop', requiredConsent: 'Analytics' }, { ipPolicy: 'drop', requiredConsent: 'Analytics' }],
    [{ defaultCountry: 'id' }, { ipPolicy: 'truncate', defaultCountry: 'ID' }],
    [{ requiredConsent: 'C0002 Performance' }, { ipPolicy: 'truncate', requiredConsent: 'C0002 Performance' }],
    [{}, { ipPolicy: 'truncate' }],
  ])('%j -> %j', (patch, expected) => {
    expect(applySettingsPatch({ ...DEFAULT_SETTINGS }, patch)).toEqual(expected);
  });

  it('removes optional settings with null', () => {
    const current = { ipPolicy: 'keep' as const, requiredConsent: 'Analytics', defaultCountry: 'ID' };
    expect(applySettingsPatch(current, { requiredConsent: null, defaultCountry: null })).toEqual({ ipPolicy: 'keep' });
  });

  it.each([
    [{ ipPolicy: 'hash' }, 'ipPolicy'],
    [{ ipPolicy: null }, 'ipPolicy'],
    [{ requiredConsent: '' }, 'requiredConsent'],
    [{ requiredConsent: 'x'.repeat(65) }, 'requiredConsent'],
    [{ requiredConsent: "Analytics'; DROP TABLE events;--" }, 'requiredConsent'],
    [{ requiredConsent: 7 }, 'requiredConsent'],
    [{ defaultCountry: 'IDN' }, 'defaultCountry'],
    [{ retention: 30 }, 'retention'],
    [{ __proto__: 1, constructor: 2 }, 'constructor'],
  ])('refuses %j naming %s', (patch, field) => {
    expect(() => applySettingsPatch({ ...DEFAULT_SETTINGS }, patch)).toThrowError(expect.objectContaining({ status: 400, field }));
  });
});

describe('settings API', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace('Settings shop');
  });
  const auth = () => ({ authorization: `Bearer ${ws.secretKey}` });

  it('shows the defaults', async () => {
    const res = await call('/v1/settings', { headers: auth() });
    expect(await res.json()).toEqual({ ipPolicy: 'truncate', requiredConsent: null, defaultCountry: null });
  });

  it('changes the IP policy and ingestion follows at once (workspace cache forgotten)', async () => {
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'ip1', messageId: 'ip-before', context: { ip: '203.0.113.9' } }]);
    const res = await call('/v1/settings', { method: 'PATCH', headers: auth(), json: { ipPolicy: 'keep', defaultCountry: 'de' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ipPolicy: 'keep', requiredConsent: null, defaultCountry: 'DE' });
    await sendBatch(ws.writeKey, [{ type: 'page', anonymousId: 'ip1', messageId: 'ip-after', context: { ip: '203.0.113.9' } }]);
    const ips = await env.DB.prepare("SELECT message_id, context->>'$.ip' AS ip FROM events WHERE message_id LIKE 'ip-%' ORDER BY message_id").all();
    expect(ips.results).toEqual([
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
});
