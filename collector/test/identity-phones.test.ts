import { beforeAll, describe, expect, it } from 'vitest';
import { call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

// Ingest is becoming asynchronous (resolved behind the acknowledgement): read by polling.
const POLL = { timeout: 10_000, interval: 50 };

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Toko Sari');
  const res = await call('/v1/settings', { method: 'PATCH', headers: { authorization: `Bearer ${ws.secretKey}` }, json: { defaultCountry: 'ID' } });
  expect(res.status).toBe(200);
});

const get = async (path: string) => {
  const res = await call(path, { headers: { authorization: `Bearer ${ws.secretKey}` } });
  return { status: res.status, body: await res.json<Record<string, any>>() };
};
const profileIdOf = async (ref: string) => (await get(`/v1/profiles/${encodeURIComponent(ref)}`)).body.id as string | undefined;

describe('phone numbers as Indonesians type them, in a workspace whose defaultCountry is ID', () => {
  it('joins every written form of one number into one profile with one E.164 identifier', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', anonymousId: 'hp-web', messageId: 'hp-1', traits: { phone: '0812-3456-7890', name: 'Sari' } },
      { type: 'track', anonymousId: 'hp-app', messageId: 'hp-2', event: 'Opened', context: { traits: { phone: '+62 (0)812 3456 7890' } } },
      { type: 'identify', anonymousId: 'hp-wa', messageId: 'hp-3', traits: { phone: '62812.3456.7890' } },
    ]);
    await expect.poll(() => profileIdOf('anonymous_id:hp-wa'), POLL).toBeDefined();
    const sari = await get('/v1/profiles/phone:+6281234567890');
    expect(sari.status).toBe(200);
    expect(sari.body.identities.filter((i: { type: string }) => i.type === 'phone')).toEqual([{ type: 'phone', value: '+6281234567890' }]);
    for (const ref of ['anonymous_id:hp-web', 'anonymous_id:hp-app', 'anonymous_id:hp-wa']) expect(await profileIdOf(ref)).toBe(sari.body.id);
  });

  it.each(['phone:0812 3456 7890', 'phone:(0812) 3456-7890', 'phone:62812-3456-7890', 'phone:+62 (0)812.3456.7890', 'phone:0062 812 3456 7890'])(
    'finds the profile and its export by %j (the same function as ingest)',
    async (ref) => {
      const id = await profileIdOf('phone:+6281234567890');
      expect(await profileIdOf(ref)).toBe(id);
      const exported = await call(`/v1/profiles/${encodeURIComponent(ref)}/export`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
      expect(exported.status).toBe(200);
    },
  );

  it('never makes an identifier of an invalid or too short number, and counts it', async () => {
    const before = (await get('/v1/identity/stats')).body.invalidIds as number;
    await sendBatch(ws.writeKey, [
      { type: 'identify', anonymousId: 'hp-short', messageId: 'hp-4', traits: { phone: '0812 345' } },
      { type: 'identify', anonymousId: 'hp-range', messageId: 'hp-5', traits: { phone: '+62 999 9999 9999' } },
    ]);
    await expect.poll(async () => (await get('/v1/identity/stats')).body.invalidIds, POLL).toBe(before + 2);
    const short = await get('/v1/profiles/anonymous_id:hp-short');
    expect(short.body.identities).toEqual([{ type: 'anonymous_id', value: 'hp-short' }]);
    expect(short.body.traits).toEqual({ phone: '0812 345' }); // the trait is kept as typed
    expect((await get(`/v1/profiles/${encodeURIComponent('phone:0812 345')}`)).status).toBe(400);
  });

  it('reads phones of imported CSV contacts the same way', async () => {
    const csv = 'email,phone,name\nbudi@example.com,(0813) 1111-2222,Budi\n';
    const res = await call('/v1/import', { method: 'POST', headers: { authorization: `Basic ${btoa(`${ws.writeKey}:`)}`, 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(200);
    await expect.poll(() => profileIdOf('email:budi@example.com'), POLL).toBeDefined();
    expect(await profileIdOf('phone:+62 813 1111 2222')).toBe(await profileIdOf('email:budi@example.com'));
  });
});
