import { hotDaysOf, orderEventOf } from '../settings/settings-patch';
import { listComputedTraits } from '../store/computed-traits';
import { listSegments } from '../store/segments';
import { retentionPlan } from './retention-plan';
import { COLD_CHUNK, deleteColdEvents } from '../store/events';
import type { Workspace } from '../store/workspaces';
import { raiseColdBefore } from '../store/archive-index';

/**
 * One step of hot/cold retention: deletes a chunk of the workspace's D1 events older than its hot
 * window (`settings.retention.hotDays`, default 400, by event time, widened to the longest window
 * its segments and computed traits use; events that all-time rules read stay: retention-plan.ts)
 * that are in the R2 archive (received since `archivedSince`, when its inbox began archiving).
 * Profiles, identities and memberships stay; export, timelines and person exports read the rest
 * from R2. Answers how many events it deleted, and whether more may be left.
 *
 * @example
 * while ((await retentionStep(env.DB, workspace, archivedSince, Date.now())).more) {}
 */
export async function retentionStep(db: D1Database, workspace: Workspace, archivedSince: number, now: number): Promise<{ deleted: number; more: boolean }> {
  const [segments, computedTraits] = await Promise.all([listSegments(db, workspace.id), listComputedTraits(db, workspace.id)]);
  const plan = retentionPlan({ now, hotDays: hotDaysOf(workspace.settings), segments, computedTraits, orderEvent: orderEventOf(workspace.settings) });
  // An all-time rule over every event needs them all in D1.
  if (plan.keep === 'all') return { deleted: 0, more: false };
  // Readers learn first that events before this may be in R2 only (timelines then read the index).
  await raiseColdBefore(db, workspace.id, plan.before);
  const deleted = await deleteColdEvents(db, workspace.id, plan.before, archivedSince, plan.keep);
  return { deleted, more: deleted >= COLD_CHUNK };
}
