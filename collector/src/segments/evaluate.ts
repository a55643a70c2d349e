import { nanoid } from 'nanoid';
import { finishRunsStatements, membershipRunStatements } from '../store/memberships';
import { listSegments, markEvaluatedStatement, type Segment } from '../store/segments';
import { compileCondition } from './compile';
import { evaluationOrder } from './graph';

export interface EvaluationScope {
  /** Evaluate these segments and the segments that depend on them; default: all of them. */
  keys?: ReadonlySet<string>;
  /** Only these canonical profiles (real time after an ingest); default: every profile (backfill). */
  profileIds?: readonly string[];
  now: number;
  /** False while a rebuild re-derives memberships: changes are recorded but no webhook is queued. */
  notify?: boolean;
}

export interface EvaluationReport {
  segments: string[];
  entered: number;
  exited: number;
}

// Real time: all segments in one batch (each costs 5-6 statements, plus 2 per batch; D1 allows 1,000 queries per
// invocation). Over all profiles: one batch per segment, so no transaction holds the database
// for the sum of every segment's scan (D1 stops a query at 30 s; local workerd is single-threaded).
const SEGMENTS_PER_BATCH = { scoped: 100, everyone: 1 };

/**
 * Brings memberships up to date for a workspace: segments in dependency order, each one
 * diffed against its stored membership with the changes written to the outbox in the same
 * `db.batch()` (atomic per segment; in real time all segments share one batch). `now` fixes
 * every relative window.
 *
 * @example
 * await evaluateSegments(env.DB, workspaceId, { profileIds: touched, now: Date.now() }) // real time
 * await evaluateSegments(env.DB, workspaceId, { keys: new Set(['vip']), now: Date.now() }) // backfill
 */
export async function evaluateSegments(
  db: D1Database,
  workspaceId: string,
  scope: EvaluationScope,
  known?: readonly Segment[],
): Promise<EvaluationReport> {
  if (scope.profileIds && scope.profileIds.length === 0) return { segments: [], entered: 0, exited: 0 };
  const segments = known ?? (await listSegments(db, workspaceId));
  if (segments.length === 0) return { segments: [], entered: 0, exited: 0 };
  const byKey = new Map(segments.map((s) => [s.key, s]));
  const order = evaluationOrder(segments, scope.keys);
  const report: EvaluationReport = { segments: order, entered: 0, exited: 0 };
  const perBatch = scope.profileIds ? SEGMENTS_PER_BATCH.scoped : SEGMENTS_PER_BATCH.everyone;
  for (let i = 0; i < order.length; i += perBatch) {
    const statements: D1PreparedStatement[] = [];
    const slots: number[] = [];
    const runIds: string[] = [];
    for (const key of order.slice(i, i + perBatch)) {
      const segment = byKey.get(key)!;
      const runId = `run_${nanoid(16)}`;
      runIds.push(runId);
      slots.push(statements.length);
      statements.push(
        ...membershipRunStatements(db, {
          workspaceId,
          segmentKey: key,
          runId,
          now: scope.now,
          profileIds: scope.profileIds,
          // A few profiles: look each one's events up; everyone: one pass over the events.
          condition: (params) =>
            compileCondition(segment.condition, params, scope.now, scope.profileIds ? { mode: 'correlated' } : { mode: 'set', workspaceId }),
        }),
      );
      if (!scope.profileIds) statements.push(markEvaluatedStatement(db, workspaceId, key, scope.now));
    }
    statements.push(...finishRunsStatements(db, runIds, scope.now, scope.notify ?? true));
    const results = await db.batch(statements);
    for (const at of slots) {
      report.entered += results[at + 1].meta.changes;
      report.exited += results[at + 2].meta.changes;
    }
  }
  return report;
}
