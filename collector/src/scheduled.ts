import type { Env } from './env';
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
  const sweep = isSweepRun(now);
  // Hourly, before segments: windowed computed traits lose expired events, and models older than
  // a day are refitted (each re-evaluates the segments that compare its values).
  if (sweep) await refreshDerivedTraits(env.DB, now, report);
  for (const workspaceId of await workspacesWithSegments(env.DB, { timeRelativeOnly: !sweep })) {
    try {
      const segments = await listSegments(env.DB, workspaceId);
      const roots = sweep ? undefined : new Set(segments.filter((s) => s.timeRelative).map((s) => s.key));
      const result = await evaluateSegments(env.DB, workspaceId, { keys: roots, now }, segments);
      report.workspaces++;
      report.entered += result.entered;
      report.exited += result.exited;
    } catch (err) {
      console.error('scheduled segment evaluation failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
  if (sweep) await env.DB.batch([...pruneHistoryStatements(env.DB, now - HISTORY_RETENTION_MS), pruneEventDeliveriesStatement(env.DB, now - HISTORY_RETENTION_MS)]);
  // The clock keeps running from the scheduled time, so retries scheduled now are due later.
  const started = Date.now();
  const clock = () => now + (Date.now() - started);
  // Segment webhooks and event forwarding drain side by side: neither waits for the other's receivers.
  [report.deliveries, report.forwarded] = await Promise.all([drainDeliveries(env.DB, { now: clock }), drainEventDeliveries(env.DB, { now: clock })]);
  return report;
}

async function refreshDerivedTraits(db: D1Database, now: number, report: ScheduledReport): Promise<void> {
  for (const workspaceId of await workspacesWithWindowedTraits(db)) {
    try {
      report.windowedTraits += (await refreshAllComputedTraits(db, workspaceId, now, true)).length;
    } catch (err) {
      console.error('scheduled computed trait refresh failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
  for (const workspaceId of await workspacesDueForFit(db, now - REFIT_AFTER_MS)) {
    try {
      if (await fitWorkspace(db, workspaceId, now)) report.refits++;
    } catch (err) {
      console.error('scheduled model refit failed', workspaceId, err);
      report.failedWorkspaces.push(workspaceId);
    }
  }
}
