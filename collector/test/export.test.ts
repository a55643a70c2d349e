import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeArchiveBatch } from '../src/archive/objects';
import type { StoredEvent } from '../src/ingest/normalise';
import { basic, callRaw, createWorkspace, sendBatch, type TestWorkspace } from './helpers';

// GET /v1/events/export streams every accepted event of the workspace from the R2 archive, once.

let ws: TestWorkspace;
let other: TestWorkspace;
beforeAll(async () => {
  [ws, other] = [await createWorkspace('export'), await createWorkspace('other')];
});

const exportRes = (query = '', key = ws.secretKey) => callRaw(`/v1/events/export${query}`, { headers: { authorization: `Bearer ${key}` } });
async function exported(query = '', key = ws.secretKey): Promise<Record<string, any>[]> {
  const res = await exportRes(query, key);
  expect(res.status).toBe(200);
  const text = new TextDecoder().decode(await res.arrayBuffer());
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const synthetic = (id: string, receivedAt: number): StoredEvent => ({
  messageId: id, type: 'track', event: 'Synthetic', name: null, anonymousId: `anon-${id}`, userId: null, groupId: null, previousId: null,
  timestamp: receivedAt - 5, receivedAt, sentAt: null, originalTimestamp: null, properties: { n: 1 }, traits: null, context: {}, integrations: null,
});

describe('event export', () => {
  it('streams every accepted event of the workspace once as Segment-spec NDJSON', async () => {
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'ex-1', anonymousId: 'ex-anon', traits: { email: 'ex@x.io' }, messageId: 'ex-a' },
      { type: 'track', userId: 'ex-1', event: 'Order Completed', properties: { revenue: 12 }, context: { page: { path: '/buy' } }, messageId: 'ex-b' },
      { type: 'page', anonymousId: 'ex-anon', name: 'Home', messageId: 'ex-c' },
      { type: 'track', userId: 'ex-1', event: 'Order Completed', messageId: 'ex-b' }, // a duplicate in the same batch
    ]);
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'ex-1', event: 'Order Completed', messageId: 'ex-b' }]); // resent later
    await sendBatch(other.writeKey, [{ type: 'track', userId: 'not-ours', event: 'Secret', messageId: 'other-a' }]);

    const res = await exportRes();
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await exported()).filter((l) => l.messageId.startsWith('ex-'));
    expect(lines.map((l) => l.messageId).sort()).toEqual(['ex-a', 'ex-b', 'ex-c']);
    const track = lines.find((l) => l.messageId === 'ex-b')!;
    expect(track).toMatchObject({ type: 'track', userId: 'ex-1', event: 'Order Completed', properties: { revenue: 12 }, context: { page: { path: '/buy' } } });
    expect(Date.parse(track.timestamp)).not.toBeNaN();
    expect(Date.parse(track.receivedAt)).not.toBeNaN();
    expect(lines.find((l) => l.messageId === 'ex-a')).toMatchObject({ type: 'identify', userId: 'ex-1', anonymousId: 'ex-anon', traits: { email: 'ex@x.io' } });
    expect(lines.find((l) => l.messageId === 'ex-c')).toMatchObject({ type: 'page', name: 'Home' });
    expect((await exported()).some((l) => l.messageId === 'other-a')).toBe(false);
    expect((await exported('', other.secretKey)).map((l) => l.messageId)).toEqual(['other-a']);
  });

  it('gives write keys and missing keys nothing', async () => {
    expect((await callRaw('/v1/events/export', { headers: { authorization: basic(ws.writeKey) } })).status).toBe(401);
    expect((await exportRes('', ws.writeKey)).status).toBe(401);
    expect((await callRaw('/v1/events/export')).status).toBe(401);
  });

  it.each([
    ['?from=yesterday', 'from'],
    ['?to=12/01/2026', 'to'],
    ['?from=2026-12-02&to=2026-12-01', 'to'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const res = await exportRes(query);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_field', field } });
  });

  it('keeps receivedAt in [from, to), across objects and hours, whole objects and parts of them', async () => {
    const ranged = await createWorkspace('ranged');
    const h = Date.UTC(2025, 2, 3, 10);
    const events = [
      synthetic('r-0', h - 1), // hour 09
      synthetic('r-1', h), // hour 10, exactly `from`
      synthetic('r-2', h + 1_800_000),
      synthetic('r-3', h + 3_600_000 - 1),
      synthetic('r-4', h + 3_600_000), // hour 11, exactly `to`
      synthetic('r-5', h + 7_200_000), // hour 12
    ];
    // Three batches, as the inbox would write them: some objects fall wholly in the range, some partly.
    await writeArchiveBatch(env.ARCHIVE, ranged.id, events.slice(0, 2), () => 'b1');
    await writeArchiveBatch(env.ARCHIVE, ranged.id, events.slice(2, 4), () => 'b2');
    await writeArchiveBatch(env.ARCHIVE, ranged.id, events.slice(4), () => 'b3');
    const ids = async (q: string) => (await exported(q, ranged.secretKey)).map((l) => l.messageId);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await ids('')).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5']);
    expect(await ids(`?from=${iso(h)}&to=${iso(h + 3_600_000)}`)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(await ids(`?from=${iso(h + 1)}`)).toEqual(['r-2', 'r-3', 'r-4', 'r-5']);
    expect(await ids(`?to=${iso(h + 1_800_000)}`)).toEqual(['r-0', 'r-1']);
    expect(await ids(`?from=${iso(h + 8_000_000)}`)).toEqual([]);
  });

  it('streams a history of many objects, each event once', async () => {
    const big = await createWorkspace('big');
    const start = Date.UTC(2025, 0, 1);
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 500 }, (_, i) => synthetic(`big-${b}-${i}`, start + (b * 500 + i) * 60_000));
      await writeArchiveBatch(env.ARCHIVE, big.id, batch, (first) => `${String(b).padStart(4, '0')}-${first.messageId}`);
    }
    const lines = await exported('', big.secretKey);
    expect(lines.length).toBe(10_000);
    expect(new Set(lines.map((l) => l.messageId)).size).toBe(10_000);
    // Hour by hour, in arrival order.
    const times = lines.map((l) => Date.parse(l.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
