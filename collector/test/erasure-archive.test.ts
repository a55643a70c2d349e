import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { listArchive, readObject } from '../src/archive/objects';
import { erasePerson } from '../src/privacy/erase';
import { findPerson } from '../src/privacy/find-person';
import { inboxOf } from '../src/resolver/inbox-client';
import { getWorkspace } from '../src/store/workspaces';
import { call, callRaw, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// Erasure reaches the R2 archive: readers skip the person's events at once (tombstones), and the
// workspace's inbox rewrites the objects without them, after which no byte of theirs is in R2.

/** Every raw line in the workspace's R2 objects, as text, and how many objects there are. */
async function rawArchive(workspaceId: string): Promise<{ text: string; objects: number }> {
  let text = '';
  let objects = 0;
  for await (const o of listArchive(env.ARCHIVE, workspaceId)) {
    objects++;
    for await (const line of readObject(env.ARCHIVE, o.key)) text += `${JSON.stringify(line)}\n`;
  }
  return { text, objects };
}

async function exportedIds(ws: TestWorkspace): Promise<string[]> {
  const res = await callRaw('/v1/events/export', { headers: { authorization: `Bearer ${ws.secretKey}` } });
  expect(res.status).toBe(200);
  return new TextDecoder().decode(await res.arrayBuffer()).split('\n').filter(Boolean).map((l) => JSON.parse(l).messageId).sort();
}

/** Ana in one request, Bob in another (so one archive object holds only Ana), then Ana and Bob mixed. */
async function seed(ws: TestWorkspace) {
  await sendBatch(ws.writeKey, [
    { type: 'identify', userId: 'ana-7', anonymousId: 'ana-device', traits: { email: 'Ana@Example.com' }, messageId: 'a-1' },
    { type: 'track', userId: 'ana-7', event: 'Order Completed', properties: { revenue: 40 }, messageId: 'a-2' },
  ]);
  await sendBatch(ws.writeKey, [{ type: 'track', userId: 'bob-3', event: 'Order Completed', properties: { revenue: 10 }, messageId: 'b-1' }]);
  await sendBatch(ws.writeKey, [
    { type: 'page', anonymousId: 'ana-device', name: 'Home', messageId: 'a-3' },
    // Known only by her email (the user id is junk): the archive still finds it through the identifiers the resolver reads.
    { type: 'track', userId: 'anonymous', event: 'Viewed', context: { traits: { email: 'ana@example.com' } }, messageId: 'a-4' },
    { type: 'identify', userId: 'bob-3', traits: { email: 'bob@example.com' }, messageId: 'b-2' },
  ]);
}

describe('erasure and the archive', () => {
  it('hides the erased person from export at once, then rewrites the objects so no byte of theirs is left', async () => {
    const ws = await createWorkspace('erase-read', 'DB_2');
    await seed(ws);
    expect(await exportedIds(ws)).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'b-1', 'b-2']);
    const before = await rawArchive(ws.id);
    expect(before.objects).toBe(3);

    // The erasure alone (no purge scheduled yet): readers already skip her events.
    const workspace = (await getWorkspace(env.DB, ws.id))!;
    const db = await workspaceDb(ws.id);
    const person = await findPerson(db, workspace, 'user_id:ana-7');
    await erasePerson(db, ws.id, person, { suppress: false, keyId: 'test' });
    expect(await exportedIds(ws)).toEqual(['b-1', 'b-2']);
    expect((await rawArchive(ws.id)).text).toContain('ana-7');

    // The inbox's purge: objects rewritten, an object left empty deleted, tombstones gone.
    await inboxOf(env, ws.id).scheduleArchiveJob(ws.id, 'purge');
    await settleInboxes();
    const after = await rawArchive(ws.id);
    for (const needle of ['ana-7', 'ana-device', 'ana@example.com', 'a-1', 'a-2', 'a-3', 'a-4']) expect(after.text.toLowerCase()).not.toContain(needle);
    expect(after.objects).toBe(2);
    expect(await exportedIds(ws)).toEqual(['b-1', 'b-2']);
    expect((await db.prepare('SELECT count(*) AS n FROM archive_tombstones WHERE workspace_id = ?').bind(ws.id).first<{ n: number }>())!.n).toBe(0);
  });

  it('reaches the archive from DELETE /v1/profiles/{ref}', async () => {
    const ws = await createWorkspace('erase-api');
    const other = await createWorkspace('erase-other');
    await seed(ws);
    await seed(other); // the same people in another workspace stay
    const res = await call('/v1/profiles/email:ana@example.com', { method: 'DELETE', headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect(res.status).toBe(200);
    expect(await exportedIds(ws)).toEqual(['b-1', 'b-2']);
    await settleInboxes();
    expect((await rawArchive(ws.id)).text).not.toContain('ana-7');
    expect(await exportedIds(other)).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'b-1', 'b-2']);
  });
});
