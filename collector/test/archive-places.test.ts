import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { readObject } from '../src/archive/objects';
import { inboxOf } from '../src/resolver/inbox-client';
import type { IngestInbox } from '../src/resolver/inbox';
import { runScheduled } from '../src/scheduled';
import { call, createWorkspace, sendBatch, settleInboxes, workspaceDb, type TestWorkspace } from './helpers';

// The per-person archive index is built when events leave D1, never on ingest (migration 0014):
// each event row keeps its place in the R2 archive, retention turns the places of the events it
// deletes into index rows, and replays and purges keep the places pointing at the right lines.

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
/** A track message of `userId`, `days` ago. */
const track = (userId: string, days: number, messageId: string, event = 'Old') => ({ type: 'track', userId, event, timestamp: ago(days), messageId });

type Place = { message_id: string; archive_object: string | null; archive_line: number | null; archive_lines: number | null };
type IndexRow = { profile_id: string; object: string; lines: string; object_lines: number; min_ts: number; max_ts: number };

/** The workspace's rows of a query (the workspace bound as ?1). */
const rowsOf = async <T>(ws: TestWorkspace, sql: string) => (await (await workspaceDb(ws.id)).prepare(sql).bind(ws.id).all<T>()).results;
const places = (ws: TestWorkspace) =>
  rowsOf<Place>(ws, 'SELECT message_id, archive_object, archive_line, archive_lines FROM events WHERE workspace_id = ?1 ORDER BY message_id');
const indexRows = (ws: TestWorkspace) =>
  rowsOf<IndexRow>(ws, 'SELECT profile_id, object, lines, object_lines, min_ts, max_ts FROM archive_index WHERE workspace_id = ?1 ORDER BY object, profile_id');

/** The messageIds of an archive object, in line order. */
async function objectIds(ws: TestWorkspace, object: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const line of readObject(env.ARCHIVE, `events/${ws.id}/${object}`)) ids.push(line.messageId);
  return ids;
}

/** Every placed event row points at its own line of an object that has the line count it says. */
async function expectPlacesMatchR2(ws: TestWorkspace, messageIds: string[]) {
  const rows = (await places(ws)).filter((r) => messageIds.includes(r.message_id));
  expect(rows.map((r) => r.message_id).sort()).toEqual([...messageIds].sort());
  for (const r of rows) {
    expect(r.archive_object, r.message_id).not.toBeNull();
    const ids = await objectIds(ws, r.archive_object!);
    expect(ids[r.archive_line!], r.message_id).toBe(r.message_id);
    expect(ids.length, r.message_id).toBe(r.archive_lines);
  }
}

/**
 * Every index row's lines hold exactly its profile's events in that object (`who`: profile id ->
 * messageIds), no line twice; `onePerObject`: one row per profile per object.
 */
async function expectRowsMatchR2(ws: TestWorkspace, who: Record<string, string[]>, onePerObject = true) {
  const rows = await indexRows(ws);
  if (onePerObject) expect(new Set(rows.map((r) => `${r.profile_id} ${r.object}`)).size).toBe(rows.length);
  const lines = rows.flatMap((r) => r.lines.split(',').map((n) => `${r.object}#${n}`));
  expect(new Set(lines).size).toBe(lines.length);
  const found: Record<string, string[]> = {};
  for (const r of rows) {
    const ids = await objectIds(ws, r.object);
    expect(ids.length).toBe(r.object_lines);
    (found[r.profile_id] ??= []).push(...r.lines.split(',').map((n) => ids[Number(n)]));
  }
  for (const [profile, ids] of Object.entries(who)) expect(found[profile]?.sort(), profile).toEqual([...ids].sort());
}

const profileId = async (ws: TestWorkspace, ref: string) =>
  (await (await call(`/v1/profiles/${ref}`, { headers: { authorization: `Bearer ${ws.secretKey}` } })).json<{ id: string }>()).id;

const timeline = async (ws: TestWorkspace, ref: string) =>
  (await (await call(`/v1/profiles/${ref}/events?limit=100`, { headers: { authorization: `Bearer ${ws.secretKey}` } })).json<{ data: { messageId: string }[] }>()).data.map(
    (e) => e.messageId,
  );

/** A workspace whose hot window is 30 days, warmed so that archiving has begun. */
async function workspace(name: string): Promise<TestWorkspace> {
  const ws = await createWorkspace(name, 'DB_2');
  await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'warm', messageId: 'w-0' }]);
  const res = await call('/v1/settings', { method: 'PATCH', headers: { authorization: `Bearer ${ws.secretKey}` }, json: { retention: { hotDays: 30 }, predictions: { orderEvent: 'Purchase' } } });
  expect(res.status).toBe(200);
  return ws;
}

/** The hourly cron's retention sweep, then the inboxes' alarms. */
async function sweep() {
  await runScheduled(env, Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await settleInboxes();
}

describe('archive places and the index built at retention', () => {
  it('writes no index rows on ingest; retention indexes the events it moves out from their places', async () => {
    const ws = await workspace('places-retention');
    await sendBatch(ws.writeKey, [
      track('ann', 200, 'a-1'),
      track('ben', 100, 'b-1'),
      track('ann', 90, 'a-2'),
      track('ann', 2, 'a-3', 'New'),
    ]);
    // Hot: placed in their object, not indexed.
    expect(await indexRows(ws)).toEqual([]);
    await expectPlacesMatchR2(ws, ['a-1', 'a-2', 'a-3', 'b-1', 'w-0']);
    const ann = await profileId(ws, 'user_id:ann');
    const ben = await profileId(ws, 'user_id:ben');

    await sweep();
    expect((await places(ws)).map((p) => p.message_id)).toEqual(['a-3', 'w-0']);
    // One row per profile per object, built from the rows that left, with their time bounds.
    const rows = await indexRows(ws);
    expect(rows.map((r) => [r.profile_id, r.lines])).toEqual(expect.arrayContaining([[ann, '0,2'], [ben, '1']]));
    expect(rows).toHaveLength(2);
    const annRow = rows.find((r) => r.profile_id === ann)!;
    expect(annRow.object_lines).toBe(4);
    expect(Math.abs(annRow.max_ts - annRow.min_ts - 110 * DAY)).toBeLessThan(1000);
    await expectRowsMatchR2(ws, { [ann]: ['a-1', 'a-2'], [ben]: ['b-1'] });
    expect(await timeline(ws, 'user_id:ann')).toEqual(['a-3', 'a-2', 'a-1']);
    expect(await timeline(ws, 'user_id:ben')).toEqual(['b-1']);

    // A second sweep finds nothing more to move and adds no row.
    await sweep();
    expect(await indexRows(ws)).toEqual(rows);
  });

  it('keeps the index rows of events indexed on ingest by an older collector (no place), and adds none for them', async () => {
    const ws = await workspace('places-legacy');
    await sendBatch(ws.writeKey, [
      track('old', 100, 'o-1'),
      track('old', 90, 'o-2'),
    ]);
    const db = await workspaceDb(ws.id);
    const [o1] = (await places(ws)).filter((p) => p.message_id === 'o-1');
    const old = await profileId(ws, 'user_id:old');
    // As 0013 left it: o-1 stored without a place, and indexed on ingest.
    await db.batch([
      db.prepare('UPDATE events SET archive_object = NULL, archive_line = NULL, archive_lines = NULL WHERE workspace_id = ?1 AND message_id = ?2').bind(ws.id, 'o-1'),
      db
        .prepare('INSERT INTO archive_index (workspace_id, profile_id, object, min_ts, max_ts, lines, object_lines) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)')
        .bind(ws.id, old, o1.archive_object, Date.parse(ago(100)), String(o1.archive_line), o1.archive_lines),
    ]);
    await sweep();
    expect((await places(ws)).map((p) => p.message_id)).toEqual(['w-0']);
    // Its ingest-time row, and a row retention built for o-2 from its place: each event indexed once.
    const rows = await indexRows(ws);
    expect(rows.map((r) => r.lines).sort()).toEqual(['0', '1']);
    await expectRowsMatchR2(ws, { [old]: ['o-1', 'o-2'] }, false);
    expect(await timeline(ws, 'user_id:old')).toEqual(['o-2', 'o-1']);
  });

  it('erasing a person whose events are still hot: the purge takes their lines out of the shared object and moves the others\' places, so the index retention builds later points at the right lines', async () => {
    const ws = await workspace('places-purge');
    await sendBatch(ws.writeKey, [
      track('cat', 120, 'c-1'),
      track('bea', 110, 'b-1'),
      track('cat', 100, 'c-2'),
      track('bea', 90, 'b-2'),
    ]);
    const object = (await places(ws)).find((p) => p.message_id === 'b-1')!.archive_object!;
    expect(await objectIds(ws, object)).toEqual(['c-1', 'b-1', 'c-2', 'b-2']);
    expect(await indexRows(ws)).toEqual([]);

    const del = await call('/v1/profiles/user_id:cat', { method: 'DELETE', headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect(del.status).toBe(200);
    await settleInboxes();
    // The purge found her lines in the object (no index row pointed at it) and rewrote it.
    expect(await objectIds(ws, object)).toEqual(['b-1', 'b-2']);
    expect((await places(ws)).filter((p) => p.message_id.startsWith('b-'))).toEqual([
      { message_id: 'b-1', archive_object: object, archive_line: 0, archive_lines: 2 },
      { message_id: 'b-2', archive_object: object, archive_line: 1, archive_lines: 2 },
    ]);

    await sweep();
    const bea = await profileId(ws, 'user_id:bea');
    await expectRowsMatchR2(ws, { [bea]: ['b-1', 'b-2'] });
    expect(await timeline(ws, 'user_id:bea')).toEqual(['b-2', 'b-1']);
  });

  it.each<['beforeArchive' | 'afterResolve']>([['beforeArchive'], ['afterResolve']])(
    'a batch replayed after a crash at %s: the stored rows take the places the replay wrote, and retention indexes each event once',
    async (fault) => {
      const ws = await workspace(`places-replay-${fault}`);
      let crashes = 0;
      await runInDurableObject(inboxOf(env, ws.id), async (i: IngestInbox) => {
        i.faults[fault] = () => {
          if (crashes++ === 0) throw new Error(`crash at ${fault}`);
        };
      });
      await sendBatch(ws.writeKey, [
        track('dee', 80, 'd-1'),
        track('eli', 70, 'e-1'),
        track('dee', 60, 'd-2'),
      ]);
      await expect.poll(async () => (await settleInboxes(), (await inboxOf(env, ws.id).status()).pending), { timeout: 10_000 }).toBe(0);
      await runInDurableObject(inboxOf(env, ws.id), async (i: IngestInbox) => void (i.faults = {}));
      expect(crashes).toBeGreaterThan(1);
      expect(await indexRows(ws)).toEqual([]);
      await expectPlacesMatchR2(ws, ['d-1', 'd-2', 'e-1']);

      await sweep();
      const dee = await profileId(ws, 'user_id:dee');
      const eli = await profileId(ws, 'user_id:eli');
      await expectRowsMatchR2(ws, { [dee]: ['d-1', 'd-2'], [eli]: ['e-1'] });
      expect(await timeline(ws, 'user_id:dee')).toEqual(['d-2', 'd-1']);
    },
  );
});
