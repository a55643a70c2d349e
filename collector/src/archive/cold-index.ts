import { objectIndexRows, rewriteRowStatements, type IndexRow } from '../store/archive-index';
import { placeEventsStatements, unplaceEventsStatement } from '../store/events';
import { shiftLines } from './index-lines';
import { workspacePrefix } from './layout';
import type { ArchiveLine } from './line';
import { objectLines } from './objects';

export { indexedObject } from './places';

/**
 * The per-person index into the R2 archive: for every archive object, one D1 row per profile
 * whose events it holds (the profile each event was stored under), with their event-time bounds
 * and line numbers. A cold read (timeline, person export) fetches only the objects of the
 * person's rows, never a listing of the workspace's archive. Rows are written by retention when
 * events leave D1, from the archive place each event row keeps (store/events.ts
 * deleteColdEvents): ingest writes none. Events still in D1 are read from D1.
 */

/** A person's archived event as a cold read finds it: the line and the profile it was stored under. */
export interface IndexedLine {
  line: ArchiveLine;
  profileId: string;
}

/**
 * The lines the given index rows point at, object by object in the rows' order (rows of one
 * object are read with one fetch). Objects are fetched a few at a time. `enough` is asked after
 * each group of objects with the next row's latest event time (-Infinity at the end); answering
 * true stops the reading.
 *
 * @example
 * for await (const { line, profileId } of indexedLines(env.ARCHIVE, 'ws_1', rows)) out.push(line);
 */
export async function* indexedLines(
  bucket: R2Bucket,
  workspaceId: string,
  rows: readonly IndexRow[],
  enough: (nextMaxTs: number) => boolean = () => false,
): AsyncGenerator<IndexedLine> {
  // One fetch per object, keeping the order in which the rows first name it.
  const objects = new Map<string, { maxTs: number; lines: Map<number, string> }>();
  for (const r of rows) {
    let o = objects.get(r.object);
    if (!o) objects.set(r.object, (o = { maxTs: r.maxTs, lines: new Map() }));
    for (const n of r.lines) o.lines.set(n, r.profileId);
  }
  const list = [...objects.entries()];
  const PARALLEL = 4;
  for (let i = 0; i < list.length; i += PARALLEL) {
    const group = list.slice(i, i + PARALLEL);
    const read = await Promise.all(group.map(([object, o]) => pickLines(bucket, `${workspacePrefix(workspaceId)}${object}`, o.lines)));
    for (const found of read) yield* found;
    if (enough(list[i + PARALLEL]?.[1].maxTs ?? -Infinity)) return;
  }
}

/** The wanted lines of one object (none when it is gone: an erasure emptied it). */
async function pickLines(bucket: R2Bucket, key: string, wanted: Map<number, string>): Promise<IndexedLine[]> {
  const object = await bucket.get(key);
  if (!object) return [];
  const out: IndexedLine[] = [];
  const last = Math.max(...wanted.keys());
  let n = 0;
  for await (const text of objectLines(object.body)) {
    const profileId = wanted.get(n);
    if (profileId !== undefined) out.push({ line: JSON.parse(text) as ArchiveLine, profileId });
    if (++n > last) break; // the rest of the object holds none of them
  }
  return out;
}

/**
 * An object rewritten without some lines: how many it had and which went (0-based), and the
 * messageIds of the lines kept (in their new order) and of those that went, so that events still
 * in D1 keep pointing at their lines.
 */
export interface LineShift {
  lines: number;
  dropped: number[];
  kept?: string[];
  gone?: string[];
}

/**
 * After an object lost lines (an erasure's purge), its index rows point at the lines where the
 * people left now are; rows left without lines go. Only rows written against the object's old
 * line count change, so running it twice (a purge step repeated after a crash) changes nothing more.
 * Events still in D1 placed in the object take their new lines (set absolutely, by messageId), or
 * lose their place when their line went; retention indexes them from there later.
 *
 * @example
 * await shiftIndexRows(db, 'ws_1', { object: 'dt=2026-12-06/hour=09/000000000042-g1.ndjson.gz', lines: 3, dropped: [1], kept: ['m1', 'm3'], gone: ['m2'] });
 */
export async function shiftIndexRows(db: D1Database, workspaceId: string, shift: { object: string } & LineShift): Promise<void> {
  const rows = (await objectIndexRows(db, workspaceId, shift.object)).filter((r) => r.objectLines === shift.lines);
  const shifted = rows.map((r) => ({ ...r, lines: shiftLines(r.lines, shift.dropped) }));
  const statements = rewriteRowStatements(db, workspaceId, shift.lines, shift.lines - shift.dropped.length, shifted);
  if (shift.kept) statements.push(...placeEventsStatements(db, workspaceId, [{ object: shift.object, messageIds: shift.kept }], true));
  if (shift.gone?.length) statements.push(unplaceEventsStatement(db, workspaceId, shift.object, shift.gone));
  if (statements.length > 0) await db.batch(statements);
}
