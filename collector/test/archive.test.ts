import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listArchive, readObject, writeArchiveBatch } from '../src/archive/objects';
import type { ArchiveLine } from '../src/archive/line';
import type { StoredEvent } from '../src/ingest/normalise';
import type { IngestInbox } from '../src/resolver/inbox';
import { inboxOf } from '../src/resolver/inbox-client';
import { call, createWorkspace, sendBatch, settleInboxes, type TestWorkspace } from './helpers';

// Every accepted event reaches the R2 archive behind the acknowledgement, once per messageId,
// also when the resolver crashes between its D1 write, its R2 write and its inbox delete.

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('archive');
});

const withInbox = (fn: (instance: IngestInbox) => void) => runInDurableObject(inboxOf(env, ws.id), async (instance: IngestInbox) => fn(instance));
afterEach(() => withInbox((i) => (i.faults = {})));

/** Every archived line of a workspace, with the key of its object. */
async function archived(workspaceId = ws.id): Promise<(ArchiveLine & { key: string })[]> {
  const lines: (ArchiveLine & { key: string })[] = [];
  for await (const o of listArchive(env.ARCHIVE, workspaceId)) for await (const l of readObject(env.ARCHIVE, o.key)) lines.push({ ...l, key: o.key });
  return lines;
}
const archivedIds = async (prefix: string) => (await archived()).map((l) => l.messageId).filter((id) => id.startsWith(prefix)).sort();

describe('the archive', () => {
  it('holds every stored event as a Segment-spec line in a gzip NDJSON object per receive hour', async () => {
    const before = Date.now();
    const res = await sendBatch(ws.writeKey, [
      { type: 'identify', userId: 'arc-1', traits: { email: 'arc@x.io' }, messageId: 'arc-a', timestamp: '2026-01-02T03:04:05.000Z' },
      { type: 'track', userId: 'arc-1', event: 'Order Completed', properties: { revenue: 9 }, messageId: 'arc-b' },
      { type: 'page', anonymousId: 'arc-anon', name: 'Home', messageId: 'arc-c' },
    ]);
    expect(res.status).toBe(200);
    const lines = (await archived()).filter((l) => l.messageId.startsWith('arc-'));
    expect(lines.map((l) => l.messageId).sort()).toEqual(['arc-a', 'arc-b', 'arc-c']);
    for (const l of lines) {
      expect(l.key).toMatch(new RegExp(`^events/${ws.id}/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/\\d{12}-[0-9a-f]{8}\\.ndjson\\.gz$`));
      expect(l.key).toContain(new Date(Date.parse(l.receivedAt)).toISOString().slice(0, 10));
      expect(Date.parse(l.receivedAt)).toBeGreaterThanOrEqual(before - 1);
    }
    const identify = lines.find((l) => l.messageId === 'arc-a')!;
    expect(identify).toMatchObject({ type: 'identify', userId: 'arc-1', traits: { email: 'arc@x.io' }, timestamp: '2026-01-02T03:04:05.000Z' });
    expect(lines.find((l) => l.messageId === 'arc-b')).toMatchObject({ type: 'track', event: 'Order Completed', properties: { revenue: 9 } });
    expect(lines.find((l) => l.messageId === 'arc-c')).toMatchObject({ type: 'page', name: 'Home', anonymousId: 'arc-anon' });
    // The object itself is gzip NDJSON a warehouse can read without us.
    const object = await env.ARCHIVE.get(lines[0].key);
    expect(object!.httpMetadata?.contentType).toBe('application/gzip');
    const text = await new Response(object!.body.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').map((l) => JSON.parse(l).messageId)).toContain(lines[0].messageId);
  });

  it('archives neither resent duplicates nor events the consent gate dropped', async () => {
    await sendBatch(ws.writeKey, [{ type: 'track', userId: 'dup-1', event: 'A', messageId: 'dup-a' }]);
    await sendBatch(ws.writeKey, [
      { type: 'track', userId: 'dup-1', event: 'A', messageId: 'dup-a' },
      { type: 'track', userId: 'dup-1', event: 'B', messageId: 'dup-b' },
    ]);
    expect(await archivedIds('dup-')).toEqual(['dup-a', 'dup-b']);

    const strict = await createWorkspace('consent');
    const patch = await call('/v1/settings', { method: 'PATCH', headers: { authorization: `Bearer ${strict.secretKey}` }, json: { requiredConsent: 'Analytics' } });
    expect(patch.status).toBe(200);
    await sendBatch(strict.writeKey, [
      { type: 'track', userId: 'c-1', event: 'Kept', messageId: 'c-yes', context: { consent: { categoryPreferences: { Analytics: true } } } },
      { type: 'track', userId: 'c-1', event: 'Dropped', messageId: 'c-no', context: { consent: { categoryPreferences: { Analytics: false } } } },
    ]);
    expect((await archived(strict.id)).map((l) => l.messageId)).toEqual(['c-yes']);
  });

  it.each([
    ['after the R2 write, before the inbox delete', 'afterResolve'],
    ['after the D1 write, before the R2 write', 'beforeArchive'],
  ] as const)('archives each messageId once when the resolver crashes %s', async (_, seam) => {
    let crashes = 0;
    await withInbox((i) => (i.faults[seam] = () => {
      if (crashes++ === 0) throw new Error('crash');
    }));
    const p = `${seam}-`;
    await sendBatch(ws.writeKey, [
      { type: 'identify', userId: `${p}1`, traits: { plan: 'pro' }, messageId: `${p}a` },
      { type: 'track', userId: `${p}1`, event: 'Order Completed', messageId: `${p}b` },
      { type: 'track', anonymousId: `${p}anon`, event: 'Viewed', messageId: `${p}c` },
    ]);
    await settleInboxes();
    expect(crashes).toBeGreaterThan(1);
    expect(await archivedIds(p)).toEqual([`${p}a`, `${p}b`, `${p}c`]);
    const res = await call(`/v1/profiles/user_id:${p}1`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect((await res.json<{ computed: { eventCount: number } }>()).computed.eventCount).toBe(2);
  });

  it('splits a batch received across an hour boundary into one object per hour, and rewrites the same objects when written again', async () => {
    const event = (id: string, receivedAt: number): StoredEvent => ({
      messageId: id, type: 'track', event: 'E', name: null, anonymousId: 'h-anon', userId: null, groupId: null, previousId: null,
      timestamp: receivedAt, receivedAt, sentAt: null, originalTimestamp: null, properties: null, traits: null, context: {}, integrations: null,
    });
    const hour = Date.UTC(2025, 5, 1, 10);
    const events = [event('h-1', hour - 1000), event('h-2', hour - 10), event('h-3', hour + 5)];
    const seq = new Map([['h-1', 1], ['h-2', 2], ['h-3', 3]]);
    const name = (e: StoredEvent) => `${String(seq.get(e.messageId)).padStart(12, '0')}-test`;
    const bucketWs = 'ws_hours';
    expect(await writeArchiveBatch(env.ARCHIVE, bucketWs, events, name)).toMatchObject({ objects: 2 });
    await writeArchiveBatch(env.ARCHIVE, bucketWs, events, name);
    const keys: string[] = [];
    for await (const o of listArchive(env.ARCHIVE, bucketWs)) keys.push(o.key);
    expect(keys).toEqual([
      `events/${bucketWs}/dt=2025-06-01/hour=09/000000000001-test.ndjson.gz`,
      `events/${bucketWs}/dt=2025-06-01/hour=10/000000000003-test.ndjson.gz`,
    ]);
    // A range lists only the hours it overlaps.
    const inRange: string[] = [];
    for await (const o of listArchive(env.ARCHIVE, bucketWs, { from: hour, to: hour + 60_000 })) inRange.push(o.key);
    expect(inRange).toEqual([keys[1]]);
  });
});
