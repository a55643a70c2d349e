import type { Env } from './env';
import { evaluateSegments } from './segments/evaluate';
import { listSegments, workspacesWithSegments } from './store/segments';
import { pruneHistoryStatements } from './store/deliveries';
import { drainDeliveries, type DrainReport } from './webhooks/drain';

/** Finished deliveries and old changes are kept this long (listed per destination), then pruned hourly. */
export const HISTORY_RETENTION_MS = 30 * 86_400_000;

export interface ScheduledReport {
  workspaces: number;
  entered: number;
  exited: number;
  failedWorkspaces: string[];
  deliveries: DrainReport;
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
  const report: ScheduledReport = { workspaces: 0, entered: 0, exited: 0, failedWorkspaces: [], deliveries: { attempted: 0, delivered: 0, retrying: 0, dead: 0 } };
  const sweep = isSweepRun(now);
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
  if (sweep) await env.DB.batch(pruneHistoryStatements(env.DB, now - HISTORY_RETENTION_MS));
  // The clock keeps running from the scheduled time, so retries scheduled now are due later.
  const started = Date.now();
  report.deliveries = await drainDeliveries(env.DB, { now: () => now + (Date.now() - started) });
  return report;
}
