// The R2 archive's work as the inbox runs it: archiving each resolved batch, and the jobs that wait
// for an empty inbox (purging erasures, retention) or hold it (a rebuild). The inbox keeps the
// control flow (when, and what to do on failure); this says what one step is.
import type { Env } from '../env';
import type { StoredEvent } from '../ingest/normalise';
import { archiveObjects, putArchiveObjects, type PlannedObject } from '../archive/objects';
import { sqlJobState, type JobState } from '../archive/job-state';
import { batchName } from '../archive/layout';
import { purgeStep } from '../archive/purge';
import { rebuildStep } from '../archive/rebuild';
import { retentionStep } from '../archive/retention';
import { databaseOf } from '../directory/databases';
import { invalidateProfileReads } from '../profile-reads/invalidate';
import type { Workspace } from '../store/workspaces';
import type { InboxRow } from './cycle-policy';
import { keepMeta } from './inbox-tables';

/** A job that waits for an empty inbox; erasures go first. */
export type ArchiveJob = 'purge' | 'retention';

/** The archive job this inbox has been asked for, or null. */
export const wantedArchiveJob = (state: JobState): ArchiveJob | null =>
  state.get('purge.wanted') !== null ? 'purge' : state.get('retention.wanted') !== null ? 'retention' : null;

/** Asks the inbox for an archive job (done on its alarm, once the inbox is empty). */
export function requestArchiveJob(sql: SqlStorage, state: JobState, workspaceId: string, job: ArchiveJob): void {
  keepMeta(sql, 'workspaceId', workspaceId);
  state.set(`${job}.wanted`, '1');
}

/**
 * One step of an archive job; when none is left to do, the job is no longer wanted. A purge
 * rewrites objects without erased people's events (archive/purge.ts); retention deletes archived
 * events older than the hot window from D1 (archive/retention.ts).
 */
export async function archiveJobStep(env: Env, state: JobState, workspace: Workspace, job: ArchiveJob): Promise<void> {
  const db = databaseOf(env, workspace.database);
  let more: boolean;
  if (job === 'purge') {
    more = await purgeStep(db, env.ARCHIVE, workspace, state);
  } else {
    const since = state.get('archivedSince');
    // Nothing archived yet: nothing D1 holds can be deleted.
    const step = since === null ? { deleted: 0, more: false } : await retentionStep(db, workspace, Number(since), Date.now());
    more = step.more;
    // Cold events left D1: first timeline pages and order summaries may change. An hourly run that
    // moved nothing changed nothing, and must not make the read store sweep every profile again.
    if (step.deleted > 0) await invalidateProfileReads(env, workspace.id, 'all');
  }
  if (!more) state.set(`${job}.wanted`, null);
}

/** One step of a rebuild from the archive (archive/rebuild.ts); every kept profile read is stale after it. */
export async function rebuildJobStep(env: Env, state: JobState, workspace: Workspace): Promise<void> {
  await rebuildStep(databaseOf(env, workspace.database), env.ARCHIVE, workspace, state, Date.now());
  await invalidateProfileReads(env, workspace.id, 'all');
}

/**
 * The archive objects of an inbox batch: `objectsOf(stored)` names them (archive/objects.ts), each
 * by the inbox row of its first event, so the batch's D1 write can store each event's place in
 * them (archive/places.ts) before `archiveStored` puts them.
 */
export function batchArchive(sql: SqlStorage, workspaceId: string, batch: { rows: readonly InboxRow[]; events: readonly StoredEvent[] }) {
  const generation = sqlJobState(sql).get('generation')!;
  const seqOf = new Map(batch.events.map((e, i) => [e.messageId, batch.rows[i].seq]));
  const nameOf = (first: StoredEvent) => batchName(seqOf.get(first.messageId)!, generation);
  let planned: { stored: readonly StoredEvent[]; objects: PlannedObject[] } | null = null;
  const objectsOf = (stored: readonly StoredEvent[]): PlannedObject[] => {
    if (planned?.stored !== stored) planned = { stored, objects: archiveObjects(workspaceId, stored, nameOf) };
    return planned.objects;
  };
  return { objectsOf };
}

/**
 * Writes a batch's archive objects (batchArchive) to R2; their events' places went with the
 * batch's D1 write (retention indexes them from there).
 */
export async function archiveStored(env: Env, sql: SqlStorage, objects: readonly PlannedObject[]): Promise<void> {
  // Every event received from now on reaches the archive (it passes through here): retention may
  // delete those from D1 once they are cold. Events stored before archiving began stay in D1.
  keepMeta(sql, 'archivedSince', String(Date.now()));
  await putArchiveObjects(env.ARCHIVE, objects);
}
