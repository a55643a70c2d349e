import { notFound } from '../http/errors';
import { personIndexRows } from '../store/archive-index';
import { getWorkspace, type Workspace } from '../store/workspaces';
import { listProfileEvents, type EventQuery, type ProfileSelector, type TimelineEvent } from '../store/profiles';
import { indexedLines } from './cold-index';
import { isOlder, mergeTimeline, newestFirst, positionKey, timelineEventOf } from './timeline-merge';
import { erasedFilter } from './tombstones';

/** The workspace, read only when a page goes cold (erasure filters read identifiers with its default country). */
export type WorkspaceOf = () => Promise<{ id: string; settings: { defaultCountry?: string } }>;

/** The directory's workspace row, for `WorkspaceOf` (a workspace gone since the request began is a 404). */
export async function workspaceOf(directory: D1Database, workspaceId: string): Promise<Workspace> {
  const workspace = await getWorkspace(directory, workspaceId);
  if (!workspace) throw notFound('No such workspace');
  return workspace;
}

/**
 * A page of a person's timeline over hot (D1) and cold (R2) events, newest first by (timestamp,
 * messageId). D1 answers first, in one statement that also says the workspace's cold boundary;
 * only when the page reaches below that boundary are the person's archive objects read, found
 * through the per-person index (never a listing of the archive), and merged in. Returns up to
 * `limit + 1` events, as `listProfileEvents` does.
 *
 * @example
 * const { canonicalId, events } = await timelinePage(db, env.ARCHIVE, 'ws_1', workspaceOf, { kind: 'id', id: 'prof_1' }, { limit: 50 });
 */
export async function timelinePage(
  db: D1Database,
  bucket: R2Bucket,
  workspaceId: string,
  workspaceOf: WorkspaceOf,
  sel: ProfileSelector,
  q: EventQuery,
): Promise<{ canonicalId: string | null; events: TimelineEvent[] }> {
  const hot = await listProfileEvents(db, workspaceId, sel, q);
  const { canonicalId, coldBefore, hasCold } = hot;
  const want = q.limit + 1;
  const lastHot = hot.events[want - 1];
  // D1 holds every event at or after the boundary: a page that ends there is complete, as is the
  // page of a person with nothing archived below it.
  if (canonicalId === null || coldBefore === null || !hasCold || (lastHot && lastHot.timestamp >= coldBefore) || (q.start !== undefined && q.start >= coldBefore)) {
    return { canonicalId, events: hot.events };
  }
  const cold = await coldPage(db, bucket, workspaceOf, canonicalId, q, coldBefore);
  return { canonicalId, events: mergeTimeline(hot.events, cold, want) };
}

/**
 * Up to `limit + 1` of the person's archived events older than the cold boundary (and than the
 * cursor), newest first. Objects are read newest first (by their latest event of the person) and
 * the reading stops once enough events are found that no further object can hold a newer one.
 */
async function coldPage(db: D1Database, bucket: R2Bucket, workspaceOf: WorkspaceOf, canonicalId: string, q: EventQuery, coldBefore: number): Promise<TimelineEvent[]> {
  const workspace = await workspaceOf();
  const below = Math.min(coldBefore, q.end ?? Infinity, q.before ? q.before.timestamp + 1 : Infinity);
  const rows = await personIndexRows(db, workspace.id, { canonicalId }, { below, from: q.start });
  if (rows.length === 0) return [];
  // Erased people's events hide until the purge has rewritten the objects without them.
  const keep = await erasedFilter(db, workspace);
  const want = q.limit + 1;
  let found: TimelineEvent[] = [];
  const seen = new Set<string>();
  const enough = (nextMaxTs: number) => {
    if (found.length < want) return false;
    found = found.sort(newestFirst).slice(0, want);
    return found[want - 1].timestamp > nextMaxTs;
  };
  for await (const { line } of indexedLines(bucket, workspace.id, rows, enough)) {
    const e = timelineEventOf(line);
    if (e.timestamp >= below || (q.start !== undefined && e.timestamp < q.start)) continue;
    if ((q.event !== undefined && e.event !== q.event) || (q.before && !isOlder(e, q.before))) continue;
    if (keep && !(await keep(line))) continue;
    const key = positionKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(e);
  }
  return found.sort(newestFirst).slice(0, want);
}
