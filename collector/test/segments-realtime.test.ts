import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifySatuSignature } from '../../examples/segment-webhooks/verify.mjs';
import { basic, call, createWorkspace, sendBatch, type TestWorkspace } from './helpers';
import { api, changesOf, DAY, membersOf } from './segment-fixtures';

// Real time through the real ingest API: identity resolution stores the batch, memberships of
// the people it touched change before the response, webhooks leave after it (waitUntil).
let ws: TestWorkspace;
const SECRET = 'whsec_realtime_0123456789';
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

interface Received {
  headers: Record<string, string>;
  body: string;
}
const received = async (): Promise<Received[]> => (await fetch('http://hooks.test/__received?path=/realtime/hook')).json<Received[]>();

/** Webhooks are sent after the response: poll the receiver until `n` arrived (or give up). */
async function waitForWebhooks(n: number): Promise<{ type: string; segment: { key: string }; profile: { id: string }; reason?: string; mergedInto?: string }[]> {
  for (let i = 0; i < 50; i++) {
    const hits = await received();
    if (hits.length >= n) {
      for (const h of hits) expect(verifySatuSignature(SECRET, h.body, h.headers['satu-signature'])).toBe(true);
      return hits.map((h) => JSON.parse(h.body));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${n} webhooks, got ${(await received()).length}`);
}

const segmentsOf = async (ref: string) =>
  ((await (await api(ws.secretKey, `/v1/profiles/${ref}/segments`)).json<any>()).data as { key: string }[]).map((s) => s.key);
const profileIdOf = async (ref: string) => (await (await api(ws.secretKey, `/v1/profiles/${ref}/segments`)).json<any>()).profileId as string;

beforeAll(async () => {
  ws = await createWorkspace('Real time');
  const segments = [
    ['pro', { trait: 'plan', op: 'eq', value: 'pro' }],
    ['cart_abandoners', { and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] }],
    ['spicy_lovers', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], count: { gte: 2 } }],
  ] as const;
  for (const [key, condition] of segments) {
    expect((await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key, name: key, condition } })).status).toBe(201);
  }
  const dest = await api(ws.secretKey, '/v1/destinations', { method: 'POST', json: { url: 'http://hooks.test/realtime/hook', secret: SECRET } });
  expect(dest.status).toBe(201);
});

describe('real-time membership on ingest', () => {
  it('enters segments as the batch that qualifies is stored', async () => {
    const res = await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'u-rina', traits: { plan: 'pro', firstName: 'Rina' }, messageId: 'rt-1' },
      { type: 'track', userId: 'u-rina', event: 'Product Added', properties: { sku: 'SAMBAL' }, timestamp: ago(DAY), messageId: 'rt-2' },
    ]);
    expect(res.status).toBe(200);
    expect(await segmentsOf('user_id:u-rina')).toEqual(['cart_abandoners', 'pro']);
    const hooks = await waitForWebhooks(2);
    expect(hooks.map((h) => `${h.type} ${h.segment.key}`).sort()).toEqual(['segment.entered cart_abandoners', 'segment.entered pro']);
  });

  it('counts events across batches and exits when an order arrives', async () => {
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'u-rina', event: 'Order Completed', properties: { category: 'spicy' }, timestamp: ago(10 * DAY), messageId: 'rt-3' }]);
    expect(await segmentsOf('user_id:u-rina')).toEqual(['cart_abandoners', 'pro']);
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'u-rina', event: 'Order Completed', properties: { category: 'spicy' }, messageId: 'rt-4' }]);
    expect(await segmentsOf('user_id:u-rina')).toEqual(['pro', 'spicy_lovers']);
    const hooks = await waitForWebhooks(4);
    expect(hooks.slice(2).map((h) => `${h.type} ${h.segment.key}`).sort()).toEqual(['segment.entered spicy_lovers', 'segment.exited cart_abandoners']);
  });

  it('a repeated batch (same messageIds) changes nothing and sends nothing', async () => {
    const before = (await changesOf(ws.id, 'spicy_lovers')).length;
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'u-rina', event: 'Order Completed', properties: { category: 'spicy' }, messageId: 'rt-4' }]);
    expect((await changesOf(ws.id, 'spicy_lovers')).length).toBe(before);
    await new Promise((r) => setTimeout(r, 200));
    expect(await received()).toHaveLength(4);
  });

  it('a merge takes the absorbed profile out of its segments and evaluates the survivor', async () => {
    // An anonymous visitor abandons a cart: a profile of its own, in cart_abandoners.
    await sendBatch(ws.writeKey, [{ type: 'track', anonymousId: 'anon-rina', event: 'Product Added', timestamp: ago(3 * DAY), messageId: 'rt-5' }]);
    const anonymous = await profileIdOf('anonymous_id:anon-rina');
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual([anonymous]);
    // Then logs in as Rina: the anonymous profile merges into hers.
    await sendBatch(ws.writeKey, [{ type: 'identify', anonymousId: 'anon-rina', userId: 'u-rina', messageId: 'rt-6' }]);
    const rina = await profileIdOf('user_id:u-rina');
    expect(await profileIdOf('anonymous_id:anon-rina')).toBe(rina);
    expect(rina).not.toBe(anonymous);
    const exits = (await changesOf(ws.id, 'cart_abandoners')).filter((c) => c.kind === 'exited' && c.reason === 'merged');
    expect(exits).toEqual([expect.objectContaining({ profile_id: anonymous, merged_into: rina })]);
    // Rina ordered today, so the merged person is not a cart abandoner; only canonical members remain.
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual([]);
    const { results } = await env.DB.prepare(
      'SELECT m.profile_id FROM segment_members m JOIN profiles p ON p.id = m.profile_id WHERE m.workspace_id = ?1 AND p.canonical_id <> p.id',
    )
      .bind(ws.id)
      .all();
    expect(results).toEqual([]);
    const hooks = await waitForWebhooks(6);
    expect(hooks.slice(4)).toEqual([
      expect.objectContaining({ type: 'segment.entered', segment: expect.objectContaining({ key: 'cart_abandoners' }), profile: expect.objectContaining({ id: anonymous }) }),
      expect.objectContaining({ type: 'segment.exited', reason: 'merged', mergedInto: rina, profile: expect.objectContaining({ id: anonymous }) }),
    ]);
  });

  it('an operator split gives the split-off profile its segments back', async () => {
    const rina = await profileIdOf('user_id:u-rina');
    const anonymous = (await changesOf(ws.id, 'cart_abandoners')).find((c) => c.reason === 'merged')!.profile_id;
    const res = await api(ws.secretKey, '/v1/profiles/user_id:u-rina/split', { method: 'POST', json: { profileId: anonymous } });
    expect(res.status).toBe(200);
    // Its own add-to-cart (3 days ago) and no order of its own: an abandoner again; Rina is not.
    expect(await membersOf(ws.id, 'cart_abandoners')).toEqual([anonymous]);
    expect(await segmentsOf('user_id:u-rina')).toEqual(['pro', 'spicy_lovers']);
    expect(await profileIdOf(anonymous)).toBe(anonymous);
    expect(rina).not.toBe(anonymous);
  });

  it('a force-merge takes the absorbed profile out of its segments', async () => {
    await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'u-old', traits: { plan: 'pro' }, messageId: 'rt-fm-1' }]);
    const old = await profileIdOf('user_id:u-old');
    expect(await segmentsOf('user_id:u-old')).toEqual(['pro']);
    const res = await api(ws.secretKey, '/v1/profiles/user_id:u-rina/merge', { method: 'POST', json: { from: 'user_id:u-old' } });
    expect(res.status).toBe(200);
    expect(await membersOf(ws.id, 'pro')).not.toContain(old);
    expect((await changesOf(ws.id, 'pro')).at(-1)).toMatchObject({ profile_id: old, kind: 'exited', reason: 'merged', merged_into: await profileIdOf('user_id:u-rina') });
  });

  it('updates memberships for imported rows too', async () => {
    const ndjson = [{ type: 'identify', userId: 'u-import', traits: { plan: 'pro' }, messageId: 'rt-imp-1' }].map((m) => JSON.stringify(m)).join('\n');
    const res = await call('/v1/import?format=ndjson', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, body: ndjson });
    expect(res.status).toBe(200);
    expect(await segmentsOf('user_id:u-import')).toEqual(['pro']);
  });

  it('evaluates everyone of a multi-chunk import once it is stored', async () => {
    const before = (await membersOf(ws.id, 'pro')).length;
    const ndjson = Array.from({ length: 300 }, (_, i) => JSON.stringify({ type: 'identify', userId: `u-bulk-${i}`, traits: { plan: 'pro' }, messageId: `rt-bulk-${i}` })).join('\n');
    const res = await call('/v1/import?format=ndjson', { method: 'POST', headers: { authorization: basic(ws.writeKey) }, body: ndjson });
    expect(await res.json<any>()).toMatchObject({ accepted: 300 });
    expect((await membersOf(ws.id, 'pro')).length).toBe(before + 300);
  });
});
