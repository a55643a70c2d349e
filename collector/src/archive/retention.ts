import { hotDaysOf } from '../settings/settings-patch';
import { COLD_CHUNK, deleteColdEvents } from '../store/events';
import type { Workspace } from '../store/workspaces';
import { raiseColdBefore } from '../store/archive-index';

const DAY_MS = 86_400_000;

/**
 * One step of hot/cold retention: deletes a chunk of the workspace's D1 events older than its hot
 * window (`settings.retention.hotDays`, default 400, by event time) that are in the R2 archive
 * (received since `archivedSince`, when its inbox began archiving). Profiles, identities and
 * memberships stay; export reads everything from R2. Answers whether more may be left.
 *
 * @example
 * while (await retentionStep(env.DB, workspace, archivedSince, Date.now())) {}
 */
export async function retentionStep(db: D1Database, workspace: Workspace, archivedSince: number, now: number): Promise<boolean> {
  const before = now - hotDaysOf(workspace.settings) * DAY_MS;
  // Readers learn first that events before this may be in R2 only (timelines then read the index).
  await raiseColdBefore(db, workspace.id, before);
  return (await deleteColdEvents(db, workspace.id, before, archivedSince)) >= COLD_CHUNK;
}
