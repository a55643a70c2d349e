import type { Context } from 'hono';
import { drainDeliveries } from '../webhooks/drain';
import type { Segment } from '../store/segments';
import { evaluateSegments, type EvaluationReport } from './evaluate';

export interface ProfileChanges {
  /** Canonical profiles the batch wrote to. */
  touchedProfileIds: readonly string[];
  /** Profiles the batch merged away: their memberships must go (reason `merged`). */
  absorbedProfileIds?: readonly string[];
  /** The workspace's segments when the caller already read them (ingest does); else they are looked up. */
  segments?: readonly Segment[];
}

/**
 * Real-time membership after profiles changed (an ingest batch was stored, a merge or split):
 * re-evaluates every segment of the workspace for those people, then (best effort, after the response) sends
 * the webhooks of the changes. A failure here is logged, not raised: the events are stored
 * and a 5xx would only make the sender retry a batch that dedupes to nothing; the hourly
 * sweep of the scheduled handler repairs memberships a failed update missed.
 *
 * @example
 * const outcome = await ingestMessages(input);
 * await refreshMemberships(db, workspace.id, outcome, Date.now(), (p) => c.executionCtx.waitUntil(p));
 */
export async function refreshMemberships(
  db: D1Database,
  workspaceId: string,
  changes: ProfileChanges,
  now: number,
  waitUntil?: (promise: Promise<unknown>) => void,
  notify = true,
): Promise<EvaluationReport | null> {
  const profileIds = [...new Set([...changes.touchedProfileIds, ...(changes.absorbedProfileIds ?? [])])];
  if (profileIds.length === 0) return null;
  try {
    const report = await evaluateSegments(db, workspaceId, { profileIds, now, notify }, changes.segments);
    if (waitUntil && report.entered + report.exited > 0) {
      waitUntil(drainDeliveries(db, { workspaceId, maxRounds: 4 }).catch((err) => console.error('webhook drain after ingest failed', err)));
    }
    return report;
  } catch (err) {
    console.error('real-time segment update failed; the hourly sweep will repair it', workspaceId, err);
    return null;
  }
}

/** `waitUntil` of the request's execution context, when there is one (not under `app.request` in unit tests). */
export function waitUntilOf(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return undefined; // Hono throws when no execution context was passed: nothing to extend
  }
}
