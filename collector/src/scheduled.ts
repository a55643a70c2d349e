import { databaseNames, databaseOf } from './directory/databases';
import type { Env } from './env';
import { isMoving, listWorkspaces, type Workspace } from './store/workspaces';
import { evaluateSegments } from './segments/evaluate';
import { listSegments, workspacesWithSegments } from './store/segments';
import { pruneHistoryStatements } from './store/deliveries';
import { drainDeliveries, type DrainReport } from './webhooks/drain';
import { refreshAllComputedTraits } from './computed-traits/refresh';
import { fitWorkspace } from './predictions/service';
import { workspacesWithWindowedTraits } from './store/computed-traits';
import { workspacesDueForFit } from './store/predictions';
import { drainEventDeliveries, type ForwardDrainReport } from './destinations/drain-events';
import { pruneEventDeliveriesStatement } from './store/event-deliveries';
import { inboxOf } from './resolver/inbox-client';
import { invalidateProfileReads, namedOrAll } from './profile-reads/invalidate';
import type { ReadScope } from './profile-reads/profile-reads';

/** Predictive models are refitted once they are this old (checked on the hourly sweep). */
export const REFIT_AFTER_MS = 86_400_000 - 10 * 60_000;

/** Finished deliveries and old changes are kept this long (listed per destination), then pruned hourly. */
export const HISTORY_RETENTION_MS = 30 * 86_400_000;

export interface ScheduledReport {
  workspaces: number;
  entered: number;
  exited: number;
  failedWorkspaces: string[];
  deliveries: DrainReport;
  /** Workspaces refitted, and windowed computed traits recomputed, on this run. */
  refits: number;
  windowedTraits: number;
  /** Forwarded events (webhook, GA4, Mixpanel, Meta). */
  forwarded: ForwardDrainReport;
}

/** The first run of each hour (cron every 5 minutes) re-evaluates every segment, not only time-relative ones. */
export const isSweepRun = (now: number) => new Date(now).getUTCMinutes() < 5;

/**
 * The cron's work (every 5 minutes, wrangler.toml): re-evaluate, over all profiles, the
 * segments whose membership moves with the clock (relative windows, `daysAgo`) and the
 * segments built on them, then drain the webhook outbox. Once an hour it re-evaluates every
 * segment (a sweep that repairs a real-time update that failed) and prunes delivery history
 * older than 30 days. `now` is the scheduled time,
 * so a test can jump the clock forward; one workspace failing does not stop the others.
 *
 * @example
 * await runScheduled(env, controller.scheduledTime)
 */
export async function runScheduled(env: Env, now: number): Promise<ScheduledReport> {
  const report: ScheduledReport = {
    workspaces: 0,
    entered: 0,
    exited: 0,
    failedWorkspaces: [],
    deliveries: { attempted: 0, delivered: 0, retrying: 0, dead: 0 },
    forwarded: { attempted: 0, delivered: 0, retrying: 0, dead: 0, skipped: 0 },
    refits: 0,
    windowedTraits: 0,
  };
  const directory = await listWorkspaces(env.DB);
  if (isSweepRun(now)) await scheduleRetention(env, directory);
  // Every database of workspace data gets the same run; one failing does not stop the others.
  await Promise.all(
    databaseNames(env).map((name) =>
      runDatabase(databaseOf(env, name), directory.filter((w) => w.database === name && !isMoving(w.move?.status)), now, report, {
        // Rows of workspaces moving out, moved away (until deleted) or left by a failed move are not this run's to touch.
        skip: directory.filter((w) => w.database !== name || isMoving(w.move?.status)).map((w) => w.id),
        readsChanged: (workspaceId, scope) => invalidateProfileReads(env, workspaceId, scope),
      }).catch((err) => {
        console.error('scheduled run failed on database', name, err);
        report.failedWorkspaces.push(...directory.filter((w) => w.database === name).map((w) => w.id));
      }),
    ),
  );
  return report;
}

/** The cron's work on one database, for the workspaces the directory maps to it (and that are not moving). */
async function runDatabase(db: D1Database, workspaces: Workspace[], now: number, report: ScheduledReport, opts: { skip: string[]; readsChanged: ReadsChanged }): Promise<void> {
  const sweep = isSweepRun(now);
  const here = new Set(workspaces.map((w) => w.id));
  // Hourly, before segments: windowed computed traits lose expired events, and models older than
  // a day are refitted (each re-evaluates the segments that compare its values).
  if (sweep) await refreshDerivedTraits(db, workspaces, now, report, opts.readsChanged);
  for (const workspaceId of await workspacesWithSegments(db, { timeRelativeOnly: !sweep })) {
    if (!here.has(workspaceId)) continue;
    try {
      const segments = await listSegments(db, workspaceId);
      const roots = sweep ? undefined : new Set(segments.filter((s) => s.timeRelative).map((s) => s.key));
      const result = await evaluateSegments(db, workspaceId, { keys: roots, now }, segments);
      report.workspaces++;
      report.entered += result.entered;
      report.exited += result.exited;
    } catch (err) {
      console.error('scheduled segment evaluation failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
  if (sweep) await db.batch([...pruneHistoryStatements(db, now - HISTORY_RETENTION_MS), pruneEventDeliveriesStatement(db, now - HISTORY_RETENTION_MS)]);
  // The clock keeps running from the scheduled time, so retries scheduled now are due later.
  const started = Date.now();
  const clock = () => now + (Date.now() - started);
  // Segment webhooks and event forwarding drain side by side: neither waits for the other's receivers.
  const [deliveries, forwarded] = await Promise.all([drainDeliveries(db, { now: clock, skipWorkspaces: opts.skip }), drainEventDeliveries(db, { now: clock, skipWorkspaces: opts.skip })]);
  for (const k of Object.keys(deliveries) as (keyof DrainReport)[]) report.deliveries[k] += deliveries[k];
  for (const k of Object.keys(forwarded) as (keyof ForwardDrainReport)[]) report.forwarded[k] += forwarded[k];
}

/** Told of each workspace whose profile reads a run changed (the profile read cache drops them). */
type ReadsChanged = (workspaceId: string, scope: ReadScope) => Promise<void>;

async function refreshDerivedTraits(db: D1Database, workspaces: Workspace[], now: number, report: ScheduledReport, readsChanged: ReadsChanged): Promise<void> {
  const here = new Set(workspaces.map((w) => w.id));
  for (const workspaceId of await workspacesWithWindowedTraits(db)) {
    if (!here.has(workspaceId)) continue;
    try {
      const recomputed = await refreshAllComputedTraits(db, workspaceId, now, true);
      report.windowedTraits += recomputed.keys.length;
      // Only the people whose values moved: naming them spares the read store a sweep of everyone each hour.
      await readsChanged(workspaceId, namedOrAll(recomputed.changedProfileIds));
    } catch (err) {
      console.error('scheduled computed trait refresh failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
  const byId = new Map(workspaces.map((w) => [w.id, w]));
  for (const workspaceId of await workspacesDueForFit(db, workspaces, now - REFIT_AFTER_MS)) {
    try {
      if (await fitWorkspace(db, byId.get(workspaceId)!, now)) {
        report.refits++;
        await readsChanged(workspaceId, 'all');
      }
    } catch (err) {
      console.error('scheduled model refit failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
}

/**
 * Hourly: asks every workspace's inbox to move its cold events out of D1 (archive/retention.ts).
 * The inbox does the deleting on its own alarm, as the one writer of the workspace.
 */
async function scheduleRetention(env: Env, workspaces: readonly Workspace[]): Promise<void> {
  for (const { id } of workspaces) {
    try {
      await inboxOf(env, id).scheduleArchiveJob(id, 'retention');
    } catch (err) {
      console.error('retention not scheduled', id, err);
    }
  }
}
