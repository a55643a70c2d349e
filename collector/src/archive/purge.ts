import { deleteTombstones, listTombstones } from '../store/archive-tombstones';
import type { Workspace } from '../store/workspaces';
import type { JobState } from './job-state';
import { gzipText, listArchive, ndjson, putObject, readObject } from './objects';
import type { ArchiveLine } from './line';
import { tombstoneFilter } from './tombstones';

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
  let rewritten = 0;
  for await (const o of listArchive(bucket, workspace.id, { after: state.get('purge.after') ?? undefined, pageSize: PURGE_OBJECTS_PER_STEP })) {
    await rewriteWithout(bucket, o.key, keep);
    state.set('purge.after', o.key);
    if (++rewritten >= PURGE_OBJECTS_PER_STEP) return true;
  }
  await deleteTombstones(db, workspace.id, [...covered]);
  state.set('purge.tombstones', null);
  state.set('purge.after', null);
  return true;
}

/** Rewrites one object without the lines `keep` refuses; deletes it when none is left. Answers how many went. */
export async function rewriteWithout(bucket: R2Bucket, key: string, keep: (line: ArchiveLine) => Promise<boolean>): Promise<number> {
  const kept: ArchiveLine[] = [];
  let dropped = 0;
  for await (const line of readObject(bucket, key)) {
    if (await keep(line)) kept.push(line);
    else dropped++;
  }
  if (dropped === 0) return 0;
  if (kept.length === 0) await bucket.delete(key);
  else await putObject(bucket, key, await gzipText(ndjson(kept)), kept.map((l) => ({ receivedAt: Date.parse(l.receivedAt) })));
  return dropped;
}
