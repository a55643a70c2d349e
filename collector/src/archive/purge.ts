import { deleteTombstones, listTombstones } from '../store/archive-tombstones';
import type { Workspace } from '../store/workspaces';
import type { JobState } from './job-state';
import { gzipText, listArchive, ndjson, putObject, readObject } from './objects';
import type { ArchiveLine } from './line';
import { tombstoneFilter } from './tombstones';
import { indexedObject, shiftIndexRows, type LineShift } from './cold-index';

/** Objects a purge step rewrites before it hands back to the inbox (keeps each alarm short). */
export const PURGE_OBJECTS_PER_STEP = 50;

/**
 * One step of the purge that makes erasures physical in the R2 archive: the objects of the
 * workspace, in key order from where the last step stopped, are rewritten without the erased
 * people's events (an object left empty is deleted). A pass covers the tombstones that existed
 * when it started; when it has been through every object they are deleted, and erasures that came
 * in meanwhile start the next pass. Resumable: the cursor is in `state`, and rewriting an object
 * twice gives the same object. Returns whether there may be more to do.
 *
 * @example
 * while (await purgeStep(env.DB, env.ARCHIVE, workspace, state)) {}
 */
export async function purgeStep(db: D1Database, bucket: R2Bucket, workspace: Workspace, state: JobState): Promise<boolean> {
  if (state.get('purge.tombstones') === null) {
    const pending = await listTombstones(db, workspace.id);
    if (pending.length === 0) return false;
    state.set('purge.tombstones', JSON.stringify(pending.map((t) => t.id)));
  }
  const covered = new Set(JSON.parse(state.get('purge.tombstones')!) as string[]);
  const tombstones = (await listTombstones(db, workspace.id)).filter((t) => covered.has(t.id));
  const keep = tombstoneFilter(workspace.id, tombstones, workspace.settings.defaultCountry);
  // A step that stopped between an object's rewrite and its index rows finishes them first.
  await finishIndexShift(db, workspace.id, state);
  let rewritten = 0;
  for await (const o of listArchive(bucket, workspace.id, { after: state.get('purge.after') ?? undefined, pageSize: PURGE_OBJECTS_PER_STEP })) {
    // The shift the index rows of the people left need is saved before the object changes.
    const object = indexedObject(workspace.id, o.key);
    await rewriteWithout(bucket, o.key, keep, (shift) => state.set(SHIFT_KEY, JSON.stringify({ object, ...shift })));
    await finishIndexShift(db, workspace.id, state);
    state.set('purge.after', o.key);
    if (++rewritten >= PURGE_OBJECTS_PER_STEP) return true;
  }
  await deleteTombstones(db, workspace.id, [...covered]);
  state.set('purge.tombstones', null);
  state.set('purge.after', null);
  return true;
}

const SHIFT_KEY = 'purge.indexShift';

/** Gives the index rows of an object rewritten by this purge their new line numbers (idempotent), then forgets the shift. */
async function finishIndexShift(db: D1Database, workspaceId: string, state: JobState): Promise<void> {
  const text = state.get(SHIFT_KEY);
  if (text === null) return;
  await shiftIndexRows(db, workspaceId, JSON.parse(text) as { object: string } & LineShift);
  state.set(SHIFT_KEY, null);
}

/**
 * Rewrites one object without the lines `keep` refuses; deletes it when none is left. Answers how
 * many went. `beforeWrite` hears which lines go (0-based, of how many) and the messageIds kept and
 * gone before the object changes.
 */
export async function rewriteWithout(
  bucket: R2Bucket,
  key: string,
  keep: (line: ArchiveLine) => Promise<boolean>,
  beforeWrite?: (shift: LineShift) => void,
): Promise<number> {
  const kept: ArchiveLine[] = [];
  const gone: number[] = [];
  const goneIds: string[] = [];
  let n = 0;
  for await (const line of readObject(bucket, key)) {
    if (await keep(line)) {
      kept.push(line);
    } else {
      gone.push(n);
      goneIds.push(line.messageId);
    }
    n++;
  }
  const dropped = gone.length;
  if (dropped === 0) return 0;
  beforeWrite?.({ lines: n, dropped: gone, kept: kept.map((l) => l.messageId), gone: goneIds });
  if (kept.length === 0) await bucket.delete(key);
  else await putObject(bucket, key, await gzipText(ndjson(kept)), kept.map((l) => ({ receivedAt: Date.parse(l.receivedAt) })));
  return dropped;
}
