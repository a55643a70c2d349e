import { resolveBatch } from '../resolver/resolve-batch';
import { wipeDerivedState } from '../store/derived-state';
import type { Workspace } from '../store/workspaces';
import type { JobState } from './job-state';
import { fromArchiveLine } from './line';
import { factsOf, listArchive, objectLines } from './objects';
import { erasedFilter } from './tombstones';
import { indexedObject } from './places';
import { placeEventsStatements } from '../store/events';
import type { ArchiveLine } from './line';

/** What `GET /v1/admin/workspaces/{id}` shows of a rebuild. `done` and `total` count archived events. */
export interface RebuildStatus {
  status: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  error?: string;
}

interface RebuildState extends RebuildStatus {
  /** 'wipe' until the derived state is gone, then 'replay'. */
  phase: 'wipe' | 'replay' | 'finished';
  /** The last archive object replayed. */
  after: string | null;
}

const KEY = 'rebuild';
const read = (state: JobState): RebuildState | null => {
  const text = state.get(KEY);
  return text === null ? null : (JSON.parse(text) as RebuildState);
};

/** The rebuild as the admin API shows it, or null when the workspace was never rebuilt. */
export function rebuildStatus(state: JobState): RebuildStatus | null {
  const r = read(state);
  if (!r) return null;
  const { phase: _phase, after: _after, ...status } = r;
  return status;
}

export const isRebuilding = (state: JobState) => read(state)?.status === 'running';

/**
 * Starts a rebuild (or answers the one running): counts the archived events for `total` and
 * records the job; the inbox's alarm does the work in steps (`rebuildStep`).
 */
export async function startRebuild(bucket: R2Bucket, workspaceId: string, state: JobState, now: number): Promise<RebuildStatus> {
  if (!isRebuilding(state)) {
    let total = 0;
    for await (const o of listArchive(bucket, workspaceId)) total += factsOf(o)?.events ?? 0;
    const started: RebuildState = { status: 'running', phase: 'wipe', done: 0, total, startedAt: new Date(now).toISOString(), finishedAt: null, after: null };
    state.set(KEY, JSON.stringify(started));
  }
  return rebuildStatus(state)!;
}

/**
 * One step of a rebuild: first the workspace's derived D1 state is deleted (chunk by chunk), then
 * the archive is replayed object by object, in receive order, through `resolveBatch` (the same
 * resolver as ingest; `replay` only keeps it from forwarding events and sending segment webhooks a
 * second time). Erased people's events are skipped. Each step ends with its cursor saved, so a
 * crash resumes where it stopped; an object replayed twice changes nothing (messageIds dedupe).
 * Answers whether more steps are needed.
 *
 * @example
 * while (await rebuildStep(env.DB, env.ARCHIVE, workspace, state)) {}
 */
export async function rebuildStep(db: D1Database, bucket: R2Bucket, workspace: Workspace, state: JobState, now: number): Promise<boolean> {
  const r = read(state);
  if (!r || r.status !== 'running') return false;
  const save = () => state.set(KEY, JSON.stringify(r));
  if (r.phase === 'wipe') {
    if (!(await wipeDerivedState(db, workspace.id))) r.phase = 'replay';
    save();
    return true;
  }
  const keep = await erasedFilter(db, workspace);
  // One object per step: list one key.
  for await (const o of listArchive(bucket, workspace.id, { after: r.after ?? undefined, pageSize: 1 })) {
    const object = await bucket.get(o.key);
    const events = [];
    const messageIds: string[] = [];
    if (object) {
      for await (const text of objectLines(object.body)) {
        const line = JSON.parse(text) as ArchiveLine;
        messageIds.push(line.messageId);
        if (!keep || (await keep(line))) events.push(fromArchiveLine(line));
      }
    }
    const read = messageIds.length;
    if (events.length > 0) {
      await resolveBatch(db, workspace, events, now, undefined, { replay: true });
      // Where the object holds the events now in D1 again (the wipe deleted the old index rows):
      // retention indexes them under the new profiles when they leave D1.
      await db.batch(placeEventsStatements(db, workspace.id, [{ object: indexedObject(workspace.id, o.key), messageIds }]));
    }
    r.after = o.key;
    r.done += read;
    save();
    return true;
  }
  Object.assign(r, { status: 'done', phase: 'finished', finishedAt: new Date(now).toISOString() });
  save();
  return false;
}

/** Records a rebuild that cannot go on (the admin API shows the error; starting it again resumes nothing, it starts over). */
export function failRebuild(state: JobState, err: unknown, now: number): void {
  const r = read(state);
  if (!r) return;
  Object.assign(r, { status: 'failed', finishedAt: new Date(now).toISOString(), error: err instanceof Error ? err.message : String(err) });
  state.set(KEY, JSON.stringify(r));
}
